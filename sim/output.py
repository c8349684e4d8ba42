"""Run-directory output: atomic files, summary.json, field files for ParaView (figures: sim.figures).

Contract (DESIGN 4): files are written to a temporary name and renamed; `summary.json` is written
last, so a directory without a summary (or with status != "ok") is never mistaken for a result.
Only rank 0 writes text files and figures; field files are written collectively.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

from sim._dolfinx import dolfinx

import numpy as np
from mpi4py import MPI

from sim.checkpoint import CHECKPOINT
from sim.files import SUMMARY, atomic_write


def prepare_run_dir(path: Path, comm: MPI.Comm, resume: bool = False) -> None:
    """Clear the run directory for a new run: the stale summary, fields, figures and temporary files
    of an earlier run go, and so does its checkpoint. A run that resumes from the checkpoint keeps
    it and the fields and figures written before it (FieldWriter.resume continues the series)
    (collective)."""
    error = None
    if comm.rank == 0:
        try:
            (path / SUMMARY).unlink(missing_ok=True)
            if not resume:
                (path / CHECKPOINT).unlink(missing_ok=True)
            for tmp in path.glob(".*.tmp*"):
                tmp.unlink(missing_ok=True)
            for stale in ("fields", "figures"):
                if not resume:
                    shutil.rmtree(path / stale, ignore_errors=True)
                (path / stale).mkdir(exist_ok=True)
        except OSError as exc:
            error = f"cannot prepare the run directory {path}: {exc}"
    error = comm.bcast(error, root=0)  # agreed, so no rank waits for another that failed
    if error is not None:
        raise OSError(error)


def write_summary(path: Path, summary: dict[str, Any]) -> None:
    """Write summary.json with `status` as the last key (rank 0 only)."""
    ordered = {k: v for k, v in summary.items() if k != "status"} | {"status": summary["status"]}
    atomic_write(path / SUMMARY, json.dumps(ordered, indent=2, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)


def versions() -> dict[str, str]:
    """Versions of sim, DOLFINx, PETSc, gmsh (for summary.json and `sim info`)."""
    import gmsh
    from petsc4py import PETSc

    from sim.version import __version__

    petsc = ".".join(str(v) for v in PETSc.Sys.getVersion())
    return {"sim": __version__, "dolfinx": dolfinx.__version__, "petsc": petsc, "gmsh": gmsh.__version__}


UNCLOSABLE: list = []
"""VTX writers that failed to write: closing or destroying them throws in ADIOS2's C++ and aborts the
process (exit 134), so they are kept here and the process ends through `leave`, which skips that"""


def leave(code: int) -> NoReturn:
    """End the process with `code` once the run is over (its summary written): a signal during the
    interpreter's shutdown no longer changes the outcome (it used to end an `ok` run with -2), and
    writers in UNCLOSABLE are not destroyed (their destructors would abort)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if UNCLOSABLE:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _plain(exc: Exception) -> str:
    """An ADIOS2 message without colour codes and time stamp, on one line."""
    text = re.sub(r"\x1b\[[0-9;]*m|\[\w{3} \w{3} [^]]*\]", "", str(exc))
    return " ".join(text.split())


FIELD_FORMATS = ("vtk", "vtx")
REGIONS_FILE = "regions.json"


