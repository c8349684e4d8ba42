"""The hostile-input YAML rules (sim.config.yaml_safe): YAML 1.2 core scalars and the limits."""

import pytest

from sim.config.loader import ConfigError, apply_override, load_yaml, parse_path
from sim.config.yaml_safe import MAX_ALIASES, MAX_DEPTH


@pytest.mark.parametrize(
    "text,value",
    [
        ("4:58:15", "4:58:15"),  # YAML 1.1: base-60 integer 17895
        ("010", 10),  # YAML 1.1: octal 8
        ("0o10", 8),
        ("0x1F", 31),
        ("yes", "yes"),  # YAML 1.1: true
        ("off", "off"),
        ("true", True),
        ("2001-12-14", "2001-12-14"),  # YAML 1.1: a date
        ("1_000", "1_000"),
        ("1e-6", 1e-6),
        ("-2.5E+3", -2500.0),
        ("~", None),
        ("'.nan'", ".nan"),  # a quoted string stays a string (pydantic then refuses it as a number)
        (str(2**63 - 1), 2**63 - 1),
    ],
)
def test_yaml_12_core_scalars(text, value):
    data, _ = load_yaml(f"a: {text}\n")
    assert data["a"] == value and type(data["a"]) is type(value)


@pytest.mark.parametrize(
    "text,message,line",
    [
        ("a: 1\nb: .nan\n", "not a finite number", 2),
        ("a: -.Inf\n", "not a finite number", 1),
        ("a: 1.0e400\n", "overflows to infinity", 1),
        (f"a: {2**63}\n", "too large", 1),
        ("a: " + "1" * 5000 + "\n", "5000 digits", 1),
        ("a: !!str x\n", "tags", 1),
        ("a: !include f.yaml\n", "tags", 1),
        ("x: &x {k: 1}\ny:\n  <<: *x\n", "merge keys", 3),
        ("a: &a [1, *a]\n", "recursive alias", 1),
        ("a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", "nested levels", 1),
        ("x: &x 1\na: [" + ", ".join(["*x"] * (MAX_ALIASES + 1)) + "]\n", "aliases", 2),
        ("a: 1\nb: \x00\n", "U+0000", 2),
        ("a: 1\n\x1b: 2\n", "U+001B", 2),
    ],
)
def test_refused_with_line(text, message, line):
    with pytest.raises(ConfigError) as err:
        load_yaml(text, "f.yaml")
    assert message in err.value.message and err.value.line == line, str(err.value)
    assert "\n" not in str(err.value)


def test_aliases_within_budget_still_work():
    data, _ = load_yaml("x: &x {k: 1}\na: [*x, *x]\n")
    assert data["a"] == [{"k": 1}, {"k": 1}]


def test_expansion_budget():
    lines = ["l0: &l0 [a, a]"] + [f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}]" for i in range(1, 24)]
    with pytest.raises(ConfigError, match="expands to more than"):
        load_yaml("\n".join(lines) + "\n")


def test_set_errors_carry_the_key_path():
    data, lines = load_yaml("physics: {temperature: 300}\n")
    with pytest.raises(ConfigError) as err:
        apply_override(data, lines, "physics.temperature=.nan")
    assert (err.value.file, err.value.key) == ("--set", "physics.temperature")


def test_parse_path_big_index_is_a_key_not_a_crash():
    assert parse_path("a." + "9" * 50) == ("a", "9" * 50)
    with pytest.raises(ConfigError, match="too long"):
        parse_path("a" * 501)
