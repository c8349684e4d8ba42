"""Local sweep backend, end to end through the `sim` CLI: a 4-point sweep with --jobs 2 in which
one point fails, resuming (only the failed point is redone), the collected table against `sim run`
of each point alone, MPI ranks per point, and Ctrl-C."""

import csv
import importlib.util
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

# CG (not LU), so that a point can be made to fail with ksp_max_it
BASE = (
    Path(__file__).resolve().parents[1] / "data" / "tiny_layers.yaml"
).read_text() + "solver: {preset: iterative}\n"


# point 1 fails at run time: one CG iteration cannot converge (exit 3, "did not converge")
SWEEP = """\
base: base.yaml
zip:
  geometry.layers[0].thickness: [2.0e-6, 4.0e-6, 6.0e-6, 8.0e-6]
  solver.petsc_options.ksp_max_it: [1000, 1, 1000, 1000]
"""


def read_table(path):
    with open(path / "sweep.csv") as f:
        return list(csv.DictReader(f))


def summaries(out):
    points = json.loads((out / "points.json").read_text())["points"]
    return {p["id"]: json.loads((out / p["id"] / "summary.json").read_text()) for p in points}


@pytest.fixture
def sweep_dir(tmp_path):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    return tmp_path


def test_failing_point_resume_and_collect(sweep_dir, sim):
    result = sim("sweep", "sweep.yaml", "--jobs", "2", "--out", "out", cwd=sweep_dir, check=False)
    assert result.returncode == 3, result.stdout + result.stderr  # some point failed
    out = sweep_dir / "out"
    first = summaries(out)
    status = {pid: s["status"] for pid, s in first.items()}
    failed = [pid for pid, s in status.items() if s != "ok"]
    assert len(failed) == 1 and failed[0].startswith("thickness=4e-06_ksp_max_it=1-"), status
    assert "did not converge" in first[failed[0]]["message"]

    table = read_table(out)
    assert [row["status"] for row in table] == ["ok", "failed", "ok", "ok"]
    assert "did not converge" in table[1]["reason"] and table[1]["effective_conductivity_S_m"] == ""
    assert (out / "figures" / "effective_conductivity_S_m__vs__geometry.layers_0_.thickness.png").exists()
    if importlib.util.find_spec("pyarrow") is not None:
        import pyarrow.parquet as pq

        statuses = pq.read_table(out / "sweep.parquet").column("status").to_pylist()
        assert statuses == ["ok", "failed", "ok", "ok"]

    # resume: only the failed point runs again; the ok summaries are untouched
    stamps = {pid: (out / pid / "summary.json").stat().st_mtime_ns for pid in status}
    result = sim("sweep", "run", "sweep.yaml", "--jobs", "2", "--out", "out", cwd=sweep_dir, check=False)
    assert result.returncode == 3
    assert "3 done, 1 to run" in result.stdout
    again = {pid: (out / pid / "summary.json").stat().st_mtime_ns for pid in status}
    assert [pid for pid in status if again[pid] != stamps[pid]] == failed

    status_out = sim("sweep", "status", "out", cwd=sweep_dir, check=False)
    assert status_out.returncode == 0 and "1 failed, 3 ok" in status_out.stdout

    # every collected metric equals that of `sim run` of the point alone
    for row in table:
        if row["status"] != "ok":
            continue
        alone = sweep_dir / "alone" / row["id"]
        result = sim(
            "run",
            "base.yaml",
            "--out",
            str(alone),
            "--quiet",
            "--set",
            f"geometry.layers[0].thickness={row['geometry.layers[0].thickness']}",
            "--set",
            f"solver.petsc_options.ksp_max_it={row['solver.petsc_options.ksp_max_it']}",
            cwd=sweep_dir,
        )
        metrics = json.loads((alone / "summary.json").read_text())["metrics"]
        assert metrics and all(float(row[k]) == pytest.approx(v, rel=1e-12) for k, v in metrics.items())


@pytest.mark.mpi
def test_ranks_per_point(sweep_dir, sim):
    (sweep_dir / "sweep.yaml").write_text(
        "base: base.yaml\ngrid:\n  physics.cathode_potential: [0.01, 0.02]\n"
    )
    result = sim(
        "sweep", "sweep.yaml", "--jobs", "1", "--ranks", "2", "--out", "out", cwd=sweep_dir, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = summaries(sweep_dir / "out")
    assert [s["mpi_ranks"] for s in found.values()] == [2, 2]
    j = [s["metrics"]["current_density_A_m2"] for s in found.values()]
    assert j[1] == pytest.approx(2 * j[0], rel=1e-8)  # ohmic: the current doubles with the voltage


def test_ctrl_c_keeps_finished_points(sweep_dir, sim, sim_argv):
    """Ctrl-C during the slow second point: exit 130, the first point stays ok, the second says
    it was interrupted, the others never started; meanwhile a second `sim sweep` on the same
    directory is refused (exit 2)."""
    (sweep_dir / "sweep.yaml").write_text(
        "base: base.yaml\nzip:\n  geometry.mesh.size: [2.5e-6, 0.06e-6, 2.4e-6, 2.3e-6]\n"
    )
    process = subprocess.Popen(
        sim_argv("sweep", "sweep.yaml", "--jobs", "1", "--out", "out"),
        cwd=sweep_dir,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    out = sweep_dir / "out"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if out.joinpath("points.json").exists():
            ids = [p["id"] for p in json.loads((out / "points.json").read_text())["points"]]
            if (out / ids[1] / ".lock").exists():  # claimed; it meshes before log.txt exists
                break
        time.sleep(0.2)
    else:
        process.kill()
        pytest.fail("the second point never started")
    second_run = sim("sweep", "sweep.yaml", "--jobs", "1", "--out", "out", cwd=sweep_dir, check=False)
    assert second_run.returncode == 2 and "is in use by another `sim sweep run`" in second_run.stderr
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=120)
    assert process.returncode == 130, output
    assert json.loads((out / ids[0] / "summary.json").read_text())["status"] == "ok"
    second = out / ids[1] / "summary.json"
    assert json.loads(second.read_text())["status"] == "interrupted"
    assert not (out / ids[2]).exists() and not (out / ids[3]).exists()
