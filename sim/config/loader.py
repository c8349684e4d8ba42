"""YAML loading that remembers where every key came from, and one-line config errors.

`load_yaml` returns plain Python data plus a map from key path to line number, so that a
pydantic error at `geometry.layers.0.thickness` can be reported as `file.yaml:12`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]
Lines = dict[Path_, int | str]
"""key path → line number in the file, or the option that set it ("--set")"""


class ConfigError(Exception):
    """An invalid config: carries file, line and key path for a one-line message."""

    def __init__(
        self, message: str, file: str | None = None, line: int | str | None = None, key: str | None = None
    ) -> None:
        self.message, self.file, self.line, self.key = message, file, line, key
        super().__init__(str(self))

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        parts = [p for p in (where, self.key) if p]
        return ": ".join([*parts, self.message])


class _Loader(yaml.SafeLoader):
    """SafeLoader that also reads `1e-6` (no dot) as a float, as a physicist would write it."""


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"),
)


def _to_python(node: yaml.Node, loader: _Loader, path: Path_, lines: Lines, file: str) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node)
            if not isinstance(key, (str, int)):
                raise ConfigError("keys must be strings", file, key_node.start_mark.line + 1)
            key = str(key)
            if key in out:
                raise ConfigError(
                    f"duplicate key '{key}'", file, key_node.start_mark.line + 1, format_path((*path, key))
                )
            out[key] = _to_python(value_node, loader, (*path, key), lines, file)
            lines[(*path, key)] = key_node.start_mark.line + 1  # report a key where it is written
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_to_python(v, loader, (*path, i), lines, file) for i, v in enumerate(node.value)]
    return loader.construct_object(node)


def load_yaml(text: str, file: str = "<string>") -> tuple[Any, Lines]:
    """Parse YAML text into Python data and a {key path: line} map."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"YAML syntax error: {problem}", file, line) from None
    finally:
        loader.dispose()
    lines: Lines = {}
    if node is None:
        raise ConfigError("the file is empty", file, 1)
    return _to_python(node, _Loader(""), (), lines, file), lines


def format_path(path: Path_) -> str:
    """('geometry', 'layers', 0, 'thickness') -> 'geometry.layers[0].thickness'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def parse_path(text: str) -> Path_:
    """'geometry.layers.0.thickness' or 'geometry.layers[0].thickness' -> key path tuple."""
    parts: list[str | int] = []
    for token in re.split(r"\.|\[|\]", text):
        if token == "":
            continue
        parts.append(int(token) if token.isdigit() else token)
    if not parts:
        raise ConfigError(f"empty key path '{text}'")
    return tuple(parts)


def apply_override(data: dict, lines: Lines, assignment: str) -> None:
    """Apply `--set key.path=value` (value parsed as YAML) to raw config data in place."""
    if "=" not in assignment:
        raise ConfigError(f"--set expects key.path=value, got '{assignment}'")
    key, _, raw = assignment.partition("=")
    path = parse_path(key.strip())
    value, _ = load_yaml(raw, "--set") if raw.strip() else (None, {})
    target: Any = data
    for i, part in enumerate(path[:-1]):
        if isinstance(target, list):
            if not isinstance(part, int) or not -len(target) <= part < len(target):
                raise ConfigError(f"no list item {part}", "--set", None, format_path(path[: i + 1]))
            target = target[part]
        elif isinstance(target, dict):
            target = target.setdefault(str(part), {})
        else:
            raise ConfigError("is not a mapping or list", "--set", None, format_path(path[:i]))
    last = path[-1]
    if isinstance(target, list) and isinstance(last, int) and -len(target) <= last < len(target):
        target[last] = value
    elif isinstance(target, dict):
        target[str(last)] = value
    else:
        raise ConfigError("cannot be set", "--set", None, format_path(path))
    for p in [p for p in lines if p[: len(path)] == path]:
        lines[p] = "--set"
    lines[path] = "--set"


def _match(node: Any, parts: tuple, absent_ok: bool) -> tuple[bool, list]:
    """Best reading of `parts` as keys of `node`: (last part matched, raw key path)."""
    if not parts:
        return True, []
    head, rest = parts[0], parts[1:]
    options = []
    if isinstance(node, dict) and str(head) in node:
        ok, sub = _match(node[str(head)], rest, absent_ok)
        options.append((ok, [str(head), *sub]))
    elif isinstance(node, list) and isinstance(head, int) and 0 <= head < len(node):
        ok, sub = _match(node[head], rest, absent_ok)
        options.append((ok, [head, *sub]))
    elif absent_ok and not rest and isinstance(node, dict) and isinstance(head, str):
        options.append((True, [head]))  # a missing or unknown key, reported under its parent's line
    if rest:
        options.append(_match(node, rest, absent_ok))  # `head` is a union tag pydantic inserted, not a key
    if not options:
        return False, []
    return max(options, key=lambda o: (o[0], len(o[1])))


def locate(loc: tuple, data: Any, lines: Lines, absent_ok: bool = False) -> tuple[Path_, int | str | None]:
    """Map a pydantic error location to the raw-data key path and its line.

    pydantic inserts discriminator tags and union member names into `loc`; those are skipped
    because they are not keys of the raw data (preferring the reading that ends on a real key).
    `absent_ok`: the last part may be a key that is not in the data (unknown or missing key).
    """
    path = _match(data, tuple(loc), absent_ok)[1]
    line = None
    for n in range(len(path), -1, -1):
        if tuple(path[:n]) in lines:
            line = lines[tuple(path[:n])]
            break
    return tuple(path), line


def read_text(file: Path) -> str:
    try:
        return file.read_text()
    except FileNotFoundError:
        raise ConfigError("file not found", str(file)) from None
    except (IsADirectoryError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", str(file)) from None
