"""Checkpoints of P1 fields to one HDF5 file (h5py, written by rank 0), restartable on any number
of ranks on the mesh rebuilt from the same config.

adios4dolfinx does not work with this DOLFINx build (ENVIRONMENT.md), so every dof of a P1-type
space (scalar, vector or a mixed space of those) is keyed by the mesh's original node index
(`mesh.geometry.input_global_indices`, the gmsh node numbering) and its component; values are
stored sorted by key and read back by key. Model metadata (time-stepping statistics, histories)
is stored as a JSON attribute, and so is the run's identity (resolved-config hash, mesh key, sim
version: `--resume` refuses a checkpoint of another config, `verify`). Files are written to a
temporary name and renamed. Reading errors are agreed across ranks before any collective call, so a
truncated file ends every rank with CheckpointError instead of a deadlock.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
from mpi4py import MPI

CHECKPOINT = "checkpoint.h5"
"""the checkpoint's name in a run directory"""


class CheckpointError(Exception):
    """A checkpoint that cannot be read (truncated, empty, not HDF5, fields missing)."""


class CheckpointMismatch(Exception):
    """A readable checkpoint written by another run (config, mesh or code version differ)."""


def _leaves(V) -> list:
    """The scalar P1 sub-spaces of V (V itself, its components, or those of each mixed part)."""
    n = V.num_sub_spaces
    if n == 0:
        return [V]
    return [leaf for i in range(n) for leaf in _leaves(V.sub(i))]


def dof_keys(V) -> np.ndarray:
    """A global, partition-independent key for every local dof (owned and ghost) of V."""
    mesh = V.mesh
    if mesh.geometry.cmaps[0].degree != 1:
        raise ValueError("checkpoints need a degree-1 mesh geometry")
    nodes = mesh.geometry.dofmaps[0]
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


def save(
    path: Path, functions: dict[str, Any], meta: dict[str, Any], comm: MPI.Comm, identity: dict[str, str]
) -> None:
    """Write `functions` (name → Function), `meta` (JSON-serialisable) and the run's `identity`
    (see `verify`) to `path` (collective)."""
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
    error = None
    if comm.rank == 0:
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with h5py.File(tmp, "w") as h5:
                for name, (k, v) in data.items():
                    h5.create_dataset(f"{name}/keys", data=k)
                    h5.create_dataset(f"{name}/values", data=v)
                h5.attrs["meta"] = json.dumps(meta)
                h5.attrs["identity"] = json.dumps(identity)
            os.replace(tmp, path)
        except OSError as exc:  # e.g. a full disk: the previous checkpoint stays
            tmp.unlink(missing_ok=True)
            error = f"cannot write checkpoint {path}: {exc}"
    error = comm.bcast(error, root=0)
    if error is not None:
        raise OSError(error)


def _read(path: Path, names: list[str] | None) -> dict[str, Any]:
    """Rank 0: every dataset (of `names`, or all) and the attributes; CheckpointError if unreadable."""
    import h5py

    try:
        with h5py.File(path, "r") as h5:
            names = list(h5.keys()) if names is None else names
            stored: dict[str, Any] = {}
            for name in names:
                keys, values = h5[f"{name}/keys"][:], h5[f"{name}/values"][:]
                if keys.shape != values.shape or (np.diff(keys) <= 0).any():
                    raise ValueError(f"field {name} is inconsistent")
                stored[name] = (keys, values)
            stored["__meta__"] = json.loads(h5.attrs["meta"])
            stored["__identity__"] = json.loads(h5.attrs["identity"]) if "identity" in h5.attrs else None
    except Exception as exc:  # h5py raises OSError, KeyError, ValueError for damaged files
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(f"checkpoint {path} is unreadable ({reason})") from None
    return stored


def _agreed(comm: MPI.Comm, work) -> Any:
    """Run `work()` on rank 0 and broadcast its result, or the exception it raised (re-raised on
    every rank), so no rank waits in a collective call that another rank never reaches."""
    outcome: tuple[Any, BaseException | None] = (None, None)
    if comm.rank == 0:
        try:
            outcome = (work(), None)
        except (CheckpointError, CheckpointMismatch) as exc:
            outcome = (None, exc)
    result, error = comm.bcast(outcome, root=0)
    if error is not None:
        raise error
    return result


def verify(path: Path, identity: dict[str, str], comm: MPI.Comm) -> None:
    """Check that `path` can be read completely and was written by a run with this `identity`
    (collective): CheckpointError if it is damaged, CheckpointMismatch if it is another run's."""
    names = {"config_sha256": "resolved config", "mesh_key": "mesh", "sim_version": "sim version"}

    def check() -> None:
        stored = _read(path, None)["__identity__"]
        if stored is None:
            raise CheckpointMismatch(f"checkpoint {path} carries no run identity (written by an older sim)")
        for key, what in names.items():
            if stored.get(key) != identity[key]:
                raise CheckpointMismatch(
                    f"checkpoint {path} belongs to another {what} ({key} {str(stored.get(key))[:12]} "
                    f"there, {identity[key][:12]} in this directory's config.yaml)"
                )

    _agreed(comm, check)


def load(path: Path, functions: dict[str, Any], comm: MPI.Comm) -> dict[str, Any]:
    """Fill `functions` from `path` (collective); returns the stored metadata."""
    stored = _agreed(comm, lambda: _read(path, list(functions)))
    for name, f in functions.items():
        keys, values = stored[name]
        mine = dof_keys(f.function_space)
        pos = np.searchsorted(keys, mine)
        bad = bool((pos >= keys.size).any() or (keys[np.minimum(pos, keys.size - 1)] != mine).any())
        if not bad:
            f.x.array[:] = values[pos]
        if comm.allreduce(bad, op=MPI.LOR):  # agreed: every rank raises, none waits
            raise CheckpointMismatch(
                f"checkpoint {path} does not match this mesh (field {name}); rebuild it from the same config"
            )
    return stored["__meta__"]


class RunCheckpoint:
    """The checkpoint of a time-stepping run: its accepted state (P1 functions, by name), the
    time-stepping statistics and the model's own data (histories, running totals), in
    `<run dir>/checkpoint.h5`. Every transient model saves and resumes through this."""

    def __init__(self, out: Path, state: dict[str, Any], comm: MPI.Comm, identity: dict[str, str]) -> None:
        self.path, self.state, self.comm, self.identity = out / CHECKPOINT, state, comm, identity

    def save(self, stats: Any, data: dict[str, Any]) -> None:
        """Write the state, `vars(stats)` and `data` (JSON-serialisable; collective)."""
        save(self.path, self.state, {"stats": vars(stats)} | data, self.comm, self.identity)

    def load(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """Fill the state from the checkpoint; returns (the statistics' fields, the model's data)."""
        if not self.path.exists():
            raise FileNotFoundError(f"cannot resume: no checkpoint {self.path}")
        meta = load(self.path, self.state, self.comm)
        return meta.pop("stats"), meta
