"""PNG maps of fields and regions (matplotlib, no display): the figures of a run directory and the
side-by-side maps of `sim compare`.

Every map is drawn from a `Tri` (linear triangles in µm with point or cell values), gathered from
DOLFINx functions (`function_tri`) or read back from the field files (`sim.compare`). Labels name
the physical quantity (Li⁺, ξ, σ_h, …) and its SI unit (`label`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sim._dolfinx import dolfinx

import numpy as np
from mpi4py import MPI

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
    "RT": "RT",
    "c_c0": "c₀",
}
QUANTITIES = {  # field name without its unit suffix → what the figure calls it
    "concentration_Li": "Li⁺ concentration",
    "concentration_anion": "anion concentration",
    "concentration_immobile_anion": "immobile anion concentration",
    "particle_concentration_Li": "Li concentration in the particles",
    "potential": "potential φ",
    "phase_field_xi": "phase field ξ",
    "phase_field_eta": "phase field η",
    "chemical_potential": "chemical potential w",
    "li_ion_fraction": "Li⁺ concentration",
    "hydrostatic_stress": r"hydrostatic stress $\sigma_\mathrm{h}$",
    "von_mises_stress": r"von Mises stress $\sigma_\mathrm{vM}$",
    "current_density": "current density |i|",
    "conductivity": "conductivity σ",
    "displacement": "displacement |u|",
}
DIVERGING = ("hydrostatic_stress_Pa",)
"""fields with a sign: a diverging colour map centred on zero"""


PHASE_SYMBOLS = {"phase_field_eta": "η"}
"""the symbol of a phase field in figure titles, by Function name (default ξ)"""


def label(name: str) -> str:
    """'concentration_Li_mol_m3' → 'Li⁺ concentration (mol/m³)', 'phase_field_xi' → 'phase field ξ (1)';
    other names: underscores to spaces, the unit suffix in brackets."""
    base, unit = name, None
    for suffix in sorted(UNIT_SUFFIXES, key=len, reverse=True):
        if name.endswith("_" + suffix):
            base, unit = name[: -len(suffix) - 1], UNIT_SUFFIXES[suffix]
            break
    if base in ("phase_field_xi", "phase_field_eta"):
        unit = "1"
    text = QUANTITIES.get(base, base.replace("_", " "))
    return f"{text} ({unit})" if unit else text


@dataclass
class Tri:
    """Linear triangles for plotting: x (n, 2) in µm, cells (m, 3), values per point (n) or cell (m)."""

    x: np.ndarray
    cells: np.ndarray
    values: np.ndarray
    location: str
    """"point" or "cell": where the values are"""

    def triangulation(self):
        from matplotlib.tri import Triangulation

        return Triangulation(self.x[:, 0], self.x[:, 1], self.cells)


def _local(function=None, mesh=None, cell_values=None) -> dict:
    """This rank's owned cells as linear triangles (corner nodes) with point or cell values."""
    if function is not None:
        mesh = function.function_space.mesh
    tdim = mesh.topology.dim
    owned = mesh.topology.index_map(tdim).size_local
    space = function.function_space if function is not None else None
    if space is not None and space.element.basix_element.degree > 0:
        topology, _, x = dolfinx.plot.vtk_mesh(space)
        cells = topology.reshape(-1, topology[0] + 1)[:owned, 1:4]  # corners first in VTK order
        values = function.x.array.reshape(-1, space.dofmap.index_map_bs)
        location = "point"
    else:
        # geometry nodes; a curved (order-2) cell is drawn through its three corner nodes
        cells = dolfinx.mesh.entities_to_geometry(mesh, tdim, np.arange(owned, dtype=np.int32))[:, :3]
        x = mesh.geometry.x
        values = (
            function.x.array.reshape(-1, space.dofmap.index_map_bs)[:owned]
            if space is not None
            else np.asarray(cell_values, dtype=float)[:owned].reshape(-1, 1)
        )
        location = "cell"
    if values.shape[1] > 1:
        values = np.linalg.norm(values, axis=1, keepdims=True)
    return {"x": x[:, :2], "cells": cells, "values": values[:, 0], "location": location}


