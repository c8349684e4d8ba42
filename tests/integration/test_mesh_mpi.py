"""The mesh built on 1 and 2 MPI ranks: same total areas, cell and facet counts per named group."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).with_name("mesh_mpi_script.py")


def run(mpiexec: str, ranks: int, argument: str) -> str:
    result = subprocess.run(
        [mpiexec, "-n", str(ranks), sys.executable, str(SCRIPT), argument],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def summary(mpiexec: str, ranks: int, directory: Path) -> dict:
    return json.loads(run(mpiexec, ranks, str(directory)).strip().splitlines()[-1])


@pytest.mark.mpi
def test_two_ranks_match_one(tmp_path, mpiexec_path):
    serial, parallel = summary(mpiexec_path, 1, tmp_path / "n1"), summary(mpiexec_path, 2, tmp_path / "n2")
    assert set(serial) == set(parallel) == {"slab", "layers", "particles", "dendrite"}
    for kind in serial:
        one, two = serial[kind], parallel[kind]
        assert one["regions"] == two["regions"] and one["boundaries"] == two["boundaries"]
        for name, area in one["areas"].items():
            assert two["areas"][name] == pytest.approx(area, rel=1e-12), (kind, name)
        for key in ("num_cells", "num_vertices", "regions", "boundaries"):
            assert two["summary"][key] == one["summary"][key], (kind, key)
        assert all(n > 0 for n in one["summary"]["boundaries"].values()), kind
        assert two["min_owned_cells"] > 0, kind  # really distributed
    names = ["slab.msh", "slab.vtu", "slab_boundaries.vtu"]
    for files, directory in ((serial["slab"]["files"], "n1"), (parallel["slab"]["files"], "n2")):
        assert [Path(f).name for f in files] == names
        assert all((tmp_path / directory / name).stat().st_size > 0 for name in names)

    import meshio
    import numpy as np

    for name, key, ids in (
        ("slab.vtu", "region_id", "regions"),
        ("slab_boundaries.vtu", "boundary_id", "boundaries"),
    ):
        one, two = (meshio.read(tmp_path / d / name) for d in ("n1", "n2"))
        assert len(two.points) == len(one.points) and len(two.cells[0].data) == len(one.cells[0].data)
        assert set(np.unique(two.cell_data[key][0])) == set(serial["slab"][ids].values())
    one = meshio.read(tmp_path / "n1" / "slab.vtu")
    assert len(one.cells[0].data) == serial["slab"]["summary"]["num_cells"]
    assert len(one.points) == serial["slab"]["summary"]["num_vertices"]


@pytest.mark.mpi
def test_build_error_reaches_every_rank(mpiexec_path):
    output = run(mpiexec_path, 2, "fail")
    # the two ranks print concurrently, so their lines may interleave: split at each "rank N:"
    reports = {
        int(m.group(1)): m.group(2)
        for m in re.finditer(r"rank (\d): (.*?)(?=rank \d:|$)", output, flags=re.S)
    }
    assert sorted(reports) == [0, 1], output
    for text in reports.values():
        assert "GeometryError" in text and "cannot reach volume_fraction 0.7" in text
