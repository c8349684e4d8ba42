"""NPP on 1 and 2 MPI ranks gives the same answer to solver tolerance (slab with a Li bump, the
layered PLM with Donnan jumps between layers, and the composite cathode with sub-meshes coupled
across the particle surface)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from test_mesh_mpi import mpiexec

ROOT = Path(__file__).resolve().parents[2]
CASES = {
    "peo_100x20": ["geometry.mesh.size=8.0e-6", "geometry.mesh.min_size=1.0e-6"],
    "plm_20x5p6": ["geometry.mesh.size=2.0e-6", "geometry.mesh.min_size=0.2e-6"],
    "pl_lfp_cathode": [
        "geometry.mesh.size=4.0e-6",
        "geometry.mesh.min_size=1.0e-6",
        "physics.time.t_end=2.0",
    ],
}


def run(ranks: int, name: str, out: Path) -> dict:
    sets = [
        arg for s in CASES[name] + ["output.figures=false", "output.fields=false"] for arg in ("--set", s)
    ]
    cmd = [
        mpiexec(),
        "-n",
        str(ranks),
        sys.executable,
        "-m",
        "sim.cli",
        "run",
        str(ROOT / "configs" / f"{name}.yaml"),
        "--out",
        str(out),
        "--quiet",
        *sets,
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads((out / "summary.json").read_text())


@pytest.mark.mpi
@pytest.mark.parametrize("name", list(CASES))
def test_one_and_two_ranks_agree(name, tmp_path):
    one, two = run(1, name, tmp_path / "n1"), run(2, name, tmp_path / "n2")
    assert two["mpi_ranks"] == 2 and one["num_dofs"] == two["num_dofs"]
    for key, value in one["metrics"].items():
        if key.endswith("rel_error"):
            assert two["metrics"][key] < 1e-8, key
        else:
            assert two["metrics"][key] == pytest.approx(value, rel=1e-7, abs=1e-12), key
