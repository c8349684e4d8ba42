"""Bad input: each kind of invalid config exits 2 with one line naming file, line and key.

Runs the real `sim` console script; no results directory may appear.
"""

import pytest
from conftest import run_sim

GOOD = """\
name: tiny
geometry:
  kind: layers
  width: 10.0e-6
  layers:
    - {name: a, thickness: 5.0e-6}
    - {name: b, thickness: 5.0e-6}
materials:
  a: peo_litfsi
  b:
    conductivity: {value: 1.0e-3, unit: S/m, source: assumed}
physics:
  kind: conduction
  cathode_potential: 0.01
"""

# (name, text transformation, expected key path in the message, expected line)
CASES = [
    ("unknown top-level key", lambda s: s + "colour: red\n", "colour", 15),
    (
        "unknown nested key",
        lambda s: s.replace("  width: 10.0e-6\n", "  width: 10.0e-6\n  widht: 3\n"),
        "geometry.widht",
        5,
    ),
    ("wrong type", lambda s: s.replace("width: 10.0e-6", "width: wide"), "geometry.width", 4),
    ("missing section", lambda s: s.split("physics:")[0], "physics", None),
    (
        "negative conductivity",
        lambda s: s.replace("1.0e-3, unit: S/m", "-1.0e-3, unit: S/m"),
        "materials.b.conductivity",
        11,
    ),
    (
        "zero thickness",
        lambda s: s.replace("{name: b, thickness: 5.0e-6}", "{name: b, thickness: 0}"),
        "geometry.layers[1].thickness",
        7,
    ),
    (
        "transference number above 1",
        lambda s: s.replace(
            "source: assumed}\n", "source: assumed}\n    transference_number: {value: 1.5, source: assumed}\n"
        ),
        "materials.b.transference_number",
        12,
    ),
    (
        "transference number zero",
        lambda s: s.replace(
            "source: assumed}\n", "source: assumed}\n    transference_number: {value: 0.0, source: assumed}\n"
        ),
        "materials.b.transference_number",
        12,
    ),
    ("unknown unit", lambda s: s.replace("unit: S/m", "unit: S/foo"), "materials.b.conductivity", 11),
    (
        "unit of another dimension",
        lambda s: s.replace("unit: S/m", "unit: S"),
        "materials.b.conductivity",
        11,
    ),
    ("unit typo (GPA)", lambda s: s.replace("unit: S/m", "unit: GPA"), "materials.b.conductivity", 11),
    (
        "solver.max_iterations (Newton or Krylov?)",
        lambda s: s + "solver: {max_iterations: 5}\n",
        "solver",
        15,
    ),
    ("solver.rtol (Newton or Krylov?)", lambda s: s + "solver: {rtol: 1.0e-6}\n", "solver", 15),
    (
        "Newton keys on a linear model",
        lambda s: s + "solver: {newton: {rtol: 1.0e-6}}\n",
        "solver.newton",
        15,
    ),
    ("Krylov keys with LU", lambda s: s + "solver: {krylov: {max_iterations: 5}}\n", "solver", 15),
    ("unknown material card", lambda s: s.replace("a: peo_litfsi", "a: unobtainium"), "materials.a", 9),
    ("region without material", lambda s: s.replace("  a: peo_litfsi\n", ""), "materials", 8),
    (
        "material for a region that does not exist",
        lambda s: s.replace("  a: peo_litfsi\n", "  a: peo_litfsi\n  c: peo_litfsi\n"),
        "materials.c",
        10,
    ),
    ("repeated layer names", lambda s: s.replace("{name: b,", "{name: a,"), "geometry.layers", None),
    ("unknown physics kind", lambda s: s.replace("kind: conduction", "kind: magic"), "physics", 12),
    (
        "no potential difference",
        lambda s: s.replace("cathode_potential: 0.01", "cathode_potential: 0.0"),
        "physics",
        12,
    ),
    (
        "negative temperature",
        lambda s: s.replace("kind: conduction", "kind: conduction\n  temperature: -5"),
        "physics.temperature",
        14,
    ),
    ("YAML syntax error", lambda s: s.replace("  kind: layers", "  kind: [layers"), None, None),
    (
        "duplicate key",
        lambda s: s.replace("  width: 10.0e-6\n", "  width: 10.0e-6\n  width: 2.0e-6\n"),
        "geometry.width",
        5,
    ),
    (
        "unknown field format",
        lambda s: s + "output: {formats: [vtk, xdmf]}\n",
        "output.formats[1]",
        15,
    ),
    ("field format twice", lambda s: s + "output: {formats: [vtk, vtk]}\n", "output", 15),
    (
        "mesh size below min size",
        lambda s: s.replace(
            "  width: 10.0e-6\n", "  width: 10.0e-6\n  mesh: {size: 1.0e-7, min_size: 1.0e-6}\n"
        ),
        "geometry.mesh",
        5,
    ),
]


def test_good_config_validates(tmp_path, sim):
    (tmp_path / "good.yaml").write_text(GOOD)
    result = sim("validate", "good.yaml", cwd=tmp_path, check=False)
    assert result.returncode == 0, result.stderr
    assert "ok: tiny" in result.stdout


@pytest.mark.parametrize("name,transform,key,line", CASES, ids=[c[0] for c in CASES])
def test_invalid_config_exit_2(tmp_path, sim, name, transform, key, line):
    bad = transform(GOOD)
    assert bad != GOOD
    assert_exit_2(tmp_path, bad, key, line)


def assert_exit_2(tmp_path, bad: str, key: str | None, line: int | None) -> None:
    """`sim run` of the config text `bad` exits 2 with one `error: bad.yaml:LINE: KEY: ...` line
    and creates no directory."""
    (tmp_path / "bad.yaml").write_text(bad)
    result = run_sim("run", "bad.yaml", "--out", "out", cwd=tmp_path, check=False)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    message = lines[0]
    assert message.startswith("error: bad.yaml:"), message
    assert "Traceback" not in result.stderr
    if key is not None:
        assert f": {key}:" in message, message
    if line is not None:
        assert message.startswith(f"error: bad.yaml:{line}:"), message
    assert not (tmp_path / "out").exists()
    assert not (tmp_path / "results").exists()


def test_set_override_unknown_key(tmp_path, sim):
    (tmp_path / "good.yaml").write_text(GOOD)
    result = sim("validate", "good.yaml", "--set", "physics.temprature=300", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "physics.temprature" in result.stderr and "--set" in result.stderr


def test_set_override_applies(tmp_path, sim):
    (tmp_path / "good.yaml").write_text(GOOD)
    result = sim(
        "validate", "good.yaml", "--set", "geometry.layers[0].thickness=-1", cwd=tmp_path, check=False
    )
    assert result.returncode == 2
    assert "geometry.layers[0].thickness" in result.stderr


def test_missing_file(tmp_path, sim):
    result = sim("run", "nope.yaml", cwd=tmp_path, check=False)
    assert result.returncode == 2
    assert "nope.yaml" in result.stderr and "Traceback" not in result.stderr
