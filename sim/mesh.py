"""Geometry config → gmsh model (rank 0) → distributed DOLFINx mesh with named tags; mesh files.

    bundle = build_mesh(config.geometry, MPI.COMM_WORLD)
    cells = region_cells(bundle, "electrolyte")          # local cell indices
    anode = boundary_facets(bundle, "anode")             # local facet indices
    dx = ufl.Measure("dx", bundle.mesh, subdomain_data=bundle.cell_tags)
    dx(bundle.regions["electrolyte"])

Mesh coordinates are in micrometres: multiply by `bundle.length_scale` (1e-6) for metres.
"""

from __future__ import annotations

import os
import signal
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from mpi4py import MPI

from sim._dolfinx import dolfinx  # noqa: I001  (must precede any other dolfinx import)
import dolfinx.io.gmsh  # noqa: E402
from dolfinx.io import XDMFFile
from dolfinx.mesh import GhostMode, Mesh, MeshTags, create_cell_partitioner

from sim.geometry.common import GeometryError

LENGTH_SCALE = 1e-6
"""metres per mesh coordinate unit (the mesh is in µm)"""


@dataclass
class MeshBundle:
    """A distributed mesh with its region (cell) and boundary (facet) tags, looked up by name."""

    mesh: Mesh
    cell_tags: MeshTags
    facet_tags: MeshTags
    regions: dict[str, int]
    """region name → cell tag"""
    boundaries: dict[str, int]
    """boundary/interface name → facet tag"""
    length_scale: float = LENGTH_SCALE
    """metres per mesh coordinate unit"""
    expected_areas: dict[str, float] = field(default_factory=dict)
    """analytic area of each region in m² (rank 0 only; empty elsewhere)"""
    cad_areas: dict[str, float] = field(default_factory=dict)
    """area of each region in m² from the CAD surfaces (gmsh OCC; rank 0 only)"""
    msh: bytes | None = field(default=None, repr=False)
    """the gmsh .msh file contents (rank 0, only with build_mesh(..., keep_model=True))"""


def _build_model(geometry_cfg: Any, verbose: bool, keep_model: bool) -> tuple[dict, dict, bytes | None]:
    """Rank 0: build and mesh the gmsh model; returns (expected areas, CAD areas, .msh or None)."""
    import gmsh

    from sim.geometry import build, region_cad_areas

    gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
    gmsh.model.add(geometry_cfg.kind)
    areas = build(geometry_cfg, LENGTH_SCALE)
    msh = None
    if keep_model:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "mesh.msh")
            gmsh.write(path)
            msh = Path(path).read_bytes()
    return areas, region_cad_areas(LENGTH_SCALE), msh


def build_mesh(geometry_cfg: Any, comm: MPI.Comm = MPI.COMM_WORLD,
               ghost_mode: GhostMode = GhostMode.shared_facet, keep_model: bool = False,
               verbose: bool = False) -> MeshBundle:
    """Build the geometry with gmsh on rank 0 and distribute the mesh over `comm` (collective).

    keep_model: keep the .msh contents in the bundle so `write_mesh` can write them.
    verbose: let gmsh print to the terminal.
    Errors while building are raised on every rank (`sim.geometry.GeometryError`, a ValueError,
    for a valid config whose geometry cannot be built, e.g. a random packing that cannot be placed).
    """
    import gmsh

    error: BaseException | None = None
    areas: dict[str, float] = {}
    cad: dict[str, float] = {}
    msh = None
    started = False
    if comm.rank == 0:
        started = not gmsh.isInitialized()
        if started:
            previous = signal.getsignal(signal.SIGTERM)
            gmsh.initialize(interruptible=False)
            signal.signal(signal.SIGTERM, previous)  # gmsh resets it; the run loop relies on it
        try:
            areas, cad, msh = _build_model(geometry_cfg, verbose, keep_model)
        except Exception as exc:  # reported on all ranks below
            error = exc
    failure = comm.bcast(None if error is None else (type(error).__name__, str(error)), root=0)
    try:
        if failure is not None:
            if error is not None:
                raise error
            if failure[0] == GeometryError.__name__:
                raise GeometryError(failure[1])
            raise RuntimeError(f"building the mesh failed on rank 0: {failure[0]}: {failure[1]}")
        data = dolfinx.io.gmsh.model_to_mesh(gmsh.model if comm.rank == 0 else None, comm, 0, gdim=2,
                                             partitioner=create_cell_partitioner(ghost_mode, 2))
    finally:
        if comm.rank == 0:
            if started:
                gmsh.finalize()
            elif gmsh.isInitialized():
                gmsh.model.remove()
    groups = data.physical_groups
    regions = {name: int(tag) for name, (dim, tag) in groups.items() if dim == 2}
    boundaries = {name: int(tag) for name, (dim, tag) in groups.items() if dim == 1}
    mesh = data.mesh
    mesh.name = "mesh"
    data.cell_tags.name = "cell_tags"
    data.facet_tags.name = "facet_tags"
    mesh.topology.create_connectivity(mesh.topology.dim - 1, mesh.topology.dim)
    return MeshBundle(mesh, data.cell_tags, data.facet_tags, regions, boundaries, LENGTH_SCALE,
                      areas, cad, msh)