class FieldWriter:
    """Field files for other tools, one per field, named after the field (DESIGN 4):

    - vtk: `fields/<name>.pvd`, a time series of `fields/<name>/<name>_<step>.vtu` pieces, coordinates
      in metres, with the cell data `region_id` and field data `TimeValue` (s), `length_unit_m` = 1
      (coordinates are metres) and `region_id_<region name>` = id;
    - vtx: `fields/<name>.bp` (ADIOS2), written with the mesh scaled to metres during the write;
    - `fields/regions.json`: the region and boundary name → id maps and the units.
    """

    def __init__(self, directory: Path, comm: MPI.Comm, enabled: bool = True, formats=("vtk",)) -> None:
        unknown = set(formats) - set(FIELD_FORMATS)
        if unknown:
            raise ValueError(f"unknown field formats {sorted(unknown)}; known: {FIELD_FORMATS}")
        self.directory, self.comm, self.enabled, self.formats = directory, comm, enabled, tuple(formats)
        self.length_scale = 1.0
        self.regions: dict[str, int] = {}
        self._region_ids: dict[int, tuple[Any, np.ndarray]] = {}  # id(mesh) → (mesh, id per local cell)
        self._steps: dict[str, list[tuple[float, str]]] = {}
        self._vtx: dict[str, dolfinx.io.VTXWriter] = {}

    def attach(self, bundle) -> None:
        """Use `bundle`'s mesh, length scale and region tags; writes fields/regions.json (collective)."""
        mesh = bundle.mesh
        tdim = mesh.topology.dim
        imap = mesh.topology.index_map(tdim)
        ids = np.full(imap.size_local + imap.num_ghosts, -1, dtype=np.int32)
        ids[bundle.cell_tags.indices] = bundle.cell_tags.values
        self._region_ids = {id(mesh): (mesh, ids)}
        self.length_scale, self.regions = bundle.length_scale, dict(bundle.regions)
        if self.enabled and self.comm.rank == 0:
            sidecar = {
                "length_unit": "m",
                "time_unit": "s",
                "regions": self.regions,
                "boundaries": dict(bundle.boundaries),
                "cell_data": "region_id",
            }
            atomic_write(self.directory / REGIONS_FILE, json.dumps(sidecar, indent=2) + "\n")

    def resume(self, t: float) -> None:
        """Continue the field files of the run resumed at time `t` (s): each vtk series keeps its
        steps up to `t` (later ones, written after the checkpoint, go with their pieces; an
        unreadable .pvd starts anew) and goes on numbering after them; a vtx file (which cannot be
        appended to) is kept as `<name>_to_<t>s.bp` and a new one starts (collective)."""
        error = None
        if self.enabled and self.comm.rank == 0:
            try:
                self._resume_files(t)
            except OSError as exc:
                error = f"cannot continue the field files in {self.directory}: {exc}"
        error = self.comm.bcast(error, root=0)
        if error is not None:
            raise OSError(error)

    def _resume_files(self, t: float) -> None:
        import xml.etree.ElementTree as ET

        from sim.vtu import pvd_text

        for pvd in sorted(self.directory.glob("*.pvd")):
            try:
                sets = ET.parse(pvd).iter("DataSet")
                steps = [(float(d.get("timestep", "nan")), d.get("file", "")) for d in sets]
            except (ET.ParseError, ValueError):
                steps = []
            kept = [(time, piece) for time, piece in steps if time <= t * (1 + 1e-12)]
            for _, piece in steps[len(kept) :]:
                (self.directory / piece).unlink(missing_ok=True)
            self._steps[pvd.stem] = kept
            atomic_write(pvd, pvd_text(kept))
        for bp in sorted(self.directory.glob("*.bp")):
            if not re.search(r"_to_[-+.0-9e]+s$", bp.stem):
                bp.rename(bp.with_name(f"{bp.stem}_to_{t:.6g}s.bp"))

    def add_submesh(self, submesh, entity_map) -> None:
        """Fields on `submesh` (from dolfinx.mesh.create_submesh of the attached mesh) get the region
        ids of their parent cells."""
        _, ids = next(iter(self._region_ids.values()))  # the attached (parent) mesh comes first
        imap = submesh.topology.index_map(submesh.topology.dim)
        cells = np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32)
        parents = entity_map.sub_topology_to_topology(cells, inverse=False)
        self._region_ids[id(submesh)] = (submesh, ids[parents])

    def write(self, functions: list, t: float) -> None:
        """Append each of `functions` at time `t` (s) to its own field file(s) (collective)."""
        if not self.enabled:
            return
        for function in functions:
            if "vtk" in self.formats:
                self._write_vtk(function, t)
            if "vtx" in self.formats:
                self._write_vtx(function, t)

    def _write_vtk(self, function, t: float) -> None:
        from sim.vtu import function_grid, pvd_text, vtu_text

        name = function.name
        mesh = function.function_space.mesh
        if id(mesh) not in self._region_ids:
            raise ValueError(f"field {name}: its mesh is neither the run's mesh nor an added submesh")
        grid = function_grid(function, self.length_scale, {"region_id": self._region_ids[id(mesh)][1]})
        steps = self._steps.setdefault(name, [])
        if steps and steps[-1][0] == t:  # written again at the same time (a failure right after an
            steps.pop()  # output step writes its last state): the new piece replaces the old one
        if grid is None:  # not rank 0
            steps.append((t, ""))
            return
        grid.field_data = {
            "TimeValue": np.array([t]),
            "length_unit_m": np.array([1.0]),
        } | {f"region_id_{region}": np.array([tag], dtype=np.int32) for region, tag in self.regions.items()}
        piece = f"{name}/{name}_{len(steps):06d}.vtu"
        (self.directory / name).mkdir(exist_ok=True)
        atomic_write(self.directory / piece, vtu_text(grid))
        steps.append((t, piece))
        atomic_write(self.directory / f"{name}.pvd", pvd_text(steps))

    def _write_vtx(self, function, t: float) -> None:
        name = function.name
        if name not in self._vtx:
            self._vtx[name] = dolfinx.io.VTXWriter(self.comm, self._vtx_path(name), [function], engine="BP4")
        x = function.function_space.mesh.geometry.x
        original = x.copy()
        x *= self.length_scale  # the file in metres; the solver's mesh restored exactly afterwards
        try:
            self._vtx[name].write(t)
        except RuntimeError as exc:
            self._failed(name, exc)
        finally:
            x[:] = original

    def _vtx_path(self, name: str) -> Path:
        return self.directory / f"{name}.bp"

    def _failed(self, name: str, exc: RuntimeError) -> NoReturn:
        """ADIOS2 could not write (e.g. a full disk): the half-written file is emptied and removed,
        which frees its space for the summary, and OSError says why."""
        UNCLOSABLE.append(self._vtx.pop(name))
        path = self._vtx_path(name)
        if self.comm.rank == 0:
            for part in path.rglob("*"):
                if part.is_file():
                    os.truncate(part, 0)  # frees the space although ADIOS2 keeps the file open
            shutil.rmtree(path, ignore_errors=True)
        raise OSError(f"cannot write fields {path}: {_plain(exc)}")

    def close(self) -> None:
        """Close every file; OSError (after closing the others) if one cannot be written."""
        error = None
        for name in list(self._vtx):
            try:
                self._vtx[name].close()
                del self._vtx[name]
            except RuntimeError as exc:
                try:
                    self._failed(name, exc)
                except OSError as failure:
                    error = error or failure
        if error is not None:
            raise error
