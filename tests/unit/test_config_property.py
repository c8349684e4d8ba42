"""Property-based test of the config loader (issue 14): random YAML documents and random mutations of
every shipped config are either valid or a one-line ConfigError, never another exception (which the
CLI would turn into exit 1 and a traceback); a config that validates holds only finite numbers.

`load_config` is what `sim validate/run/mesh` call (sim.cli._load turns a ConfigError into exit 2).
Seeded (derandomize) and bounded (max_examples, deadline); a few real `sim validate` calls close it.
"""

from __future__ import annotations

import math
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config import ConfigError, LoadedConfig, load_config
from sim.config.loader import format_path, load_yaml
from sim.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p for p in (ROOT / "configs").glob("**/*.yaml") if "sweeps" not in p.parts)
SWEEPS = sorted((ROOT / "configs" / "sweeps").glob("*.yaml"))
SETTINGS = settings(
    max_examples=200,
    deadline=timedelta(seconds=5),
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

HOSTILE = [
    ".nan", ".NaN", "-.inf", ".inf", "+.inf", "1.0e400", "-1e400", "1e-400", "4:58:15", "190:20:30",
    "010", "0o17", "0x1F", "0b101", "1_000", "yes", "no", "on", "off", "~", "null", "", "''", "[]", "{}",
    "2001-12-14", "=", "<<", "*a", "&a x", "!include x.yaml", "!!python/object:os.system ls", "!!float 1",
    "[" * 200, "{" * 200, "9" * 30, "-" + "9" * 30, "9" * 5000, "1e308", "-1e308", "5e-324", "0", "-0.0",
    "-1", "1", "1.0", "true", "false", '"\\x00"', '"\\uffff"', "\t", "a: b", "- x", "? x", "|", ">",
    "%YAML 1.1", "---", "...", "@", "`", "n" * 300, "/abs/path", "../../x", "'..'",
]  # fmt: skip
scalars = st.one_of(
    st.sampled_from(HOSTILE),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(max_size=20),
)


def check(file: Path, overrides: list[str] | None = None) -> None:
    """load_config returns a config with finite numbers only, or raises a one-line ConfigError."""
    try:
        loaded = load_config(file, overrides)
    except ConfigError as exc:
        message = str(exc)
        assert "\n" not in message and message.strip(), message
        assert len(message) < 2000, message[:300]
        return
    assert isinstance(loaded, LoadedConfig)
    for value in _leaves(loaded.config.model_dump()):
        if isinstance(value, float):
            assert math.isfinite(value), loaded.resolved_yaml


def _leaves(data):
    if isinstance(data, dict):
        for value in data.values():
            yield from _leaves(value)
    elif isinstance(data, (list, tuple)):
        for value in data:
            yield from _leaves(value)
    else:
        yield data


def _paths(data, prefix=()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(data, dict):
        for key, value in data.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            out += _paths(value, (*prefix, i))
    return out


KEY_PATHS = {c: _paths(load_yaml(c.read_text())[0]) for c in CONFIGS}


@SETTINGS
@given(config=st.sampled_from(CONFIGS), data=st.data())
def test_set_mutations_of_shipped_configs(config, data):
    """`--set key.path=VALUE` with a hostile VALUE on any key of any shipped config (or a new key)."""
    paths = KEY_PATHS[config]
    path = data.draw(st.sampled_from(paths))
    key = format_path(path) + data.draw(st.sampled_from(["", "", ".extra", "[0]", "[99]"]))
    check(config, [f"{key}={data.draw(scalars)}"])


@st.composite
def text_mutation(draw, text: str) -> str:
    lines = text.splitlines()
    i = draw(st.integers(0, len(lines) - 1))
    how = draw(st.sampled_from(["value", "insert", "delete", "truncate", "byte"]))
    if how == "value" and ":" in lines[i]:
        head = lines[i].split(":", 1)[0]
        lines[i] = f"{head}: {draw(scalars)}"
    elif how == "insert":
        indent = " " * draw(st.sampled_from([0, 2, 4]))
        lines.insert(i, f"{indent}{draw(st.sampled_from(['extra', '<<', 'name', 'kind']))}: {draw(scalars)}")
    elif how == "delete":
        del lines[i]
    elif how == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    else:
        pos = draw(st.integers(0, len(text)))
        return (
            text[:pos]
            + draw(st.sampled_from(["\0", "\x1b", "\t", "\ufeff", "&a ", "*a ", "!x "]))
            + text[pos:]
        )
    return "\n".join(lines) + "\n"


@SETTINGS
@given(config=st.sampled_from(CONFIGS), data=st.data())
def test_text_mutations_of_shipped_configs(config, data):
    """One line of a shipped config replaced, inserted, deleted; the file truncated; a byte inserted."""
    text = data.draw(text_mutation(config.read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / config.name
        file.write_text(text, errors="surrogateescape")
        check(file)


documents = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=10)),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["geometry", "physics", "materials", "kind", "name", "x"]), children, max_size=4
        )
    ),
    max_leaves=20,
)


@SETTINGS
@given(document=documents, raw=st.text(alphabet="[]{}:,-?&*!|>'\"#%@ \n\tab01.e+~<", max_size=80))
def test_random_documents(document, raw):
    """Random YAML documents (dumped data, and raw text made of YAML's syntax characters)."""
    with tempfile.TemporaryDirectory() as tmp:
        for i, text in enumerate([yaml.safe_dump(document), raw]):
            file = Path(tmp) / f"doc{i}.yaml"
            file.write_text(text)
            check(file)


@settings(SETTINGS, max_examples=40)  # a sweep validates every point: ~0.5 s per example
@given(sweep=st.sampled_from(SWEEPS), data=st.data())
def test_text_mutations_of_shipped_sweeps(sweep, data):
    """The same mutations of the shipped sweep files: a Sweep or a one-line ConfigError."""
    text = data.draw(text_mutation(sweep.read_text()))
    with tempfile.TemporaryDirectory() as tmp:
        for config in (ROOT / "configs").glob("*.yaml"):  # the sweeps' bases: ../<config>.yaml
            (Path(tmp) / config.name).symlink_to(config)
        file = Path(tmp) / "sweeps" / sweep.name
        file.parent.mkdir()
        file.write_text(text, errors="surrogateescape")
        try:
            load_sweep(file)
        except ConfigError as exc:
            assert "\n" not in str(exc), str(exc)


@pytest.mark.parametrize(
    "config,override",
    [
        ("seed002_bilayer.yaml", "physics.temperature=.nan"),
        ("peo_100x20.yaml", "geometry.protrusion.width=" + "9" * 5000),
        ("dendrite_plm.yaml", "physics.applied_voltage=4:58:15"),
        (
            "pl_lfp_cathode.yaml",
            "geometry=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
        ),
    ],
)
def test_real_sim_validate(config, override):
    """The CLI itself (a subprocess): exit 2, one line, no traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "sim.cli", "validate", str(ROOT / "configs" / config), "--set", override],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
