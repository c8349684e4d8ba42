"""Sweep files: grid/zip expansion, ranges, stable ids, resolved point configs, and invalid sweep
files (exit 2 with one line naming file, line and key); the shipped example sweeps validate."""

import re
from pathlib import Path

import pytest
from conftest import run_sim

from sim.config import load_config
from sim.config.loader import ConfigError
from sim.sweep.slurm import array_spec, script_text
from sim.sweep.spec import load_sweep, point_id
from sim.sweep.store import SweepDir

REPO = Path(__file__).resolve().parents[2]

BASE = (Path(__file__).resolve().parents[1] / "data" / "tiny_layers.yaml").read_text()


SWEEP = """\
base: base.yaml
set:
  physics.temperature: 310.0
grid:
  geometry.layers[0].thickness: [2.0e-6, 4.0e-6, 6.0e-6]
  physics.cathode_potential: {start: 0.01, stop: 1.0, num: 3, log: true}
"""


def write(tmp_path, sweep=SWEEP, base=BASE):
    (tmp_path / "base.yaml").write_text(base)
    (tmp_path / "sweep.yaml").write_text(sweep)
    return tmp_path / "sweep.yaml"


def test_grid_is_the_product_and_points_are_resolved_configs(tmp_path):
    sweep = load_sweep(write(tmp_path))
    assert sweep.name == "sweep"
    assert sweep.swept == ["geometry.layers[0].thickness", "physics.cathode_potential"]
    got = [tuple(p.parameters.values()) for p in sweep.points]
    assert got == [(t, v) for t in (2e-6, 4e-6, 6e-6) for v in (0.01, 0.1, 1.0)]
    for point in sweep.points:
        cfg = point.loaded.config
        assert cfg.geometry.layers[0].thickness == point.parameters["geometry.layers[0].thickness"]
        assert cfg.physics.cathode_potential == point.parameters["physics.cathode_potential"]
        assert cfg.physics.temperature == 310.0  # the fixed override
        assert cfg.name == f"sweep-{point.id}"
        # the same resolved config as `sim run base.yaml --set ...` gives
        alone = load_config(
            tmp_path / "base.yaml",
            [f"{k}={v!r}" for k, v in point.parameters.items()]
            + ["physics.temperature=310.0", f"name={cfg.name}"],
        )
        assert alone.sha256 == point.loaded.sha256
    assert [p.index for p in sweep.points] == list(range(9))
    assert len({p.id for p in sweep.points}) == 9


def test_zip_pairs_values_and_combines_with_grid(tmp_path):
    sweep = load_sweep(
        write(
            tmp_path,
            """\
base: base.yaml
grid:
  physics.temperature: [300, 320]
zip:
  geometry.layers[0].thickness: [1.0e-6, 2.0e-6, 3.0e-6]
  geometry.layers[1].thickness: {start: 3.0e-6, stop: 1.0e-6, num: 3}
""",
        )
    )
    got = [tuple(p.parameters.values()) for p in sweep.points]
    assert got == [(T, a, b) for T in (300, 320) for a, b in ((1e-6, 3e-6), (2e-6, 2e-6), (3e-6, 1e-6))]


def test_ids_are_stable_short_and_readable(tmp_path):
    params = {"geometry.layers[0].thickness": 2e-6, "solver.preset": "direct"}
    pid = point_id(params)
    assert pid.startswith("thickness=2e-06_preset=direct-") and len(pid.rsplit("-", 1)[1]) == 8
    assert pid.rsplit("-", 1)[1] == point_id(dict(reversed(params.items()))).rsplit("-", 1)[1]
    assert point_id({**params, "solver.preset": "iterative"}) != pid
    assert point_id({"a.b": 1.0}) != point_id({"a.c": 1.0})
    # adding values to a sweep keeps the ids (and so the run directories) of the existing points
    before = {p.id: p.parameters for p in load_sweep(write(tmp_path)).points}
    more = SWEEP.replace("[2.0e-6,", "[1.0e-6, 2.0e-6,")
    after = {p.id: p.parameters for p in load_sweep(write(tmp_path, more)).points}
    assert len(after) == 12 and all(after[i] == before[i] for i in before)


