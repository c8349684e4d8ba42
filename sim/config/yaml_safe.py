"""A YAML reader for hostile input: YAML 1.2 core-schema scalars, no tags, no merge keys, bounded
size, depth and alias expansion.

PyYAML implements YAML 1.1, whose implicit types surprise: `4:58:15` is the base-60 integer 17895,
`010` is octal 8, `no` is false, `2001-12-14` is a date, `<<` merges mappings, and `.nan`/`1.0e400`
are floats that are not finite. This loader resolves plain scalars by the YAML 1.2 core schema
(null, true/false, decimal/0o/0x integers, decimal floats; yaml.org/spec/1.2.2 §10.3.2) and refuses
what a config never needs: explicit tags (`!include`, `!!python/...`), non-finite or overflowing
numbers, integers beyond 64 bits, more than `MAX_DEPTH` nested collections and more than
`MAX_ALIASES` aliases. Every refusal is a `yaml.YAMLError` with the position of the offending node,
so the caller reports `FILE:LINE`.
"""

from __future__ import annotations

import math
import re

import yaml
from yaml.events import AliasEvent

MAX_BYTES = 1_000_000
"""a config or sweep file larger than this is refused before it is parsed"""
MAX_DEPTH = 64
"""nested mappings/sequences"""
MAX_ALIASES = 50
"""`*alias` references per document"""
MAX_NODES = 100_000
"""values of the document after alias expansion (a billion-laughs document exceeds this)"""
INT_LIMIT = 2**63
"""integers must satisfy |n| < 2⁶³"""


class RefusedYaml(yaml.MarkedYAMLError):
    """YAML this loader does not accept (a tag, too deep, too many aliases, a non-finite number)."""

    def __init__(self, problem: str, mark: yaml.Mark | None) -> None:
        super().__init__(problem=problem, problem_mark=mark)


class SafeLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema resolvers and the limits of this module."""

    yaml_implicit_resolvers: dict = {}  # own table: none of SafeLoader's YAML 1.1 resolvers

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = event.start_mark
                assert mark is None or isinstance(mark, yaml.Mark)  # the pure-Python parser's (not libyaml's)
                raise RefusedYaml(f"more than {MAX_ALIASES} aliases (*name)", mark)
            return super().compose_node(parent, index)
        if getattr(event, "tag", None) not in (None, "!"):
            raise RefusedYaml(
                f"YAML tags ({event.tag}) are not supported: write the value itself", event.start_mark
            )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise RefusedYaml(f"more than {MAX_DEPTH} nested levels", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        """Decimal, 0o octal or 0x hex integers (YAML 1.2 core), |n| < 2⁶³."""
        text = node.value
        sign, digits = (-1, text[1:]) if text[0] == "-" else (1, text.lstrip("+"))
        if len(digits) > 20:
            raise RefusedYaml(f"integer with {len(digits)} digits is too large", node.start_mark)
        base = {"0o": 8, "0x": 16}.get(digits[:2], 10)
        value = sign * int(digits[2:] if base != 10 else digits, base)
        if abs(value) >= INT_LIMIT:
            raise RefusedYaml(f"integer {text} is too large (|n| must be below 2^63)", node.start_mark)
        return value

    def construct_yaml_float(self, node: yaml.ScalarNode) -> float:
        """A finite decimal float; `.nan`, `.inf` and overflowing literals such as 1.0e400 are refused."""
        text = node.value
        if text.lstrip("+-").lower() in (".inf", ".nan"):
            raise RefusedYaml(
                f"{text} is not a finite number (NaN and infinity are not allowed)", node.start_mark
            )
        value = float(text)
        if not math.isfinite(value):
            raise RefusedYaml(f"{text} overflows to infinity (numbers must be finite)", node.start_mark)
        return value


SafeLoader.add_constructor("tag:yaml.org,2002:int", SafeLoader.construct_yaml_int)
SafeLoader.add_constructor("tag:yaml.org,2002:float", SafeLoader.construct_yaml_float)
_RESOLVERS = [
    ("null", r"~|null|Null|NULL|", ["~", "n", "N", ""]),
    ("bool", r"true|True|TRUE|false|False|FALSE", list("tTfF")),
    ("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", list("-+0123456789")),
    (
        "float",
        r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)",
        list("-+0123456789."),
    ),
]
for _tag, _pattern, _first in _RESOLVERS:
    SafeLoader.add_implicit_resolver(f"tag:yaml.org,2002:{_tag}", re.compile(f"^(?:{_pattern})$"), _first)


def check_size(data: bytes, limit: int = MAX_BYTES) -> str | None:
    """A reason to refuse `data` (read with at most limit + 1 bytes) before parsing, or None."""
    if len(data) > limit:
        return f"larger than {limit // 1000} kB: not a config file (refused before parsing)"
    return None