def _gather(comm: MPI.Comm, data: dict) -> Tri | None:
    """Every rank's triangles concatenated on rank 0 (None elsewhere)."""
    pieces = comm.gather(data, root=0)
    if pieces is None:  # not rank 0
        return None
    offsets = np.cumsum([0] + [len(p["x"]) for p in pieces[:-1]])
    return Tri(
        np.vstack([p["x"] for p in pieces]),
        np.vstack([p["cells"] + o for p, o in zip(pieces, offsets, strict=True)]),
        np.concatenate([p["values"] for p in pieces]),
        pieces[0]["location"],
    )


def function_tri(function) -> Tri | None:
    """`function` (scalar, or the magnitude of a vector) as a Tri on rank 0 (collective)."""
    return _gather(function.function_space.mesh.comm, _local(function))


def axes_for(x: np.ndarray, width_px: int, panels: int = 1):
    """A figure with `panels` equal-aspect map axes: stacked for wide domains, else side by side
    (more than two: two per row; an unused last axis is hidden)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    aspect = np.ptp(x[:, 1]) / max(np.ptp(x[:, 0]), 1e-30)
    rows, cols = (panels, 1) if aspect < 0.5 else ((panels + 1) // 2, 2) if panels > 2 else (1, panels)
    width_in = width_px / 150
    panel_h = float(np.clip(width_in / cols * aspect, 0.18 * width_in / cols, 1.5 * width_in / cols)) + 0.8
    fig, axes = plt.subplots(
        rows, cols, figsize=(width_in, rows * panel_h + 0.3), dpi=150, layout="constrained", squeeze=False
    )
    for ax in axes.flat:
        ax.set_aspect("equal")
        ax.set_xlabel("x (µm)")
        ax.set_ylabel("y (µm)")
    for ax in axes.flat[panels:]:
        ax.set_visible(False)
    return fig, list(axes.flat)[:panels]


def norm_for(lo: float, hi: float, diverging: bool = False):
    """Colour map and normalisation: viridis over [lo, hi], or a diverging map centred on 0."""
    from matplotlib.colors import Normalize, TwoSlopeNorm

    if diverging and lo < 0 < hi:
        bound = max(-lo, hi)
        return "RdBu_r", TwoSlopeNorm(0.0, -bound, bound)
    return "viridis", Normalize(lo, hi if hi > lo else lo + 1e-30)


def draw(ax, tri: Tri, cmap: str, norm, interface: Tri | None = None, mask_metal: bool = False):
    """Draw `tri` on `ax`; with `interface` (ξ on its own triangles) the ξ = ½ line is drawn, and with
    `mask_metal` the cells where ξ > ½ (the metal) are left blank (ξ must share `tri`'s points)."""
    triangulation = tri.triangulation()
    if mask_metal and interface is not None:
        if len(interface.x) != len(tri.x):
            raise ValueError("masking the metal needs ξ on the same points as the field")
        triangulation.set_mask(interface.values[tri.cells].mean(axis=1) > 0.5)
    if tri.location == "point":
        image = ax.tripcolor(triangulation, tri.values, shading="gouraud", cmap=cmap, norm=norm)
    else:
        image = ax.tripcolor(triangulation, facecolors=tri.values, cmap=cmap, norm=norm, edgecolors="face")
    if interface is not None and interface.values.min() < 0.5 < interface.values.max():
        ax.tricontour(interface.triangulation(), interface.values, levels=[0.5], colors="w", linewidths=1.2)
        ax.tricontour(interface.triangulation(), interface.values, levels=[0.5], colors="k", linewidths=0.5)
    return image


def save(fig, path: Path) -> None:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, bbox_inches="tight", pad_inches=0.05)
    plt.close(fig)
    os.replace(tmp, path)


