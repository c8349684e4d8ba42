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
    for files, directory in ((serial["slab"]["files"], "n1"), (parallel["slab"]["files"], "n2")):
        assert [Path(f).name for f in files] == ["slab.msh", "slab.xdmf"]
        assert all((tmp_path / directory / Path(f).name).stat().st_size > 0 for f in files)
        assert (tmp_path / directory / "slab.h5").exists()

    from sim._dolfinx import dolfinx  # noqa: F401

    from dolfinx.io import XDMFFile
    from mpi4py import MPI

    with XDMFFile(MPI.COMM_SELF, str(tmp_path / "n2" / "slab.xdmf"), "r") as xdmf:
        mesh = xdmf.read_mesh(name="mesh")
        mesh.topology.create_connectivity(1, 2)
        cells = xdmf.read_meshtags(mesh, name="cell_tags")
        facets = xdmf.read_meshtags(mesh, name="facet_tags")
    assert mesh.topology.index_map(2).size_global == serial["slab"]["summary"]["num_cells"]
    assert set(cells.values) == set(serial["slab"]["regions"].values())
    assert set(facets.values) == set(serial["slab"]["boundaries"].values())


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