def test_array_spec_compresses_indices():
    assert array_spec([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8"
    assert array_spec([3]) == "3"


def test_slurm_script(tmp_path):
    sweep = load_sweep(
        write(
            tmp_path,
            SWEEP
            + """\
slurm:
  partition: short
  time: "0-00:30:00"
  ntasks: 4
  mem: 8G
  account: battery
  sbatch: ["--qos=debug", "#SBATCH --constraint=cpu"]
  setup: ["module load mpich"]
""",
        ),
        slurm={"sbatch": ["--hold"], "partition": "long"},
    )  # as from the command line
    store = SweepDir(tmp_path / "out")
    store.write(sweep)
    text = script_text(store, sweep.name, sweep.spec.slurm, [1, 2, 4])
    for line in (
        "#SBATCH --array=1-2,4",
        "#SBATCH --partition=long",
        "#SBATCH --hold",
        "#SBATCH --time=0-00:30:00",
        "#SBATCH --ntasks=4",
        "#SBATCH --mem=8G",
        "#SBATCH --account=battery",
        "#SBATCH --qos=debug",
        "#SBATCH --constraint=cpu",
        "module load mpich",
        'ID="${POINTS[$SLURM_ARRAY_TASK_ID]}"',
    ):
        assert line in text.splitlines(), line
    assert 'srun --mpi=pmi2 --ntasks="$SLURM_NTASKS"' in text
    ids = text.split("POINTS=(")[1].split(")")[0].split()
    assert ids == [p.id for p in sweep.points]  # task id = point index
    assert (tmp_path / "out" / "configs" / f"{ids[4]}.yaml").exists()


# (name, sweep text, expected "line: key" in the message)
BAD = [
    (
        "unknown key path",
        SWEEP.replace("physics.cathode_potential", "physics.cathode_potental"),
        ":6: grid.physics.cathode_potental: unknown key",
    ),
    (
        "unknown key path in set",
        SWEEP.replace("physics.temperature", "physics.temprature"),
        ":3: set.physics.temprature: unknown key",
    ),
    (
        "list index out of range",
        SWEEP.replace("layers[0]", "layers[7]"),
        ":5: grid.geometry.layers[7].thickness:",
    ),
    (
        "invalid value",
        SWEEP.replace("2.0e-6, 4.0e-6", "-2.0e-6, 4.0e-6"),
        ":5: grid.geometry.layers[0].thickness: Input should be greater than 0",
    ),
    (
        "empty values",
        SWEEP.replace("[2.0e-6, 4.0e-6, 6.0e-6]", "[]"),
        ":5: grid.geometry.layers[0].thickness: no values",
    ),
    ("zero num", SWEEP.replace("num: 3", "num: 0"), ":6: grid.physics.cathode_potential.num:"),
    (
        "log range through zero",
        SWEEP.replace("start: 0.01", "start: 0.0"),
        ":6: grid.physics.cathode_potential: a log range needs positive",
    ),
    (
        "scalar instead of list",
        SWEEP.replace("[2.0e-6, 4.0e-6, 6.0e-6]", "2.0e-6"),
        ":5: grid.geometry.layers[0].thickness: Input should be a valid list",
    ),
    (
        "mismatched zip",
        SWEEP.replace("grid:", "zip:").replace("num: 3", "num: 2"),
        ":6: zip.physics.cathode_potential: zipped value lists differ in length",
    ),
    (
        "key swept twice",
        SWEEP.replace("physics.temperature", "physics.cathode_potential"),
        ":6: grid.physics.cathode_potential: key path also given in 'set'",
    ),
    ("nothing swept", SWEEP.split("grid:")[0], "nothing to sweep"),
    ("missing base", SWEEP.replace("base.yaml", "nope.yaml"), ":1: base: base config"),
    ("unknown section", SWEEP + "grdi: {}\n", ":7: grdi: unknown key"),
    (
        "non-positive ntasks",
        SWEEP + "slurm: {ntasks: 0}\n",
        ":7: slurm.ntasks: Input should be greater than 0",
    ),
    ("malformed time", SWEEP + "slurm: {time: 2h}\n", ":7: slurm.time: '2h' is not a SLURM time"),
    ("malformed memory", SWEEP + "slurm: {mem: lots}\n", ":7: slurm.mem:"),
    ("bad sbatch line", SWEEP + "slurm: {sbatch: [qos=short]}\n", ":7: slurm.sbatch:"),
    ("unknown slurm option", SWEEP + "slurm: {partion: x}\n", ":7: slurm.partion: unknown key"),
    ("duplicate point", SWEEP.replace("4.0e-6, 6.0e-6", "2.0e-6, 6.0e-6"), "same parameters"),
]


@pytest.mark.parametrize("name,text,expected", BAD, ids=[b[0] for b in BAD])
def test_invalid_sweep_raises_with_location(tmp_path, name, text, expected):
    with pytest.raises(ConfigError) as info:
        load_sweep(write(tmp_path, text))
    assert str(info.value).startswith(str(tmp_path / "sweep.yaml")), str(info.value)
    assert expected in str(info.value), str(info.value)


def test_point_error_not_caused_by_a_key_names_the_point(tmp_path):
    """A cross-field error (equal electrode potentials) is located in the base config and names the point."""
    with pytest.raises(ConfigError) as info:
        load_sweep(write(tmp_path, "base: base.yaml\ngrid:\n  physics.anode_potential: [0.0, 0.01]\n"))
    message = str(info.value)
    assert re.match(rf"{re.escape(str(tmp_path / 'base.yaml'))}:1[34]: physics", message), message
    assert "anode_potential equals cathode_potential" in message
    assert "sweep point physics.anode_potential=0.01" in message


@pytest.mark.parametrize(
    "args,expected",
    [
        (
            ["--backend", "slurm", "--ranks", "0"],
            "command line:--ranks: slurm.ntasks: Input should be greater than 0",
        ),
        (["--backend", "slurm", "--time", "1 hour"], "command line:--time: slurm.time:"),
        (["--jobs", "0"], "command line:--jobs: local.jobs:"),
        (["--backend", "slurm", "--sbatch", "qos=x"], "command line:--sbatch: slurm.sbatch:"),
    ],
)
def test_bad_command_line_options_exit_2(tmp_path, args, expected):
    sweep = write(tmp_path)
    result = run_sim("sweep", sweep, "--dry-run", "--out", tmp_path / "out", *args, timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr
    assert not (tmp_path / "out").exists()


def test_invalid_sweep_file_exit_2_one_line(tmp_path):
    sweep = write(tmp_path, BAD[0][1])
    result = run_sim("sweep", "run", sweep, "--out", tmp_path / "out", timeout=120, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {sweep}:6: grid.physics.cathode_potental: unknown key")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "sweep_file", sorted((REPO / "configs" / "sweeps").glob("*.yaml")), ids=lambda p: p.name
)
def test_example_sweeps_validate(sweep_file):
    import yaml

    base = sweep_file.parent / yaml.safe_load(sweep_file.read_text())["base"]
    if not base.exists():
        pytest.skip(f"base config {base.name} not written yet")
    sweep = load_sweep(sweep_file)
    assert len(sweep.points) >= 2
