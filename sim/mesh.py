"""Geometry config → gmsh model (rank 0) → distributed DOLFINx mesh with named tags; mesh files.

    bundle = build_mesh(config.geometry, MPI.COMM_WORLD)
    cells = region_cells(bundle, "electrolyte")          # local cell indices
    anode = boundary_facets(bundle, "anode")             # local facet indices
    dx = ufl.Measure("dx", bundle.mesh, subdomain_data=bundle.cell_tags)
    dx(bundle.regions["electrolyte"])

Mesh coordinates are in micrometres: multiply by `bundle.length_scale` (1e-6) for metres.
A mesh built once is kept in the mesh cache (`mesh_cache_dir()`, keyed by the geometry section and
the geometry code) and read back by later runs of the same geometry, e.g. every point of a sweep
over physics parameters. gmsh meshes in a child process (`sim.mesh_worker`), so Ctrl-C and SIGTERM
stop a long meshing at once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import signal
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sim._dolfinx import dolfinx

import dolfinx.io.gmsh
import numpy as np
from dolfinx.mesh import GhostMode, Mesh, MeshTags, create_cell_partitioner
from mpi4py import MPI

from sim import interrupts
from sim.geometry.common import GeometryError
from sim.mesh_worker import LENGTH_SCALE


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
    """the gmsh .msh file contents, in metres (rank 0, only with build_mesh(..., keep_model=True))"""
    from_cache: bool = False
    """the gmsh mesh was read from the mesh cache (`mesh_cache_dir`) instead of being generated"""


def mesh_cache_dir() -> Path | None:
    """Where meshes are kept for reuse: $SIM_MESH_CACHE (``off`` disables), else ~/.cache/sim/meshes."""
    value = os.environ.get("SIM_MESH_CACHE", "")
    if value.lower() in ("off", "0", "no", "false"):
        return None
    return Path(value) if value else Path.home() / ".cache" / "sim" / "meshes"


@functools.cache
def _code_hash() -> str:
    """gmsh version + the geometry code: a cached mesh is reused only with the code that made it."""
    import gmsh

    digest = hashlib.sha256(gmsh.__version__.encode())
    root = Path(__file__).parent
    for path in sorted(
        [
            *(root / "geometry").glob("*.py"),
            *(root / "config" / "geometry").glob("*.py"),
            root / "config" / "shapes.py",
            root / "mesh_worker.py",
            Path(__file__),
        ]
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def mesh_key(geometry_cfg: Any) -> str:
    """The mesh's identity: the geometry section + gmsh version + geometry code (the cache key; also
    stored in checkpoints, so `--resume` refuses a checkpoint made on another mesh)."""
    return hashlib.sha256((geometry_cfg.model_dump_json() + _code_hash()).encode()).hexdigest()[:32]


def _store(source: Path, directory: Path, key: str) -> None:
    """Copy <key>.msh and <key>.json from `source` into the cache, each via a unique temporary file
    and a rename (concurrent sweep points may build the same mesh); no temporary file stays."""
    import shutil

    directory.mkdir(parents=True, exist_ok=True)
    for suffix in (".msh", ".json"):
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=suffix)
        os.close(fd)
        try:
            shutil.copyfile(source / f"{key}{suffix}", tmp)
            os.replace(tmp, directory / f"{key}{suffix}")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _mesh_in_child(geometry_cfg: Any, scratch: Path, key: str, verbose: bool) -> None:
    """Mesh in `python -m sim.mesh_worker` (interruptible: a signal here kills the child and is
    raised as KeyboardInterrupt); GeometryError/RuntimeError if the child fails."""
    import subprocess
    import sys

    (scratch / "geometry.json").write_text(geometry_cfg.model_dump_json())
    args = [str(scratch / "geometry.json"), str(scratch), key, str(os.getpid())]
    with open(scratch / "stderr.txt", "w") as err:
        child = subprocess.Popen(
            [sys.executable, "-m", "sim.mesh_worker", *args, *(["--verbose"] if verbose else [])],
            stdin=subprocess.DEVNULL,
            stdout=None if verbose else subprocess.DEVNULL,
            stderr=err,
        )
        try:
            code = child.wait()
        except BaseException:
            child.kill()
            child.wait()
            raise
    if code == 0:
        return
    if (scratch / "error.json").exists():
        raise GeometryError(json.loads((scratch / "error.json").read_text())["message"])
    tail = (scratch / "stderr.txt").read_text(errors="replace").strip().splitlines()[-1:]
    raise RuntimeError(f"gmsh meshing failed (exit {code}): {tail[0] if tail else 'no message'}")


def _build_model(geometry_cfg: Any, verbose: bool, keep_model: bool) -> tuple[dict, dict, bytes | None, bool]:
    """Rank 0: mesh the geometry in a child process, or take the cached mesh made from the same
    geometry section and code, and open it in gmsh; returns (expected areas, CAD areas, .msh or
    None, taken from the cache)."""
    import gmsh

    gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
    # a file's mesh is only converted (and may change under its path): never cached
    cache = mesh_cache_dir() if geometry_cfg.kind != "file" else None
    key = mesh_key(geometry_cfg)
    with tempfile.TemporaryDirectory(prefix="sim-mesh-") as tmp:
        scratch = Path(tmp)
        source = scratch
        if cache is not None and (cache / f"{key}.json").exists() and (cache / f"{key}.msh").exists():
            source = cache
        cached = source is cache
        if not cached:
            _mesh_in_child(geometry_cfg, scratch, key, verbose)
            if cache is not None:
                try:
                    _store(scratch, cache, key)
                except OSError as exc:  # a read-only or full disk costs the reuse, not the run
                    warnings.warn(
                        f"mesh cache not written ({exc}); set SIM_MESH_CACHE=off to skip it", stacklevel=2
                    )
        meta = json.loads((source / f"{key}.json").read_text())
        gmsh.open(str(source / f"{key}.msh"))
    return meta["areas"], meta["cad_areas"], _model_msh() if keep_model else None, cached


def _model_msh() -> bytes:
    """The current gmsh model as .msh file contents for other tools: coordinates in metres (gmsh
    scales the nodes while saving, Mesh.ScalingFactor; the model stays in mesh units) and format 2.2,
    which meshio 5.3 converts to other formats (its reader of format 4.1 adds a cell set
    "gmsh:bounding_entities" that its own .vtu writer then fails on)."""
    import gmsh

    saved = {name: gmsh.option.getNumber(name) for name in ("Mesh.ScalingFactor", "Mesh.MshFileVersion")}
    gmsh.option.setNumber("Mesh.ScalingFactor", LENGTH_SCALE)
    gmsh.option.setNumber("Mesh.MshFileVersion", 2.2)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "mesh.msh")
            gmsh.write(path)
            return Path(path).read_bytes()
    finally:
        for name, value in saved.items():
            gmsh.option.setNumber(name, value)


def build_mesh(
    geometry_cfg: Any,
    comm: MPI.Comm = MPI.COMM_WORLD,
    ghost_mode: GhostMode = GhostMode.shared_facet,
    keep_model: bool = False,
    verbose: bool = False,
) -> MeshBundle:
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
    cached = False
    started = False
    if comm.rank == 0:
        started = not gmsh.isInitialized()
        if started:
            previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
            gmsh.initialize(interruptible=False)
            for sig, handler in previous.items():  # gmsh resets them; the run loop relies on them
                signal.signal(sig, handler)
        try:
            areas, cad, msh, cached = _build_model(geometry_cfg, verbose, keep_model)
        except BaseException as exc:  # reported on all ranks below (an interrupt too: no rank waits)
            error = exc
    failure = comm.bcast(None if error is None else (type(error).__name__, str(error)), root=0)
    try:
        if failure is not None:
            if error is not None:
                raise error
            if failure[0] == GeometryError.__name__:
                raise GeometryError(failure[1])
            if failure[0] == KeyboardInterrupt.__name__:
                raise KeyboardInterrupt
            raise RuntimeError(f"building the mesh failed on rank 0: {failure[0]}: {failure[1]}")
        gdim = comm.bcast(gmsh.model.getDimension() if comm.rank == 0 else None, root=0)
        with interrupts.deferred():  # collective C++ conversion: a signal waits for its end
            data = dolfinx.io.gmsh.model_to_mesh(
                gmsh.model if comm.rank == 0 else None,
                comm,
                0,
                gdim=gdim,
                # the (mode, max_facet_to_cell_links) overload of a singledispatch function
                partitioner=create_cell_partitioner(ghost_mode, 2),  # type: ignore[call-arg]
            )
    finally:
        if comm.rank == 0:
            if started:
                gmsh.finalize()
            elif gmsh.isInitialized():
                gmsh.model.remove()
    if data.cell_tags is None or data.facet_tags is None:  # every geometry kind names its regions
        raise GeometryError("the gmsh model has no physical groups for cells or facets")
    groups = data.physical_groups
    mesh = data.mesh
    tdim = mesh.topology.dim
    regions = {name: int(tag) for name, (dim, tag) in groups.items() if dim == tdim}
    boundaries = {name: int(tag) for name, (dim, tag) in groups.items() if dim == tdim - 1}
    mesh.name = "mesh"
    data.cell_tags.name = "cell_tags"
    data.facet_tags.name = "facet_tags"
    mesh.topology.create_connectivity(mesh.topology.dim - 1, mesh.topology.dim)
    return MeshBundle(
        mesh,
        data.cell_tags,
        data.facet_tags,
        regions,
        boundaries,
        LENGTH_SCALE,
        areas,
        cad,
        msh,
        comm.bcast(cached, root=0),
    )


def write_mesh(bundle: MeshBundle, directory: str | Path, name: str) -> list[Path]:
    """Write the mesh for other tools, coordinates in metres (collective); returns the paths:

    - `<name>.msh` (gmsh, with the named physical groups; only if the bundle kept it),
    - `<name>.vtu`: the cells with cell data `region_id`,
    - `<name>_boundaries.vtu`: the tagged facets with cell data `boundary_id`,

    both .vtu with field data `region_id_<name>` / `boundary_id_<name>` = id and `length_unit_m` = 1
    (read by ParaView, pyvista and meshio; the ids are `bundle.regions` / `bundle.boundaries`).
    """
    from sim.files import atomic_write
    from sim.vtu import entity_grid, vtu_text

    directory = Path(directory)
    comm = bundle.mesh.comm
    if comm.rank == 0:
        directory.mkdir(parents=True, exist_ok=True)
    comm.barrier()
    paths = []
    has_msh = comm.bcast(bundle.msh is not None, root=0)
    if has_msh:
        path = directory / f"{name}.msh"
        if bundle.msh is not None:  # rank 0
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(bundle.msh)
            tmp.replace(path)
        paths.append(path)
    else:
        warnings.warn("the .msh file is only written for meshes built with keep_model=True", stacklevel=2)
    mesh, tdim = bundle.mesh, bundle.mesh.topology.dim
    names = {f"region_id_{n}": np.array([t], np.int32) for n, t in bundle.regions.items()}
    names |= {f"boundary_id_{n}": np.array([t], np.int32) for n, t in bundle.boundaries.items()}
    names["length_unit_m"] = np.array([1.0])
    for suffix, dim, tags, array in (
        ("", tdim, bundle.cell_tags, "region_id"),
        ("_boundaries", tdim - 1, bundle.facet_tags, "boundary_id"),
    ):
        owned = tags.indices < mesh.topology.index_map(dim).size_local
        entities = tags.indices[owned]
        grid = entity_grid(
            mesh, dim, entities, bundle.length_scale, {array: tags.values[owned].astype(np.int32)}
        )
        path = directory / f"{name}{suffix}.vtu"
        if grid is not None:
            grid.field_data = names
            atomic_write(path, vtu_text(grid))
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


def boundary_dofs(bundle: MeshBundle, space, name: str) -> np.ndarray:
    """Local dofs of `space` (a space, a subspace, or a (subspace, collapsed space) pair, as
    `locate_dofs_topological` takes them) on the facets of boundary or interface `name`."""
    fdim = bundle.mesh.topology.dim - 1
    return dolfinx.fem.locate_dofs_topological(space, fdim, boundary_facets(bundle, name))


def assembled(form: dolfinx.fem.Form) -> float:
    """The value of a compiled scalar form over the whole distributed mesh (collective)."""
    return form.mesh.comm.allreduce(dolfinx.fem.assemble_scalar(form), op=MPI.SUM)


def facet_indicator(
    V: dolfinx.fem.FunctionSpace, facets: np.ndarray, subs: tuple[int, ...] = ()
) -> dolfinx.fem.Function:
    """1 on the dofs of V (of its subspaces `subs`, if given) on the local `facets`, 0 elsewhere, on
    every rank that holds them: a rank that has such a dof but not its facet (a cell touching the
    boundary at a vertex only) gets it from the others (the test function of a consistent boundary
    flux)."""
    marker = dolfinx.fem.Function(V)
    fdim = V.mesh.topology.dim - 1
    for space in [V.sub(i) for i in subs] or [V]:
        marker.x.array[dolfinx.fem.locate_dofs_topological(space, fdim, facets)] = 1.0
    marker.x.scatter_reverse(dolfinx.la.InsertMode.add)
    marker.x.array[:] = marker.x.array > 0
    marker.x.scatter_forward()
    return marker


def boundary_indicator(
    V: dolfinx.fem.FunctionSpace, bundle: MeshBundle, name: str, subs: tuple[int, ...] = ()
) -> dolfinx.fem.Function:
    """`facet_indicator` of boundary `name`."""
    return facet_indicator(V, boundary_facets(bundle, name), subs)


def boundary_cells(bundle: MeshBundle, name: str) -> dolfinx.mesh.MeshTags:
    """The local cells (owned and ghost) with a vertex on boundary `name`, tagged 1: the band a
    consistent boundary flux is integrated over (`near_boundary`)."""
    mesh = bundle.mesh
    tdim = mesh.topology.dim
    V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
    marker = boundary_indicator(V, bundle, name)
    imap = mesh.topology.index_map(tdim)
    dofs = V.dofmap.list[: imap.size_local + imap.num_ghosts]
    cells = np.flatnonzero(marker.x.array[dofs].max(axis=1) > 0).astype(np.int32)
    return dolfinx.mesh.meshtags(mesh, tdim, cells, np.ones(cells.size, dtype=np.int32))


def near_boundary(form: Any, cells: dolfinx.mesh.MeshTags) -> Any:
    """`form` (cell integrals over the whole mesh) integrated over the `boundary_cells` band only:
    the same value where the integrand vanishes on every other cell, as a residual tested with a
    P1 function that is zero off that boundary's vertices (a consistent boundary flux), for the
    cost of a band of cells instead of the mesh."""
    import ufl

    integrals = form.integrals()
    if any(i.integral_type() != "cell" or i.subdomain_id() != "everywhere" for i in integrals):
        raise ValueError("near_boundary takes cell integrals over the whole mesh (dx) only")
    return ufl.Form([i.reconstruct(subdomain_id=1, subdomain_data=cells) for i in integrals])


def boundary_flux(
    residual: Any, indicator: Any, band: dolfinx.mesh.MeshTags, substitutions: Any = None
) -> Any:
    """The consistent boundary flux of `residual` (a form with one argument): its test function
    replaced by `indicator` (a `boundary_indicator`), any coefficient by `substitutions`
    ({coefficient: replacement}), integrated over the `boundary_cells` band (`near_boundary`)."""
    import ufl

    return near_boundary(
        ufl.replace(residual, {residual.arguments()[0]: indicator, **(substitutions or {})}), band
    )


def num_dofs(functions: list[dolfinx.fem.Function]) -> int:
    """Global number of unknowns of `functions` (blocked spaces counted per component)."""
    return sum(
        f.function_space.dofmap.index_map.size_global * f.function_space.dofmap.index_map_bs
        for f in functions
    )


def boundary_length(bundle: MeshBundle, name: str) -> float:
    """Length of boundary `name` in mesh units (collective)."""
    import ufl

    ds = ufl.Measure("ds", domain=bundle.mesh, subdomain_data=bundle.facet_tags)
    return assembled(dolfinx.fem.form(1.0 * ds(_lookup(bundle.boundaries, "boundary", name))))


def region_area(bundle: MeshBundle, name: str) -> float:
    """Area of region `name` in mesh units² (collective)."""
    import ufl

    dx = ufl.Measure("dx", domain=bundle.mesh, subdomain_data=bundle.cell_tags)
    return assembled(dolfinx.fem.form(1.0 * dx(_lookup(bundle.regions, "region", name))))


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
        "from_cache": bundle.from_cache,
        "num_cells": mesh.topology.index_map(tdim).size_global,
        "num_vertices": mesh.topology.index_map(0).size_global,
        "hmin_m": hmin * bundle.length_scale,
        "hmax_m": hmax * bundle.length_scale,
        "regions": {name: _global_count(bundle, tdim, region_cells(bundle, name)) for name in bundle.regions},
        "boundaries": {
            name: _global_count(bundle, tdim - 1, boundary_facets(bundle, name)) for name in bundle.boundaries
        },
    }


def named_entities(bundle: MeshBundle) -> dict[str, dict[str, dict[str, Any]]]:
    """The region and boundary name → {id, area_m2 / length_m} maps for summary.json (collective);
    the ids are the cell/facet tags, the `region_id` values of the field files."""
    scale = bundle.length_scale
    return {
        "regions": {
            name: {"id": tag, "area_m2": region_area(bundle, name) * scale**2}
            for name, tag in bundle.regions.items()
        },
        "boundaries": {
            name: {"id": tag, "length_m": boundary_length(bundle, name) * scale}
            for name, tag in bundle.boundaries.items()
        },
    }
