"""Hostile input (issue 14, items 1, 4, 5, 7, 8): every case exits 2 with one line
`error: FILE[:LINE][: key.path]: message`, no traceback, and leaves no run directory behind.

Runs the real `sim` command (as test_cli_errors.py does) on GOOD, a shipped config or a sweep file.
"""

import re
import subprocess
import time
from pathlib import Path

import pytest
from conftest import SIM, mpiexec, run_sim
from test_cli_errors import GOOD

ROOT = Path(__file__).resolve().parents[2]
SEED002 = str(ROOT / "configs" / "seed002_bilayer.yaml")  # conduction, spe_wu (VFT, T0 = 120 K) | lagp
PEO = str(ROOT / "configs" / "peo_100x20.yaml")  # npp, Butler–Volmer


def good(key: str, value: str) -> str:
    """GOOD with the value of its `key:` line replaced (name, width, cathode_potential), or with
    physics.temperature added (key "temperature")."""
    if key == "temperature":
        return GOOD.replace("kind: conduction", f"kind: conduction\n  temperature: {value}")
    text, count = re.subn(rf"(?m)^( *{key}): .*$", lambda m: f"{m.group(1)}: {value}", GOOD)
    assert count == 1, key
    return text


def laughs(levels: int = 9) -> str:
    """The billion-laughs document: 9 levels of 9 aliases each (9⁹ values)."""
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]")
    return GOOD + "\n".join(lines) + "\n"


# (id, config text or None for GOOD, extra CLI args, substring of the message, key path or None)
TEXT_CASES = [
    ("nan in yaml", good("cathode_potential", ".nan"), "not a finite", "physics.cathode_potential"),
    ("-inf in yaml", good("cathode_potential", "-.inf"), "not a finite", "physics.cathode_potential"),
    ("inf width", good("width", ".inf"), "not a finite", "geometry.width"),
    ("1e400 width", good("width", "1.0e400"), "overflows to infinity", "geometry.width"),
    ("base-60 temperature", good("temperature", "4:58:15"), "valid number", "physics.temperature"),
    ("temperature 1 K", good("temperature", "1"), "greater than or equal to 100", "physics.temperature"),
    (
        "huge potential",
        good("cathode_potential", "1.0e308"),
        "less than or equal to 10",
        "physics.cathode_potential",
    ),
    (
        "merge key",
        GOOD.replace("physics:\n", "base: &b {kind: conduction}\nphysics:\n  <<: *b\n").replace(
            "  kind: conduction\n", "", 1
        ),
        "merge keys",
        None,
    ),
    ("include tag", GOOD.replace("a: peo_litfsi", "a: !include other.yaml"), "tags (!include)", None),
    ("python tag", GOOD.replace("a: peo_litfsi", "a: !!python/object:os.system ls"), "tags", None),
    ("recursive alias", GOOD + "loop: &x [*x]\n", "recursive alias", "loop[0]"),
    ("billion laughs", laughs(), "aliases", None),
    ("deep nesting", GOOD + "deep: " + "[" * 50_000 + "\n", "nested levels", None),
    ("5000-digit int", good("cathode_potential", "7" * 5000), "too large", "physics.cathode_potential"),
    (
        "card without source",
        GOOD.replace(", source: assumed}", "}"),
        "required key is missing",
        "materials.b.conductivity.source",
    ),
    ("absolute name", good("name", "/tmp/escape"), "not a plain file name", "name"),
    ("dot-dot name", good("name", ".."), "not a plain file name", "name"),
    ("5000-char name", good("name", "n" * 5000), "too long", "name"),
    ("width 1 m", good("width", "1.0"), "max_cells", "geometry.mesh"),
]