def plot_function(
    function,
    path: Path,
    title: str,
    width_px: int,
    interface=None,
    mask_metal: bool = False,
    divide_by: float | None = None,
    quantity: str | None = None,
) -> None:
    """PNG of a scalar field (or the magnitude of a vector field); collective, rank 0 writes.

    interface: the phase field ξ (a Function; η of the grand-potential model): draw ξ = ½;
    mask_metal: blank where ξ > ½;
    divide_by, quantity: plot values / divide_by, labelled `quantity` (e.g. c / c_max)."""
    tri = function_tri(function)
    xi = function_tri(interface) if interface is not None else None
    if tri is None:
        return
    text, bar = quantity or label(title), quantity or label(function.name)
    if divide_by is not None:
        tri.values = tri.values / divide_by
    values = tri.values
    if mask_metal and xi is not None:
        keep = np.zeros(len(tri.x), bool)
        keep[tri.cells[xi.values[tri.cells].mean(axis=1) <= 0.5].ravel()] = True
        values = values[keep] if keep.any() else values
    cmap, norm = norm_for(float(values.min()), float(values.max()), diverging=function.name in DIVERGING)
    fig, (ax,) = axes_for(tri.x, width_px)
    image = draw(ax, tri, cmap, norm, xi, mask_metal)
    # an inset in axes coordinates: exactly as tall as the (equal-aspect) plot, whatever its shape
    fig.colorbar(image, cax=ax.inset_axes((1.02, 0.0, 0.025, 1.0)), label=bar)
    if xi is not None:
        phase = PHASE_SYMBOLS.get(interface.name, "ξ")
        line = f"line: {phase} = ½"
        text += f" (blank: Li metal, {phase} > ½; {line})" if mask_metal else f" ({line})"
    ax.set_title(text)
    save(fig, path)


def plot_fields(plots: dict, options: dict, directory: Path, width_px: int) -> None:
    """`plot_function` of each of a run's final fields (name → Function) to directory/name.png,
    with its options (name → keyword arguments); collective."""
    for name, function in plots.items():
        plot_function(function, directory / f"{name}.png", name, width_px, **options.get(name, {}))


def plot_regions(bundle, path: Path, width_px: int) -> None:
    """PNG of the mesh with each region coloured and named; collective, rank 0 writes. Cell edges
    only for coarse meshes (≤ 2000 cells; at finer meshes they merge into moiré)."""
    from matplotlib.colors import ListedColormap
    from matplotlib.patches import Patch

    mesh = bundle.mesh
    tdim = mesh.topology.dim
    imap = mesh.topology.index_map(tdim)
    values = np.full(imap.size_local + imap.num_ghosts, -1)
    values[bundle.cell_tags.indices] = bundle.cell_tags.values
    tri = _gather(mesh.comm, _local(mesh=mesh, cell_values=values))
    if tri is None:
        return
    fig, (ax,) = axes_for(tri.x, width_px)
    tags = sorted(bundle.regions.values())
    index = np.searchsorted(tags, tri.values)
    colors = [f"C{i % 10}" for i in range(len(tags))]
    coarse = len(tri.cells) <= 2000
    ax.tripcolor(
        tri.triangulation(),
        facecolors=index.astype(float),
        cmap=ListedColormap(colors),
        vmin=-0.5,
        vmax=len(tags) - 0.5,
        edgecolors="#33333399" if coarse else "face",
        linewidth=0.15 if coarse else 0.3,
    )
    names = {tag: name for name, tag in bundle.regions.items()}
    ax.legend(
        handles=[Patch(color=c, label=names[t]) for t, c in zip(tags, colors, strict=True)],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        frameon=False,
    )
    ax.set_title(f"regions ({len(tri.cells)} cells)")
    save(fig, path)
