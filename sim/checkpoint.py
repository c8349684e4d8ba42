"""Checkpoints of P1 fields to one HDF5 file (h5py, written by rank 0), restartable on any number
of ranks on the mesh rebuilt from the same config.

adios4dolfinx does not work with this DOLFINx build (ENVIRONMENT.md), so every dof of a P1-type
space (scalar, vector or a mixed space of those) is keyed by the mesh's original node index
(`mesh.geometry.input_global_indices`, the gmsh node numbering) and its component; values are
stored sorted by key and read back by key. A mesh refined during the run (sim.adaptive) has no
such numbering for its new vertices: its dofs are keyed `by_position` instead, by each vertex's
place in the sorted set of all vertex positions (rounded to a grid of 2⁻³² of the mesh's extent),
and a digest of that set is stored with the field, so a mesh that differs is refused, never
misread. Model metadata (time-stepping statistics, histories, an adaptive mesh's refinements) is
stored as a JSON attribute, and so is the run's identity (hash of the resolved config without
the keys a resume may change, mesh key, sim version: `--resume` refuses a checkpoint of another
config, `verify`). Files are written to a temporary name and renamed. Reading errors are agreed
across ranks before any collective call, so a truncated file ends every rank with CheckpointError
instead of a deadlock.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
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


def quantized(mesh, points: np.ndarray) -> np.ndarray:
    """`points` (rows of mesh coordinates) as integers on a grid of 2⁻³² of the mesh's extent from
    its lower corner (collective): the same on every partition, as a refined mesh puts a new vertex
    at (a + b)/2 bitwise alike whichever rank computes it."""
    x = mesh.geometry.x
    lo, hi = x.min(axis=0, initial=np.inf), x.max(axis=0, initial=-np.inf)
    mesh.comm.Allreduce(MPI.IN_PLACE, lo, op=MPI.MIN)
    mesh.comm.Allreduce(MPI.IN_PLACE, hi, op=MPI.MAX)
    grid = float((hi - lo).max()) * 2.0**-32
    return np.rint((points - lo) / grid).astype(np.int64)


def vertex_keys(mesh) -> tuple[np.ndarray, str]:
    """Each local geometry node's place in the sorted set of every node's `quantized` position,
    and a digest of that set (collective)."""
    gathered = mesh.comm.gather(quantized(mesh, mesh.geometry.x), root=0)
    parts, digest = None, ""
    if gathered is not None:  # rank 0
        unique, inverse = np.unique(np.concatenate(gathered), axis=0, return_inverse=True)
        parts = np.split(inverse.ravel().astype(np.int64), np.cumsum([len(g) for g in gathered])[:-1])
        digest = hashlib.sha256(unique.tobytes()).hexdigest()
    return mesh.comm.scatter(parts, root=0), mesh.comm.bcast(digest, root=0)


def dof_keys(
    V, by_position: bool = False, vertices: dict[int, tuple[np.ndarray, str]] | None = None
) -> tuple[np.ndarray, str]:
    """A global, partition-independent key for every local dof (owned and ghost) of V, by the
    mesh's original node numbers or `by_position` (`vertex_keys`; collective), and the digest of
    the vertex positions ('' by node numbers). `vertices`: a cache of `vertex_keys` by mesh, so the
    fields of one mesh gather its positions once."""
    mesh = V.mesh
    if mesh.geometry.cmaps[0].degree != 1:
        raise ValueError("checkpoints need a degree-1 mesh geometry")
    nodes = mesh.geometry.dofmaps[0]
    if by_position:
        cache = {} if vertices is None else vertices
        if id(mesh) not in cache:
            cache[id(mesh)] = vertex_keys(mesh)
        original, digest = cache[id(mesh)]
    else:
        original, digest = np.asarray(mesh.geometry.input_global_indices, np.int64), ""
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
    return keys, digest


def _owned(V) -> int:
    return V.dofmap.index_map.size_local * V.dofmap.index_map_bs


def save(
    path: Path,
    functions: dict[str, Any],
    meta: dict[str, Any],
    comm: MPI.Comm,
    identity: dict[str, str],
    by_position: bool = False,
) -> None:
    """Write `functions` (name → Function; their dofs keyed `by_position` or by node number, see
    `dof_keys`), `meta` (JSON-serialisable) and the run's `identity` (see `verify`) to `path`
    (collective)."""
    import h5py

    data: dict[str, Any] = {}
    vertices: dict[int, tuple[np.ndarray, str]] = {}
    for name, f in functions.items():
        n = _owned(f.function_space)
        keys, digest = dof_keys(f.function_space, by_position, vertices)
        gathered = comm.gather((keys[:n], f.x.array[:n].copy()), root=0)
        if gathered is not None:  # rank 0
            k = np.concatenate([g[0] for g in gathered])
            v = np.concatenate([g[1] for g in gathered])
            order = np.argsort(k)
            data[name] = (k[order], v[order], digest)
    error = None
    if comm.rank == 0:
        tmp = path.with_name(f".{path.name}.tmp")
        try:
            with h5py.File(tmp, "w") as h5:
                for name, (k, v, digest) in data.items():
                    h5.create_dataset(f"{name}/keys", data=k)
                    h5.create_dataset(f"{name}/values", data=v)
                    if digest:
                        h5[name].attrs["vertices"] = digest
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
                stored[name] = (keys, values, h5[name].attrs.get("vertices", ""))
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

    def check() -> None:
        stored = _read(path, None)["__identity__"]
        if stored is None:
            raise CheckpointMismatch(f"checkpoint {path} carries no run identity (written by an older sim)")
        # a checkpoint with a state hash may be resumed with other solver, step-control or figure
        # keys (sim.config.RESUMABLE_KEYS); an older one only with the identical config
        config = "state_sha256" if "state_sha256" in stored else "config_sha256"
        names = {config: "resolved config", "mesh_key": "mesh", "sim_version": "sim version"}
        for key, what in names.items():
            if stored.get(key) != identity[key]:
                raise CheckpointMismatch(
                    f"checkpoint {path} belongs to another {what} ({key} {str(stored.get(key))[:12]} "
                    f"there, {identity[key][:12]} in this directory's config.yaml)"
                )

    _agreed(comm, check)


def meta(path: Path, comm: MPI.Comm) -> dict[str, Any]:
    """The metadata stored in `path` (collective)."""
    return _agreed(comm, lambda: _read(path, [])["__meta__"])


def load(path: Path, functions: dict[str, Any], comm: MPI.Comm) -> dict[str, Any]:
    """Fill `functions` from `path`, keyed as they were saved (collective); returns the stored
    metadata."""
    stored = _agreed(comm, lambda: _read(path, list(functions)))
    vertices: dict[int, tuple[np.ndarray, str]] = {}
    for name, f in functions.items():
        keys, values, digest = stored[name]
        mine, here = dof_keys(f.function_space, bool(digest), vertices)
        pos = np.searchsorted(keys, mine)
        bad = here != digest
        bad = bad or bool((pos >= keys.size).any() or (keys[np.minimum(pos, keys.size - 1)] != mine).any())
        if not bad:
            f.x.array[:] = values[pos]
        if comm.allreduce(bad, op=MPI.LOR):  # agreed: every rank raises, none waits
            raise CheckpointMismatch(
                f"checkpoint {path} does not match this mesh (field {name}); rebuild it from the same config"
            )
    return stored["__meta__"]


class RunCheckpoint:
    """The checkpoint of a time-stepping run: its accepted state (P1 functions, by name, from
    `state()` at each save and load: a model on an adaptive mesh changes its functions), the
    time-stepping statistics and the model's own data (histories, running totals, its mesh), in
    `<run dir>/checkpoint.h5`. Every transient model saves and resumes through this."""

    def __init__(
        self,
        out: Path,
        state: Callable[[], dict[str, Any]],
        comm: MPI.Comm,
        identity: dict[str, str],
        by_position: bool = False,
    ) -> None:
        self.path, self.state, self.comm, self.identity = out / CHECKPOINT, state, comm, identity
        self.by_position = by_position

    def save(self, stats: Any, data: dict[str, Any]) -> None:
        """Write the state, `vars(stats)` and `data` (JSON-serialisable; collective)."""
        save(
            self.path, self.state(), {"stats": vars(stats)} | data, self.comm, self.identity, self.by_position
        )

    def load(
        self, prepare: Callable[[dict[str, Any]], None] | None = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Fill the state from the checkpoint, after `prepare(the model's data)` (e.g. rebuilding
        the mesh the state lives on); returns (the statistics' fields, the model's data)."""
        if not self.path.exists():
            raise FileNotFoundError(f"cannot resume: no checkpoint {self.path}")
        if prepare is not None:
            stored = meta(self.path, self.comm)
            stored.pop("stats")
            prepare(stored)
        stored = load(self.path, self.state(), self.comm)
        return stored.pop("stats"), stored
