"""SLURM backend against a real single-node SLURM (munged, slurmctld, slurmd started for this
module from Debian's packages, installed when missing): a 3-point sweep as one job array with
2 MPI ranks per point, submitted held (status: pending; resubmitting adds nothing), released,
waited for, collected and checked; resubmission then skips the finished points. The daemons are
stopped by pid at the end."""

import csv
import json
import subprocess
import time
from pathlib import Path

import pytest
from slurm_cluster import SlurmCluster, unavailable

# one SLURM cluster (module fixture) for both tests: they stay on one pytest-xdist worker
pytestmark = [pytest.mark.mpi, pytest.mark.xdist_group("slurm")]


BASE = (Path(__file__).resolve().parents[1] / "data" / "tiny_layers.yaml").read_text()


SWEEP = """\
base: base.yaml
grid:
  physics.cathode_potential: [0.01, 0.02, 0.03]
slurm:
  ntasks: 2
  time: "00:05:00"
  sbatch: ["--comment=sim-sweep-test"]
"""


@pytest.fixture(scope="module")
def cluster():
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    slurm = SlurmCluster()
    try:
        slurm.start()
        yield slurm
    finally:
        slurm.stop()


def submit(sim, cluster, cwd, *args, check=False):
    """`sim sweep sweep.yaml --backend slurm --out out ARGS` in `cwd`, against `cluster`."""
    return sim(
        "sweep",
        "sweep.yaml",
        "--backend",
        "slurm",
        "--out",
        "out",
        *args,
        cwd=cwd,
        env=cluster.env,
        check=check,
    )


def wait_for(sim, cluster, cwd, timeout=300):
    """Poll `sim sweep status` until no point is pending, running or missing; returns the last."""
    deadline = time.monotonic() + timeout
    while True:
        status = sim("sweep", "status", "out", cwd=cwd, env=cluster.env, check=False)
        assert status.returncode == 0, status.stderr
        if not any(word in status.stdout for word in ("pending", "running", "missing")):
            return status
        if time.monotonic() > deadline:
            pytest.fail(f"sweep not finished after {timeout} s:\n{status.stdout}\n{cluster.logs()}")
        time.sleep(2)


def test_job_array_sweep(cluster, tmp_path, sim):
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "sweep.yaml").write_text(SWEEP)
    start = time.monotonic()
    result = submit(sim, cluster, tmp_path, "--sbatch=--hold", check=True)
    assert "submitted job array" in result.stdout, result.stdout
    out = tmp_path / "out"
    script = (out / "slurm" / "sweep.sbatch").read_text()
    assert "#SBATCH --array=0-2" in script and "#SBATCH --hold" in script

    # held in the queue: status says pending, and submitting again does not duplicate the points
    status = sim("sweep", "status", "out", cwd=tmp_path, env=cluster.env, check=False)
    assert "3 pending" in status.stdout and "slurm: PENDING" in status.stdout, status.stdout
    again = submit(sim, cluster, tmp_path)
    assert again.returncode == 0 and "0 to submit" in again.stdout, again.stdout
    job = json.loads((out / "slurm" / "jobs.json").read_text())[0]["job_id"]
    subprocess.run(["scontrol", "release", job], env=cluster.env, check=True, timeout=30)

    status = wait_for(sim, cluster, tmp_path)
    wall = time.monotonic() - start
    assert "3 ok" in status.stdout, status.stdout + "\n" + cluster.logs()

    points = json.loads((out / "points.json").read_text())["points"]
    summaries = [json.loads((out / p["id"] / "summary.json").read_text()) for p in points]
    assert [s["status"] for s in summaries] == ["ok"] * 3
    assert [s["mpi_ranks"] for s in summaries] == [2, 2, 2]  # srun started real 2-rank MPI runs
    for p in points:
        log = (out / "slurm").glob(f"*_{p['index']}.out")
        assert any(f"sweep point {p['id']}" in f.read_text() for f in log)

    result = sim("sweep", "collect", "out", cwd=tmp_path, env=cluster.env, check=False)
    assert result.returncode == 0, result.stderr
    with open(out / "sweep.csv") as f:
        table = list(csv.DictReader(f))
    assert [row["status"] for row in table] == ["ok"] * 3
    j = [float(row["current_density_A_m2"]) for row in table]
    assert j[1] == pytest.approx(2 * j[0], rel=1e-9) and j[2] == pytest.approx(3 * j[0], rel=1e-9)
    for row, s in zip(table, summaries, strict=False):
        assert float(row["effective_conductivity_S_m"]) == s["metrics"]["effective_conductivity_S_m"]
    # the series resistance of the two layers: sigma_eff = L / (l_a/sigma_a + l_b/sigma_b)
    sigma_a = float(summaries[0]["regions"]["a"]["conductivity_S_m"])
    expected = 10e-6 / (5e-6 / sigma_a + 5e-6 / 1e-3)
    assert float(table[0]["effective_conductivity_S_m"]) == pytest.approx(expected, rel=1e-8)

    # submitting again finds nothing to do
    result = submit(sim, cluster, tmp_path)
    assert result.returncode == 0 and "0 to submit" in result.stdout, result.stdout
    assert len(json.loads((out / "slurm" / "jobs.json").read_text())) == 1
    print(f"SLURM sweep of 3 points x 2 ranks: {wall:.1f} s from sbatch to all summaries")


def test_mpiexec_launcher(cluster, tmp_path, sim):
    """The venv's mpiexec (MPICH hydra) inside an array task starts real 2-rank runs too."""
    (tmp_path / "base.yaml").write_text(BASE)
    (tmp_path / "sweep.yaml").write_text(
        SWEEP.replace("[0.01, 0.02, 0.03]", "[0.05]") + "  launcher: mpiexec\n"
    )
    submit(sim, cluster, tmp_path, check=True)
    assert "mpiexec" in (tmp_path / "out" / "slurm" / "sweep.sbatch").read_text()
    assert "1 ok" in wait_for(sim, cluster, tmp_path).stdout
    (point,) = json.loads((tmp_path / "out" / "points.json").read_text())["points"]
    summary = json.loads((tmp_path / "out" / point["id"] / "summary.json").read_text())
    assert summary["status"] == "ok" and summary["mpi_ranks"] == 2
