"""The mesh cache: a geometry built once is read back identical; another geometry or code gets its
own entry; SIM_MESH_CACHE=off builds every time."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI

from sim.config.geometry import SlabGeometry
from sim.mesh import build_mesh, mesh_cache_dir, mesh_summary

SLAB = {
    "kind": "slab",
    "width": 20e-6,
    "height": 10e-6,
    "inclusions": [{"shape": "ellipse", "center": [10e-6, 5e-6], "semi_axes": [3e-6, 2e-6]}],
    "mesh": {"size": 1e-6, "min_size": 0.5e-6},
}


def _mesh(monkeypatch, cache, **changes):
    monkeypatch.setenv("SIM_MESH_CACHE", str(cache))
    return build_mesh(SlabGeometry.model_validate(SLAB | changes), MPI.COMM_WORLD)


def test_cached_mesh_is_identical(monkeypatch, tmp_path):
    first = _mesh(monkeypatch, tmp_path)
    assert not first.from_cache and len(list(tmp_path.glob("*.msh"))) == 1
    again = _mesh(monkeypatch, tmp_path)
    assert again.from_cache
    assert np.array_equal(first.mesh.geometry.x, again.mesh.geometry.x)  # binary .msh: exact
    assert np.array_equal(first.cell_tags.values, again.cell_tags.values)
    assert np.array_equal(first.facet_tags.indices, again.facet_tags.indices)
    assert first.regions == again.regions and first.boundaries == again.boundaries
    if MPI.COMM_WORLD.rank == 0:
        assert first.cad_areas == again.cad_areas and first.expected_areas == again.expected_areas
    summary = mesh_summary(again)
    assert summary["from_cache"] and summary["regions"] == mesh_summary(first)["regions"]


def test_other_geometry_gets_its_own_entry(monkeypatch, tmp_path):
    _mesh(monkeypatch, tmp_path)
    other = _mesh(monkeypatch, tmp_path, height=12e-6)
    assert not other.from_cache and len(list(tmp_path.glob("*.msh"))) == 2


def test_cache_off(monkeypatch, tmp_path):
    monkeypatch.setenv("SIM_MESH_CACHE", "off")
    assert mesh_cache_dir() is None
    bundle = build_mesh(SlabGeometry.model_validate(SLAB), MPI.COMM_WORLD)
    assert not bundle.from_cache and not list(tmp_path.iterdir())
