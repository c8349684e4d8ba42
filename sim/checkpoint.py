"""Checkpoints of P1 fields to one HDF5 file (h5py, written by rank 0), restartable on any number
of ranks on the mesh rebuilt from the same config.

adios4dolfinx does not work with this DOLFINx build (ENVIRONMENT.md), so every dof of a P1-type
space (scalar, vector or a mixed space of those) is keyed by the mesh's original node index
(`mesh.geometry.input_global_indices`, the gmsh node numbering) and its component; values are
stored sorted by key and read back by key. Model metadata (time-stepping statistics, histories)
is stored as a JSON attribute. Files are written to a temporary name and renamed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from mpi4py import MPI


def _leaves(V) -> list:
    """The scalar P1 sub-spaces of V (V itself, its components, or those of each mixed part)."""
    n = V.num_sub_spaces
    if n == 0:
        return [V]
    return [leaf for i in range(n) for leaf in _leaves(V.sub(i))]


def dof_keys(V) -> np.ndarray:
    """A global, partition-independent key for every local dof (owned and ghost) of V."""
    mesh = V.mesh
    if mesh.geometry.cmap.degree != 1:
        raise ValueError("checkpoints need a degree-1 mesh geometry")
    nodes = mesh.geometry.dofmap
    original = np.asarray(mesh.geometry.input_global_indices, dtype=np.int64)
    leaves = _leaves(V)
    size = (V.dofmap.index_map.size_local + V.dofmap.index_map.num_ghosts) * V.dofmap.index_map_bs
    keys = np.full(size, -1, dtype=np.int64)
    for comp, leaf in enumerate(leaves):
        if leaf.element.basix_element.degree != 1:
            raise ValueError("checkpoints support P1 (vertex) dofs only")
        cell_dofs = leaf.dofmap.list
        keys[cell_dofs.ravel()] = original[nodes[: cell_dofs.shape[0]].ravel()] * len(leaves) + comp
    if (keys < 0).any():
        raise ValueError("could not key every dof")
    return keys


def _owned(V) -> int:
    return V.dofmap.index_map.size_local * V.dofmap.index_map_bs


def save(path: Path, functions: dict[str, Any], meta: dict[str, Any], comm: MPI.Comm) -> None:
    """Write `functions` (name → Function) and `meta` (JSON-serialisable) to `path` (collective)."""
    import h5py

    data = {}
    for name, f in functions.items():
        n = _owned(f.function_space)
        keys = dof_keys(f.function_space)[:n]
        gathered = comm.gather((keys, f.x.array[:n].copy()), root=0)
        if gathered is not None:  # rank 0
            k = np.concatenate([g[0] for g in gathered])
            v = np.concatenate([g[1] for g in gathered])
            order = np.argsort(k)
            data[name] = (k[order], v[order])
    if comm.rank == 0:
        tmp = path.with_name(f".{path.name}.tmp")
        with h5py.File(tmp, "w") as h5:
            for name, (k, v) in data.items():
                h5.create_dataset(f"{name}/keys", data=k)
                h5.create_dataset(f"{name}/values", data=v)
            h5.attrs["meta"] = json.dumps(meta)
        os.replace(tmp, path)
    comm.barrier()


def load(path: Path, functions: dict[str, Any], comm: MPI.Comm) -> dict[str, Any]:
    """Fill `functions` from `path` (collective); returns the stored metadata."""
    import h5py

    stored = None
    if comm.rank == 0:
        with h5py.File(path, "r") as h5:
            stored = {name: (h5[f"{name}/keys"][:], h5[f"{name}/values"][:]) for name in functions}
            stored["__meta__"] = json.loads(h5.attrs["meta"])
    stored = comm.bcast(stored, root=0)
    for name, f in functions.items():
        keys, values = stored[name]
        mine = dof_keys(f.function_space)
        pos = np.searchsorted(keys, mine)
        if (pos >= keys.size).any() or (keys[np.minimum(pos, keys.size - 1)] != mine).any():
            raise ValueError(
                f"checkpoint {path} does not match this mesh (field {name}); rebuild it from the same config"
            )
        f.x.array[:] = values[pos]
    return stored["__meta__"]
