"""Meshes that follow an interface (sim.adapt): refinement keeps the tags, is the same on 1 and 2
ranks, puts the finest cells over the whole band, coarsens by rebuilding from the base mesh, and
moves fields between the meshes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sim._dolfinx import dolfinx  # noqa: F401  (loads the wheel's MPI before dolfinx)

import numpy as np
import pytest
import ufl
from conftest import mpiexec
from dolfinx import fem, mesh
from mpi4py import MPI

from sim import adapt, checkpoint
from sim.mesh import MeshBundle, assembled

WIDTH = 0.15  # interface width parameter of the tanh profile (mesh units)
H0 = 0.5  # base cell size
LEVELS = 3


def base_bundle(comm=MPI.COMM_WORLD) -> MeshBundle:
    m = mesh.create_rectangle(comm, [[0, 0], [20, 5]], [40, 10], ghost_mode=mesh.GhostMode.none)
    n = m.topology.index_map(2).size_local
    cells = mesh.meshtags(m, 2, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.int32))
    m.topology.create_connectivity(1, 2)
    bottom = mesh.locate_entities_boundary(m, 1, lambda x: np.isclose(x[1], 0))
    facets = mesh.meshtags(m, 1, bottom, np.full(len(bottom), 7, dtype=np.int32))
    return MeshBundle(m, cells, facets, {"electrolyte": 1}, {"anode": 7})


def xi_on(bundle: MeshBundle, height: float) -> fem.Function:
    xi = fem.Function(fem.functionspace(bundle.mesh, ("Lagrange", 1)))
    xi.interpolate(lambda x: 0.5 * (1 - np.tanh((x[1] - height - 0.5 * np.sin(x[0] / 3)) / (2 * WIDTH))))
    return xi


def band(height: float):
    def mark(bundle: MeshBundle) -> np.ndarray:
        xi = xi_on(bundle, height)
        indicator = fem.Function(xi.function_space)
        indicator.x.array[:] = xi.x.array * (1 - xi.x.array)
        return adapt.band_cells(bundle, indicator, threshold=1e-3, layers=1)

    return mark


def cell_areas(bundle: MeshBundle) -> tuple[np.ndarray, np.ndarray]:
    """(area, midpoint y) of each owned cell."""
    m = bundle.mesh
    n = m.topology.index_map(2).size_local
    x = m.geometry.x[m.geometry.dofmaps[0][:n]][:, :, :2]
    a, b = x[:, 1] - x[:, 0], x[:, 2] - x[:, 0]
    return 0.5 * np.abs(a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]), x[:, :, 1].mean(axis=1)


def test_tags_go_with_the_refinement_and_fields_transfer() -> None:
    base = base_bundle()
    fine, _ = adapt.adapted(base, band(2.5), LEVELS)
    ds = ufl.Measure("ds", fine.mesh, subdomain_data=fine.facet_tags)
    dx = ufl.Measure("dx", fine.mesh, subdomain_data=fine.cell_tags)
    one = fem.Constant(fine.mesh, 1.0)
    assert assembled(fem.form(one * ufl.dx(domain=fine.mesh))) == pytest.approx(100.0, rel=1e-13)
    length = MPI.COMM_WORLD.allreduce(fem.assemble_scalar(fem.form(one * ds(7))), op=MPI.SUM)
    area = MPI.COMM_WORLD.allreduce(fem.assemble_scalar(fem.form(one * dx(1))), op=MPI.SUM)
    assert length == pytest.approx(20.0, rel=1e-13) and area == pytest.approx(100.0, rel=1e-13)
    # nested meshes: fine → base at the shared vertices is exact (measured 1.3e-15)
    back = fem.Function(fem.functionspace(base.mesh, ("Lagrange", 1)))
    adapt.transfer({"xi": xi_on(fine, 2.5)}, {"xi": back})
    assert np.abs(back.x.array - xi_on(base, 2.5).x.array).max() < 1e-13
    # base → fine is P1 interpolation of the coarse field: its mean is kept to O(h0²)
    up = fem.Function(fem.functionspace(fine.mesh, ("Lagrange", 1)))
    adapt.transfer({"xi": xi_on(base, 2.5)}, {"xi": up})
    coarse = assembled(fem.form(xi_on(base, 2.5) * ufl.dx))
    assert assembled(fem.form(up * ufl.dx)) == pytest.approx(coarse, rel=1e-12)


def test_finest_cells_cover_the_band_and_coarsening_rebuilds() -> None:
    base = base_bundle()
    fine, level = adapt.adapted(base, band(2.5), LEVELS)
    area, y = cell_areas(fine)
    coarse = H0**2 / 2
    # every cell of the band (ξ(1 − ξ) ≥ 1e-3 reaches ±1.04 µm about the wavy interface at 2.5 ± 0.5)
    # is split into 4^LEVELS
    in_band = np.abs(y - 2.5) < 0.5
    assert in_band.any() and area[in_band].max() <= coarse / 4**LEVELS * (1 + 1e-9)
    assert (level[in_band] == LEVELS).all() and (level[area >= coarse * (1 - 1e-9)] == 0).all()
    # the band and its buffer reach below y = 1
    low = y < 1.0
    assert low.any() and area[low].min() < coarse / 4
    # the interface moves up by 1.5 µm: the rebuild from the base mesh refines the new band and
    # leaves no fine cells behind
    moved, _ = adapt.adapted(base, band(4.0), LEVELS)
    area, y = cell_areas(moved)
    in_band = np.abs(y - 4.0) < 0.5
    assert in_band.any() and area[in_band].max() <= coarse / 4**LEVELS * (1 + 1e-9)
    low = y < 1.0
    assert low.any() and area[low].min() >= coarse * (1 - 1e-9)


def test_a_band_narrower_than_a_cell_is_marked_by_the_phase_range() -> None:
    """A straight front at y = 2.25, between the vertex rows 2.0 and 2.5 of the 0.5 µm base mesh,
    with a band (ξ(1 − ξ) ≥ 1e-3: ±0.069 µm) far narrower than a cell: no vertex value reaches
    the threshold, the phase spans it over the cells of that row only."""
    bundle = base_bundle()
    V = fem.functionspace(bundle.mesh, ("Lagrange", 1))
    xi, indicator = fem.Function(V), fem.Function(V)
    xi.interpolate(lambda x: 0.5 * (1 - np.tanh((x[1] - 2.25) / 0.01)))
    indicator.x.array[:] = xi.x.array * (1 - xi.x.array)
    assert len(adapt.band_cells(bundle, indicator, 1e-3, 0)) == 0
    cells = adapt.band_cells(bundle, indicator, 1e-3, 0, phase=xi)
    _, y = cell_areas(bundle)
    row = np.flatnonzero(np.abs(y - 2.25) < 0.25)
    assert MPI.COMM_WORLD.allreduce(len(cells)) == 2 * 40 and np.array_equal(np.sort(cells), row)
    # the layers grow the phase-marked row as they grow a nodal band: one ring on each side
    grown = adapt.band_cells(bundle, indicator, 1e-3, 1, phase=xi)
    assert MPI.COMM_WORLD.allreduce(len(grown)) == 3 * 2 * 40


def test_detail_marks_the_cells_where_a_field_varies_more_than_the_tolerance() -> None:
    """No band (ξ = 0 everywhere); a detail field 0 for y ≤ 3 and rising with slope 0.1 per unit
    above: over the 0.5-high base cells above y = 3 it varies by 0.05, so a tolerance of 0.04
    marks exactly those cells (2 × 40 per row, 4 rows) and 0.06 none."""
    bundle = base_bundle()
    V = fem.functionspace(bundle.mesh, ("Lagrange", 1))
    xi, indicator, detail = fem.Function(V), fem.Function(V), fem.Function(V)
    detail.interpolate(lambda x: 0.1 * np.maximum(x[1] - 3.0, 0.0))
    assert len(adapt.band_cells(bundle, indicator, 1e-3, 0, xi)) == 0
    cells = adapt.band_cells(bundle, indicator, 1e-3, 0, xi, (detail, 0.04))
    _, y = cell_areas(bundle)
    assert np.array_equal(np.sort(cells), np.flatnonzero(y > 3.0))
    assert MPI.COMM_WORLD.allreduce(len(cells)) == 4 * 2 * 40
    assert (
        MPI.COMM_WORLD.allreduce(len(adapt.band_cells(bundle, indicator, 1e-3, 0, xi, (detail, 0.06)))) == 0
    )


def test_recorded_marks_rebuild_the_mesh_and_checkpoints_key_it_by_position(tmp_path: Path) -> None:
    """What sim.adaptive checkpoints: the cells split at each level (by position) rebuild the same
    mesh from the base mesh; a field saved keyed by vertex position fills it, and a mesh refined
    elsewhere is refused."""
    marks: list[np.ndarray] = []

    def recording(bundle: MeshBundle) -> np.ndarray:
        cells = band(2.5)(bundle)
        marks.append(adapt.cell_keys(bundle, cells))
        return cells

    fine, level = adapt.adapted(base_bundle(), recording, LEVELS)
    replay = iter(marks)
    again, again_level = adapt.adapted(base_bundle(), lambda b: adapt.cells_at(b, next(replay)), LEVELS)
    assert np.array_equal(again.mesh.geometry.x, fine.mesh.geometry.x) and np.array_equal(again_level, level)
    path, comm = tmp_path / "checkpoint.h5", MPI.COMM_WORLD
    checkpoint.save(path, {"xi": xi_on(fine, 2.5)}, {}, comm, {}, by_position=True)
    back = fem.Function(fem.functionspace(again.mesh, ("Lagrange", 1)))
    checkpoint.load(path, {"xi": back}, comm)
    assert np.array_equal(back.x.array, xi_on(again, 2.5).x.array)
    elsewhere, _ = adapt.adapted(base_bundle(), band(3.0), LEVELS)
    with pytest.raises(checkpoint.CheckpointMismatch, match="does not match this mesh"):
        checkpoint.load(path, {"xi": fem.Function(fem.functionspace(elsewhere.mesh, ("Lagrange", 1)))}, comm)


SCRIPT = """
import sys
sys.path[:0] = [{here!r}, {tests!r}, {root!r}]
from mpi4py import MPI
from test_adapt import adapt, band, base_bundle, LEVELS, refuses_a_ghosted_mesh
fine, _ = adapt.adapted(base_bundle(), band(2.5), LEVELS)
n = MPI.COMM_WORLD.allreduce(fine.mesh.topology.index_map(2).size_local, op=MPI.SUM)
if MPI.COMM_WORLD.rank == 0:
    print(n)