def write_mesh(bundle: MeshBundle, directory: str | Path, name: str) -> list[Path]:
    """Write `<name>.msh` (if the bundle kept it) and `<name>.xdmf` (+ .h5) with the mesh and its
    tags ("cell_tags", "facet_tags"); collective. Returns the paths written.

    Coordinates in both files are in mesh units (micrometres, see `bundle.length_scale`); the .msh
    has the named physical groups, the XDMF tags use the same numbers (`bundle.regions`,
    `bundle.boundaries`).
    """
    directory = Path(directory)
    comm = bundle.mesh.comm
    if comm.rank == 0:
        directory.mkdir(parents=True, exist_ok=True)
    comm.barrier()
    paths = []
    has_msh = comm.bcast(bundle.msh is not None, root=0)
    if has_msh:
        path = directory / f"{name}.msh"
        if comm.rank == 0:
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(bundle.msh)
            tmp.replace(path)
        paths.append(path)
    else:
        warnings.warn("the .msh file is only written for meshes built with keep_model=True",
                      stacklevel=2)
    path = directory / f"{name}.xdmf"
    with XDMFFile(comm, path, "w") as xdmf:
        xdmf.write_mesh(bundle.mesh)
        xdmf.write_meshtags(bundle.cell_tags, bundle.mesh.geometry)
        xdmf.write_meshtags(bundle.facet_tags, bundle.mesh.geometry)
    paths.append(path)
    comm.barrier()
    return paths


def _lookup(names: dict[str, int], kind: str, name: str) -> int:
    if name not in names:
        raise ValueError(f"unknown {kind} '{name}'; known: {', '.join(names) or '(none)'}")
    return names[name]


def region_cells(bundle: MeshBundle, name: str) -> np.ndarray:
    """Local indices (owned and ghost) of the cells of region `name`."""
    return bundle.cell_tags.find(_lookup(bundle.regions, "region", name))


def boundary_facets(bundle: MeshBundle, name: str) -> np.ndarray:
    """Local indices (owned and ghost) of the facets of boundary or interface `name`."""
    return bundle.facet_tags.find(_lookup(bundle.boundaries, "boundary", name))


def _global_count(bundle: MeshBundle, dim: int, entities: np.ndarray) -> int:
    size_local = bundle.mesh.topology.index_map(dim).size_local
    return bundle.mesh.comm.allreduce(int(np.count_nonzero(entities < size_local)), op=MPI.SUM)


def mesh_summary(bundle: MeshBundle) -> dict[str, Any]:
    """Global counts and element sizes (m), and the cell/facet count per named group (collective)."""
    mesh, comm = bundle.mesh, bundle.mesh.comm
    tdim = mesh.topology.dim
    cells = np.arange(mesh.topology.index_map(tdim).size_local, dtype=np.int32)
    h = mesh.h(tdim, cells) if cells.size else np.zeros(0)
    hmin = comm.allreduce(float(h.min()) if h.size else np.inf, op=MPI.MIN)
    hmax = comm.allreduce(float(h.max()) if h.size else 0.0, op=MPI.MAX)
    return {
        "num_cells": mesh.topology.index_map(tdim).size_global,
        "num_vertices": mesh.topology.index_map(0).size_global,
        "hmin_m": hmin * bundle.length_scale,
        "hmax_m": hmax * bundle.length_scale,
        "regions": {name: _global_count(bundle, tdim, region_cells(bundle, name))
                    for name in bundle.regions},
        "boundaries": {name: _global_count(bundle, tdim - 1, boundary_facets(bundle, name))
                       for name in bundle.boundaries},
    }