SET_CASES = [
    ("--set nan", SEED002, ["physics.cathode_potential=.nan"], "not a finite", "physics.cathode_potential"),
    ("--set -inf", SEED002, ["physics.cathode_potential=-.inf"], "not a finite", "physics.cathode_potential"),
    ("--set 1e400", SEED002, ["geometry.width=1.0e400"], "overflows", "geometry.width"),
    (
        "--set potential 1e308",
        SEED002,
        ["physics.cathode_potential=-1e308"],
        "greater than or equal to -10",
        "physics.cathode_potential",
    ),
    (
        "--set inf i0",
        PEO,
        ["physics.reaction.exchange_current_density=.inf"],
        "not a finite",
        "physics.reaction.exchange_current_density",
    ),
    (
        "--set huge i0",
        PEO,
        ["physics.reaction.exchange_current_density=1e300"],
        "less than or equal to 1000000",
        "physics.reaction.exchange_current_density",
    ),
    ("--set below VFT T0", SEED002, ["physics.temperature=110"], "T0 = 120", "physics.temperature"),
    ("--set base-60", SEED002, ["physics.temperature=4:58:15"], "valid number", "physics.temperature"),
    ("--set name ../../x", SEED002, ["name=../../x"], "not a plain file name", "name"),
    (
        "--set tiny mesh",
        SEED002,
        ["geometry.mesh.size=1e-9", "geometry.mesh.min_size=1e-9"],
        "max_cells",
        "geometry.mesh",
    ),
    ("--set deep", SEED002, ["description=" + "[" * 50_000], "nested levels", "description"),
    ("--set big int", SEED002, ["physics.temperature=" + "9" * 5000], "too large", "physics.temperature"),
    ("--set big index", SEED002, ["geometry.layers." + "9" * 5000 + ".thickness=1"], "", None),
]


def check_refused(result: subprocess.CompletedProcess, tmp_path: Path, text: str, key: str | None) -> str:
    """Exit 2, one stderr line `error: ...` with `text` (and `: key:`), no traceback, no run directory."""
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    message = lines[0]
    assert message.startswith("error: "), message
    assert len(message) < 1000, message[:200]
    assert text in message, message
    if key is not None:
        assert f": {key}:" in message, message
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "results").exists()
    return message


@pytest.mark.parametrize("case", TEXT_CASES, ids=[c[0] for c in TEXT_CASES])
def test_hostile_yaml_is_exit_2(tmp_path, case):
    _, text, expected, key = case
    assert text != GOOD
    (tmp_path / "bad.yaml").write_text(text)
    result = run_sim("run", "bad.yaml", "--out", "out", cwd=tmp_path, check=False)
    message = check_refused(result, tmp_path, expected, key)
    assert message.startswith("error: bad.yaml:"), message


@pytest.mark.parametrize("case", SET_CASES, ids=[c[0] for c in SET_CASES])
def test_hostile_set_is_exit_2(tmp_path, case):
    _, config, sets, expected, key = case
    args = [a for s in sets for a in ("--set", s)]
    result = run_sim("run", config, *args, "--out", "out", cwd=tmp_path, check=False)
    check_refused(result, tmp_path, expected, key)


@pytest.mark.parametrize(
    "name,content,expected",
    [
        ("nul", GOOD.replace("name: tiny", "name: ti\0ny").encode(), "U+0000"),
        ("xff", GOOD.replace("name: tiny", "name: ti\udcffny").encode(errors="surrogateescape"), "not UTF-8"),
        ("huge", GOOD.encode() + b"# " + b"x" * 2_000_000 + b"\n", "refused before parsing"),
    ],
)
def test_hostile_bytes_are_exit_2(tmp_path, name, content, expected):
    (tmp_path / "bad.yaml").write_bytes(content)
    result = run_sim("validate", "bad.yaml", cwd=tmp_path, check=False)
    message = check_refused(result, tmp_path, expected, None)
    assert message.startswith("error: bad.yaml:"), message


def test_dev_zero_is_refused_before_parsing(tmp_path):
    start = time.perf_counter()
    result = run_sim("run", "/dev/zero", "--out", "out", cwd=tmp_path, check=False)
    check_refused(result, tmp_path, "refused before parsing", None)
    assert time.perf_counter() - start < 30


def test_schema_out_to_missing_directory(tmp_path):
    result = run_sim("schema", "--out", "missing/dir/schema.json", cwd=tmp_path, check=False)
    check_refused(result, tmp_path, "cannot write", None)