if MPI.COMM_WORLD.size > 1:  # a serial mesh has no ghost cells
    refuses_a_ghosted_mesh()
"""


@pytest.mark.parametrize("ranks", [1, 2])
def test_same_refinement_on_1_and_2_ranks(ranks: int, tmp_path: Path) -> None:
    here = Path(__file__).parent
    script = tmp_path / "refine.py"
    script.write_text(SCRIPT.format(here=str(here), tests=str(here.parent), root=str(here.parents[1])))
    argv = [sys.executable, str(script)]
    out = subprocess.run(
        argv if ranks == 1 else [mpiexec(), "-n", str(ranks), *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    serial, _ = adapt.adapted(base_bundle(MPI.COMM_SELF), band(2.5), LEVELS)
    assert int(out.stdout.split()[-1]) == serial.mesh.topology.index_map(2).size_local


def refuses_a_ghosted_mesh() -> None:
    """(run on 2 ranks by test_same_refinement_on_1_and_2_ranks)"""
    m = mesh.create_unit_square(MPI.COMM_WORLD, 4, 4, ghost_mode=mesh.GhostMode.shared_facet)
    n = m.topology.index_map(2).size_local
    tags = mesh.meshtags(m, 2, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.int32))
    bundle = MeshBundle(m, tags, mesh.meshtags(m, 1, np.zeros(0, np.int32), np.zeros(0, np.int32)), {}, {})
    with pytest.raises(ValueError, match="ghost"):
        adapt.refine_bundle(bundle, np.arange(n, dtype=np.int32))
