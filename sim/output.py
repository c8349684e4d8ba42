"""Run-directory output: atomic files, summary.json, VTX fields for ParaView, PNG figures.

Contract (DESIGN 4): files are written to a temporary name and renamed; `summary.json` is written
last, so a directory without a summary (or with status != "ok") is never mistaken for a result.
Only rank 0 writes text files and figures; field files are written collectively.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from sim._dolfinx import dolfinx

import numpy as np
from mpi4py import MPI

from sim.files import SUMMARY, atomic_write


def prepare_run_dir(path: Path, comm: MPI.Comm) -> None:
    """Create the run directory; a stale summary (from an earlier run) is removed first."""
    if comm.rank == 0:
        path.mkdir(parents=True, exist_ok=True)
        (path / SUMMARY).unlink(missing_ok=True)
        for stale in ("fields", "figures"):
            shutil.rmtree(path / stale, ignore_errors=True)
        (path / "figures").mkdir()
        (path / "fields").mkdir()
    comm.barrier()


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

    import sim

    petsc = ".".join(str(v) for v in PETSc.Sys.getVersion())
    return {"sim": sim.__version__, "dolfinx": dolfinx.__version__, "petsc": petsc, "gmsh": gmsh.__version__}


class FieldWriter:
    """VTX (.bp) time series for ParaView, one file per group of fields sharing a space."""

    def __init__(self, directory: Path, comm: MPI.Comm, enabled: bool = True) -> None:
        self.directory, self.comm, self.enabled = directory, comm, enabled
        self._writers: dict[tuple[str, ...], dolfinx.io.VTXWriter] = {}

    def write(self, functions: list, t: float) -> None:
        """Append `functions` at time `t` (s) to `fields/<name>.bp`."""
        if not self.enabled:
            return
        key = tuple(f.name for f in functions)
        if key not in self._writers:
            path = self.directory / ("+".join(key) + ".bp")
            self._writers[key] = dolfinx.io.VTXWriter(self.comm, path, list(functions), engine="BP4")
        self._writers[key].write(t)

    def close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()


def _local_triangles(function=None, mesh=None, cell_values=None) -> dict[str, np.ndarray]:
    """This rank's owned cells as linear triangles with point or cell values (for gathering)."""
    if function is not None:
        mesh = function.function_space.mesh
    tdim = mesh.topology.dim
    owned = mesh.topology.index_map(tdim).size_local
    space = function.function_space if function is not None else None
    if space is not None and space.element.basix_element.degree > 0:
        topology, _, x = dolfinx.plot.vtk_mesh(space)
        nodes = topology[0]
        cells = topology.reshape(-1, nodes + 1)[:owned, 1:4]  # corner nodes come first in VTK order
        values = function.x.array.reshape(-1, space.dofmap.index_map_bs)
        location = "point"
    else:
        cells = dolfinx.mesh.entities_to_geometry(mesh, tdim, np.arange(owned, dtype=np.int32))
        x = mesh.geometry.x
        values = (
            function.x.array.reshape(-1, space.dofmap.index_map_bs)[:owned]
            if space is not None
            else np.asarray(cell_values)[:owned].reshape(-1, 1)
        )
        location = "cell"
    if values.shape[1] > 1:
        values = np.linalg.norm(values, axis=1, keepdims=True)
    return {"x": x[:, :2], "cells": cells, "values": values[:, 0], "location": location}


def _gather_triangles(comm: MPI.Comm, data: dict) -> dict | None:
    """Concatenate every rank's triangles on rank 0 (None elsewhere)."""
    pieces = comm.gather(data, root=0)
    if pieces is None:  # not rank 0
        return None
    offsets = np.cumsum([0, *(len(p["x"]) for p in pieces[:-1])])
    return {
        "x": np.vstack([p["x"] for p in pieces]),
        "cells": np.vstack([p["cells"] + o for p, o in zip(pieces, offsets, strict=False)]),
        "values": np.concatenate([p["values"] for p in pieces]),
        "location": pieces[0]["location"],
    }


UNIT_SUFFIXES = {
    "mol_m3": "mol/m³",
    "A_m2": "A/m²",
    "S_m": "S/m",
    "mol_m2_s": "mol/(m² s)",
    "V_m": "V/m",
    "V": "V",
    "Pa": "Pa",
    "m": "m",
    "1": "1",
}


def label(name: str) -> str:
    """'current_density_A_m2' -> 'current density (A/m²)' for figure titles and colour bars."""
    for suffix in sorted(UNIT_SUFFIXES, key=len, reverse=True):
        if name.endswith("_" + suffix):
            return f"{name[: -len(suffix) - 1].replace('_', ' ')} ({UNIT_SUFFIXES[suffix]})"
    return name.replace("_", " ")


def _figure(tri: dict, width_px: int):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.tri import Triangulation

    x, y = tri["x"][:, 0], tri["x"][:, 1]
    aspect = (y.max() - y.min()) / max(x.max() - x.min(), 1e-30)
    width_in = width_px / 150
    height_in = float(np.clip(width_in * aspect, 0.18 * width_in, 1.5 * width_in)) + 1.0
    fig, ax = plt.subplots(figsize=(width_in, height_in), dpi=150, layout="constrained")
    ax.set_aspect("equal")
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    return fig, ax, Triangulation(x, y, tri["cells"])


def _save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    os.replace(tmp, path)


def plot_function(function, path: Path, title: str, width_px: int) -> None:
    """PNG of a scalar field (or the magnitude of a vector field); collective, rank 0 writes."""
    tri = _gather_triangles(function.function_space.mesh.comm, _local_triangles(function))
    if tri is None:
        return
    fig, ax, triangulation = _figure(tri, width_px)
    if tri["location"] == "point":
        image = ax.tripcolor(triangulation, tri["values"], shading="gouraud", cmap="viridis")
    else:
        image = ax.tripcolor(triangulation, facecolors=tri["values"], cmap="viridis")
    # an inset in axes coordinates: exactly as tall as the (equal-aspect) plot, whatever its shape
    fig.colorbar(image, cax=ax.inset_axes((1.02, 0.0, 0.025, 1.0)), label=label(title))
    ax.set_title(label(title))
    _save(fig, path)


def plot_regions(bundle, path: Path, width_px: int) -> None:
    """PNG of the mesh with each region coloured and named; collective, rank 0 writes."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    mesh = bundle.mesh
    tdim = mesh.topology.dim
    values = np.full(mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts, -1)
    values[bundle.cell_tags.indices] = bundle.cell_tags.values
    tri = _gather_triangles(mesh.comm, _local_triangles(mesh=mesh, cell_values=values))
    if tri is None:
        return
    fig, ax, triangulation = _figure(tri, width_px)
    tags = sorted(bundle.regions.values())
    index = np.searchsorted(tags, tri["values"])
    colors = [f"C{i % 10}" for i in range(len(tags))]
    ax.tripcolor(
        triangulation,
        facecolors=index.astype(float),
        cmap=ListedColormap(colors),
        vmin=-0.5,
        vmax=len(tags) - 0.5,
        edgecolors="k",
        linewidth=0.05,
    )
    names = {tag: name for name, tag in bundle.regions.items()}
    ax.legend(
        handles=[Patch(color=c, label=names[t]) for t, c in zip(tags, colors, strict=False)],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
    )
    ax.set_title(f"regions ({len(tri['cells'])} cells)")
    _save(fig, path)