@pytest.mark.mpi
def test_nul_byte_on_two_ranks_reported_once(tmp_path):
    (tmp_path / "bad.yaml").write_bytes(GOOD.replace("name: tiny", "name: ti\0ny").encode())
    result = subprocess.run(
        [mpiexec(), "-n", "2", *SIM, "run", "bad.yaml", "--out", "out"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    check_refused(result, tmp_path, "U+0000", None)


# --- sweep files ----------------------------------------------------------------------------------

SWEEP = """\
base: good.yaml
grid:
  physics.cathode_potential: [0.01, 0.02]
"""


def sweep(tmp_path: Path, text: str | bytes, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "good.yaml").write_text(GOOD)
    path = tmp_path / "sw.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return run_sim("sweep", "run", "sw.yaml", "--dry-run", "--out", "out", *args, cwd=tmp_path, check=False)


def swept(values: str) -> str:
    """SWEEP with `values` for physics.cathode_potential."""
    return SWEEP.replace("[0.01, 0.02]", values)


SWEEP_CASES = [
    ("nan value", swept("[0.01, .nan]"), "not a finite", "grid.physics.cathode_potential[1]"),
    ("inf range", swept("{start: 0.01, stop: .inf, num: 3}"), "not a finite", None),
    ("1e400 in set", SWEEP + "set: {geometry.width: 1.0e400}\n", "overflows", None),
    ("huge range", swept("{start: 0.01, stop: 0.02, num: 100000000}"), "less than or equal to 100000", None),
    ("points above max_points", swept("{start: 0.01, stop: 0.02, num: 5000}"), "max_points = 1000", "grid"),
    ("merge key", SWEEP + "x: &a {b: 1}\ny:\n  <<: *a\n", "merge keys", None),
    ("include", SWEEP.replace("base: good.yaml", "base: !include good.yaml"), "tags", None),
    ("recursive alias", SWEEP + "loop: &x [*x]\n", "recursive alias", None),
    ("deep", SWEEP + "deep: " + "[" * 50_000 + "\n", "nested levels", None),
    ("big int", swept("[0.01, " + "1" * 5000 + "]"), "too large", None),
    ("bad name", SWEEP + "name: ../escape\n", "not a plain file name", "name"),
]


@pytest.mark.parametrize("case", SWEEP_CASES, ids=[c[0] for c in SWEEP_CASES])
def test_hostile_sweep_is_exit_2(tmp_path, case):
    _, text, expected, key = case
    start = time.perf_counter()
    result = sweep(tmp_path, text)
    check_refused(result, tmp_path, expected, key)
    assert time.perf_counter() - start < 30


def test_nul_byte_in_sweep_file(tmp_path):
    result = sweep(tmp_path, SWEEP.encode() + b"x: \x00\n")
    assert "U+0000" in check_refused(result, tmp_path, "sw.yaml:4", None)


def test_corrupt_point_summary_is_reported(tmp_path):
    """`\\xff` bytes, a truncated file or a non-object in a point's summary.json: status and collect
    report the point as `corrupt` and go on (exit 0), no traceback."""
    result = sweep(tmp_path, swept("[0.01, 0.02, 0.03]"))
    assert result.returncode == 0, result.stderr
    ids = sorted(p.stem for p in (tmp_path / "out" / "configs").glob("*.yaml"))
    for point_id, content in zip(ids, [b'{"status": "ok\xff"}', b'{"status": "o', b"[1, 2]"], strict=True):
        (tmp_path / "out" / point_id).mkdir()
        (tmp_path / "out" / point_id / "summary.json").write_bytes(content)
    status = run_sim("sweep", "status", "out", cwd=tmp_path)
    assert "3 corrupt" in status.stdout and "Traceback" not in status.stderr
    collect = run_sim("sweep", "collect", "out", cwd=tmp_path)
    assert "0/3 points ok" in collect.stdout
    assert (tmp_path / "out" / "sweep.csv").read_text().count("corrupt") == 3
