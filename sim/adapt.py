"""Meshes that follow a moving interface (issue 11): mark the cells near it, refine them with
DOLFINx's refinement, and move fields to the new mesh with DOLFINx's non-matching interpolation.

Coarsening is a rebuild: `adapted` always starts from the coarse base mesh and refines it `levels`
times, each level marking from the fields interpolated onto it, so cells the interface has left
return to the base size. Region and boundary tags go with every refinement (`refine_bundle`), so a
model builds its forms on the adapted mesh exactly as on a gmsh one. Marking is by vertex values
(a P1 indicator, and the order parameter's range over each cell, which catches a band narrower than
a coarse cell) and is dilated across ranks through the vertex index map, so the refined band does
not depend on the partition.

    fine = adapted(base, lambda b: band_cells(b, xi_on(b), threshold=1e-3, layers=2), levels=2)
    transfer({"xi": xi_old}, {"xi": xi_new})

The cells split at each level are recorded partition-independently by their centres (`cell_keys`)
and found again on the same mesh rebuilt on any partition (`cells_at`): a checkpoint rebuilds its
adapted mesh by replaying them on the base mesh (sim.adaptive).

What inventories the transfer must keep (∫ c + (c_s/c0) ξ, charge, …) is the model's business: it
measures them before and after, and corrects (e.g. a uniform shift of c; sim.adaptive).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

import numpy as np
from dolfinx import fem
from dolfinx.la import InsertMode
from dolfinx.mesh import RefinementOption, refine, transfer_meshtag
from mpi4py import MPI

from sim.checkpoint import quantized
from sim.mesh import MeshBundle


def refine_bundle(
    bundle: MeshBundle, cells: np.ndarray, levels: np.ndarray | None = None
) -> tuple[MeshBundle, np.ndarray]:
    """`bundle` with its local `cells` (and what conformity needs around them) split once, and the
    refinement level of each new cell (its parent's `levels`, default 0, plus one if the parent was
    split). The region and boundary tags are carried to the children. Children stay on their
    parent's rank and the mesh stays without ghost cells (DOLFINx transfers tags only on such
    meshes)."""
    mesh = bundle.mesh
    tdim = mesh.topology.dim
    if mesh.comm.allreduce(mesh.topology.index_map(tdim).num_ghosts, op=MPI.SUM):
        raise ValueError("adaptive meshes start from a base mesh without ghost cells (GhostMode.none)")
    mesh.topology.create_connectivity(tdim, 1)
    mesh.topology.create_connectivity(tdim - 1, tdim)
    cell_edges = mesh.topology.connectivity(tdim, 1)
    edges = np.unique(np.concatenate([cell_edges.links(c) for c in cells] + [np.zeros(0, np.int32)]))
    option = RefinementOption.parent_cell_and_facet
    fine, parent_cell, parent_facet = refine(mesh, edges.astype(np.int32), partitioner=None, option=option)
    fine.topology.create_connectivity(tdim - 1, tdim)
    parents = mesh.topology.index_map(tdim).size_local
    split = np.bincount(parent_cell, minlength=parents) > 1
    before = np.zeros(parents, dtype=np.int32) if levels is None else levels
    # parent_cell follows the refined cells as created; the mesh holds them reordered
    # (original_cell_index: their creation index, numbered across ranks)
    children = fine.topology.index_map(tdim).size_local
    created = np.asarray(fine.topology.original_cell_index[:children]) - (fine.comm.exscan(children) or 0)
    parent = parent_cell[created]
    refined = replace(
        bundle,
        mesh=fine,
        cell_tags=transfer_meshtag(bundle.cell_tags, fine, parent_cell),
        facet_tags=transfer_meshtag(bundle.facet_tags, fine, parent_cell, parent_facet),
        msh=None,
        from_cache=False,
    )
    return refined, (before[parent] + split[parent]).astype(np.int32)


def band_cells(
    bundle: MeshBundle,
    indicator: fem.Function,
    threshold: float,
    layers: int,
    phase: fem.Function | None = None,
    detail: tuple[fem.Function, float] | None = None,
) -> np.ndarray:
    """Local cells with a vertex where the P1 `indicator` ≥ `threshold` (e.g. ξ(1 − ξ) ≥ 1e-3, about
    ±3.5 interface widths of a tanh profile) or, given the P1 order parameter `phase` (ξ, on the
    indicator's space), whose vertex values of it span the band (min < 1 − δ and max > δ, δ(1 − δ) =
    `threshold`): a band narrower than a cell, between its vertices, marks it too. Grown by `layers`
    rings of neighbouring cells. Given `detail` = (a P1 field on the indicator's space, tolerance),
    cells over whose vertices that field varies by more than the tolerance are marked too."""
    V = indicator.function_space
    mesh = bundle.mesh
    tdim = mesh.topology.dim
    num_cells = mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts
    dofs = V.dofmap.list[:num_cells]
    cells = indicator.x.array[dofs].max(axis=1) >= threshold
    if phase is not None:
        delta = 0.5 * (1 - np.sqrt(1 - 4 * threshold))
        values = phase.x.array[dofs]
        cells |= (values.min(axis=1) < 1 - delta) & (values.max(axis=1) > delta)
    if detail is not None:
        values = detail[0].x.array[dofs]
        cells |= values.max(axis=1) - values.min(axis=1) > detail[1]
    marker = fem.Function(V)
    for _ in range(layers):
        marker.x.array[np.unique(dofs[cells])] = 1.0
        marker.x.scatter_reverse(InsertMode.add)
        marker.x.scatter_forward()
        cells = marker.x.array[dofs].max(axis=1) > 0
    owned = mesh.topology.index_map(tdim).size_local
    return np.flatnonzero(cells[:owned]).astype(np.int32)


def _centres(bundle: MeshBundle, cells: np.ndarray) -> np.ndarray:
    """The `quantized` centres of local `cells`, summed over vertex coordinates sorted per axis:
    bitwise alike whatever order a partition gives a cell's vertices."""
    mesh = bundle.mesh
    x = mesh.geometry.x[mesh.geometry.dofmaps[0][cells]]
    return quantized(mesh, np.sort(x, axis=1).sum(axis=1) / x.shape[1])


def _rows(keys: np.ndarray) -> np.ndarray:
    """Each row of an integer array as one comparable item (np.isin over rows)."""
    keys = np.ascontiguousarray(keys, dtype=np.int64).reshape(-1, 3)
    return keys.view(np.dtype((np.void, keys.itemsize * 3))).ravel()


def cell_keys(bundle: MeshBundle, cells: np.ndarray) -> np.ndarray:
    """The centres of the local `cells` of every rank, sorted (collective): a record of which cells
    of this mesh were marked that does not depend on the partition."""
    gathered = bundle.mesh.comm.allgather(_centres(bundle, cells))
    return np.unique(np.concatenate(gathered), axis=0)


def cells_at(bundle: MeshBundle, keys: np.ndarray) -> np.ndarray:
    """The local cells whose centres are among `keys` (`cell_keys` of the same mesh)."""
    owned = bundle.mesh.topology.index_map(bundle.mesh.topology.dim).size_local
    mine = _centres(bundle, np.arange(owned, dtype=np.int32))
    return np.flatnonzero(np.isin(_rows(mine), _rows(keys))).astype(np.int32)


def adapted(
    base: MeshBundle, mark: Callable[[MeshBundle], np.ndarray], levels: int
) -> tuple[MeshBundle, np.ndarray]:
    """The base mesh refined `levels` times, level by level where `mark(bundle)` says (the
    cells of that level to split; the callback interpolates the current fields onto it), and the
    refinement level of each local cell."""
    bundle, level = base, np.zeros(base.mesh.topology.index_map(base.mesh.topology.dim).size_local, np.int32)
    for _ in range(levels):
        cells = mark(bundle)
        if bundle.mesh.comm.allreduce(len(cells), op=MPI.SUM) == 0:
            break
        bundle, level = refine_bundle(bundle, cells, level)
    return bundle, level


def transfer(sources: Mapping[str, fem.Function], targets: Mapping[str, fem.Function]) -> None:
    """Fill each target with its source of the same name, interpolated across the meshes (a mixed
    function subspace by subspace)."""
    for name, target in targets.items():
        mesh = target.function_space.mesh
        imap = mesh.topology.index_map(mesh.topology.dim)
        cells = np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32)
        source, space = sources[name], target.function_space
        mixed = space.dofmap.index_map_bs == 1 and space.num_sub_spaces > 0
        pairs = (
            [(source.sub(i), target.sub(i)) for i in range(space.num_sub_spaces)]
            if mixed
            else [(source, target)]
        )
        for src, tgt in pairs:
            data = fem.create_interpolation_data(tgt.function_space, src.function_space, cells, padding=1e-8)
            tgt.interpolate_nonmatching(src, cells, data)
        target.x.scatter_forward()
