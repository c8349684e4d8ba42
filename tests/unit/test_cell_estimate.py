"""The max_cells guard's estimate (sim.config.geometry.cells) against gmsh's real triangle counts:
on the high side (ratio ≥ 1) and not far off (ratio ≤ 2.5); measured 1.02–1.86 on shipped configs."""

from pathlib import Path

import pytest
from mpi4py import MPI

from sim.config import load_config
from sim.config.geometry.cells import estimate_cells
from sim.mesh import build_mesh

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize(
    "name",
    ["seed002_bilayer", "peo_100x20", "plm_20x5p6", "pl_lfp_cathode", "examples/peo_mof_fillers_100x20"],
)
def test_estimate_is_high_but_close(name):
    geometry = load_config(CONFIGS / f"{name}.yaml").config.geometry
    cells = build_mesh(geometry, MPI.COMM_SELF).mesh.topology.index_map(2).size_global
    ratio = estimate_cells(geometry) / cells
    assert 1.0 <= ratio <= 2.5, (cells, estimate_cells(geometry))


def test_guard_refuses_before_meshing():
    with pytest.raises(Exception, match="max_cells = 1000000"):
        load_config(
            CONFIGS / "seed002_bilayer.yaml", ["geometry.mesh.size=1e-8", "geometry.mesh.min_size=1e-8"]
        )
    loaded = load_config(
        CONFIGS / "seed002_bilayer.yaml",
        ["geometry.mesh.size=1e-7", "geometry.mesh.min_size=1e-7", "geometry.mesh.max_cells=1000000000"],
    )
    assert loaded.config.geometry.mesh.max_cells == 10**9
