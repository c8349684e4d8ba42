"""YAML loading that remembers where every key came from, and one-line config errors.

`load_yaml` returns plain Python data plus a map from key path to line number, so that a
pydantic error at `geometry.layers.0.thickness` can be reported as `file.yaml:12`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from yaml.reader import ReaderError

from sim.config.yaml_safe import MAX_BYTES, MAX_NODES, RefusedYaml, SafeLoader, check_size

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
        return " ".join(": ".join([*parts, self.message]).split())  # always one line


def _to_python(node: yaml.Node, loader: SafeLoader, path: Path_, ctx: _Walk) -> Any:
    line = node.start_mark.line + 1
    ctx.lines[path] = line
    ctx.count += 1
    if ctx.count > MAX_NODES:
        raise ConfigError(
            f"the document expands to more than {MAX_NODES} values (aliases?)", ctx.file, line, _key(path)
        )
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        if id(node) in ctx.active:
            raise ConfigError("recursive alias (a value contains itself)", ctx.file, line, _key(path))
        ctx.active.add(id(node))
    try:
        if isinstance(node, yaml.MappingNode):
            out: dict[str, Any] = {}
            for key_node, value_node in node.value:
                key_line = key_node.start_mark.line + 1
                if not isinstance(key_node, yaml.ScalarNode):
                    raise ConfigError("keys must be strings", ctx.file, key_line, _key(path))
                if key_node.value == "<<" and key_node.style is None:
                    raise ConfigError(
                        "YAML merge keys (<<) are not supported: write the keys out",
                        ctx.file,
                        key_line,
                        _key(path),
                    )
                key = _construct(key_node, loader, path, ctx)
                if not isinstance(key, (str, int)) or isinstance(key, bool):
                    raise ConfigError("keys must be strings", ctx.file, key_line, _key(path))
                key = str(key)
                if key in out:
                    raise ConfigError(f"duplicate key '{key}'", ctx.file, key_line, format_path((*path, key)))
                out[key] = _to_python(value_node, loader, (*path, key), ctx)
                ctx.lines[(*path, key)] = key_line  # report a key where it is written
            return out
        if isinstance(node, yaml.SequenceNode):
            return [_to_python(v, loader, (*path, i), ctx) for i, v in enumerate(node.value)]
        return _construct(node, loader, path, ctx)
    finally:
        ctx.active.discard(id(node))


def _construct(node: yaml.Node, loader: SafeLoader, path: Path_, ctx: _Walk) -> Any:
    try:
        return loader.construct_object(node)
    except yaml.MarkedYAMLError as exc:
        raise ConfigError(exc.problem or str(exc), ctx.file, node.start_mark.line + 1, _key(path)) from None


def _key(path: Path_) -> str | None:
    return format_path(path) or None


class _Walk:
    """State of one document walk: lines seen, values counted, collections being visited."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: Lines = {}
        self.count = 0
        self.active: set[int] = set()


def load_yaml(text: str, file: str = "<string>") -> tuple[Any, Lines]:
    """Parse YAML text into Python data and a {key path: line} map (sim.config.yaml_safe rules)."""
    try:
        loader = SafeLoader(text)
    except ReaderError as exc:  # a NUL or other control character
        line = text[: exc.position].count("\n") + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ConfigError(f"control character U+{code:04X} is not allowed in YAML", file, line) from None
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        if isinstance(exc, RefusedYaml):
            raise ConfigError(problem, file, where) from None
        raise ConfigError(f"YAML syntax error: {problem}", file, where) from None
    finally:
        loader.dispose()
    if node is None:
        raise ConfigError("the file is empty", file, 1)
    ctx = _Walk(file)
    return _to_python(node, SafeLoader(""), (), ctx), ctx.lines


def short_repr(value: Any, limit: int = 80) -> str:
    """repr() of a value cut to `limit` characters (a message stays one readable line)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 5] + "...'" + f" ({len(text)} chars)"


def format_path(path: Path_) -> str:
    """('geometry', 'layers', 0, 'thickness') -> 'geometry.layers[0].thickness'."""
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


def parse_path(text: str) -> Path_:
    """'geometry.layers.0.thickness' or 'geometry.layers[0].thickness' -> key path tuple."""
    if len(text) > 500:
        raise ConfigError(f"key path of {len(text)} characters is too long")
    parts: list[str | int] = []
    for token in re.split(r"\.|\[|\]", text):
        if token == "":
            continue
        parts.append(int(token) if re.fullmatch(r"[0-9]{1,9}", token) else token)
    if not parts:
        raise ConfigError(f"empty key path '{text}'")
    return tuple(parts)


def apply_override(data: dict, lines: Lines, assignment: str) -> None:
    """Apply `--set key.path=value` (value parsed as YAML) to raw config data in place."""
    if "=" not in assignment:
        raise ConfigError(f"--set expects key.path=value, got '{assignment}'")
    key, _, raw = assignment.partition("=")
    path = parse_path(key.strip())
    try:
        value, _ = load_yaml(raw, "--set") if raw.strip() else (None, {})
    except ConfigError as exc:
        raise ConfigError(
            exc.message, "--set", None, format_path(path + (parse_path(exc.key) if exc.key else ()))
        ) from None
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
    """The file's UTF-8 text; at most MAX_BYTES are read (so /dev/zero or a huge file is refused)."""
    try:
        with open(file, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError("file not found", str(file)) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", str(file)) from None
    problem = check_size(data)
    if problem:
        raise ConfigError(problem, str(file))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(f"not UTF-8 text (byte {data[exc.start]:#04x})", str(file), line) from None
