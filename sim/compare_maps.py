"""`sim compare`'s maps: two runs' fields, read back from their field files, on ONE colour scale.

What is shown is chosen per quantity (`SHOWN`), so that equal colours mean equal values:
- Li⁺ and anion concentration: c / c̄ − 1, the relative deviation from the run's own mean c̄
  (= c0 for a closed, mass-conserving run), on a symmetric scale shared by both runs (phase-field
  runs: c itself, blank in the metal);
- Li in the particles: c / (K c0), the filling relative to the equilibrium site density;
- potential, ξ, stresses: the values, on the scale spanning both runs.
When both runs are on the same mesh, a third panel shows the difference B − A. Phase-field maps
draw ξ = ½ and leave c blank in the metal (ξ > ½).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

from sim.figures import DIVERGING, Tri, axes_for, draw, label, norm_for, save

MAP_FIELDS = (
    "concentration_Li_mol_m3",
    "potential_V",
    "concentration_anion_mol_m3",
    "particle_concentration_Li_mol_m3",
    "phase_field_xi",
    "von_mises_stress_Pa",
    "hydrostatic_stress_Pa",
)
SHOWN = {
    "concentration_Li_mol_m3": "deviation",
    "concentration_anion_mol_m3": "deviation",
    "particle_concentration_Li_mol_m3": "filling",
}


def read_field(run_dir: Path, name: str) -> Tri | None:
    """The last time step of fields/<name>.pvd as a Tri in µm (None if the run has no such file)."""
    import meshio

    pvd = run_dir / "fields" / f"{name}.pvd"
    if not pvd.exists():
        return None
    pieces = [d.attrib["file"] for d in ET.parse(pvd).getroot().iter("DataSet")]
    mesh = meshio.read(pvd.parent / pieces[-1])
    x = mesh.points[:, :2] * 1e6
    cells = mesh.cells[0].data[:, :3]
    if name in mesh.point_data:
        values, location = np.asarray(mesh.point_data[name]), "point"
    else:
        values, location = np.asarray(mesh.cell_data[name][0]), "cell"
    if values.ndim > 1:
        values = np.linalg.norm(values, axis=1)
    return Tri(x, cells, values.astype(float), location)


def _required_field(run_dir: Path, name: str) -> Tri:
    """`read_field`, for a field the run must have (FileNotFoundError if it has not)."""
    tri = read_field(run_dir, name)
    if tri is None:
        raise FileNotFoundError(f"{run_dir / 'fields' / name}.pvd does not exist")
    return tri


def _mean(tri: Tri) -> float:
    """Area-weighted mean of a (linear or constant per cell) field over its triangles."""
    a, b, c = (tri.x[tri.cells[:, i]] for i in range(3))
    area = 0.5 * np.abs((b - a)[:, 0] * (c - a)[:, 1] - (b - a)[:, 1] * (c - a)[:, 0])
    per_cell = tri.values[tri.cells].mean(axis=1) if tri.location == "point" else tri.values
    return float((area * per_cell).sum() / area.sum())


def _shown(field: str, tri: Tri, summary: dict, phase_field: bool) -> tuple[Tri, str, str]:
    """The quantity drawn for `field` (SHOWN), its label and a note for the run's panel title.
    Phase-field runs show c itself (their mean would include the metal side)."""
    kind = None if phase_field else SHOWN.get(field)
    if kind == "deviation":
        mean = _mean(tri)
        tri.values = tri.values / mean - 1.0
        return tri, f"{label(field).split(' (')[0]} c / c̄ − 1 (1)", f"c̄ = {mean:.5g} mol/m³"
    if kind == "filling" and summary.get("particle_capacity_mol_m3"):
        capacity = summary["particle_capacity_mol_m3"]
        tri.values = tri.values / capacity
        return tri, "particle filling c / (K c₀) (1)", f"K c₀ = {capacity:.4g} mol/m³"
    return tri, label(field), ""


def _same_mesh(a: Tri, b: Tri) -> bool:
    return a.location == b.location and a.x.shape == b.x.shape and np.allclose(a.x, b.x, rtol=0, atol=1e-9)


def comparison_maps(
    field: str, summaries: list[dict], run_dirs: list[Path], path: Path
) -> tuple[float, float]:
    """figures/maps_<field>.png of `sim compare`: the runs' maps on one colour scale (+ B − A);
    returns that scale's limits."""
    names = [s["config_name"] for s in summaries]
    xis = [read_field(d, "phase_field_xi") for d in run_dirs]
    xi_tris = [xi for xi in xis if xi is not None]
    phase_field = len(xi_tris) == len(xis)
    shown = [
        _shown(field, _required_field(d, field), s, phase_field)
        for d, s in zip(run_dirs, summaries, strict=True)
    ]
    tris, text = [t for t, _, _ in shown], shown[0][1]
    mask = field == "concentration_Li_mol_m3" and phase_field
    if mask:  # the point values of the cells outside the metal (c and ξ share their points)
        visible = [
            t.values[np.unique(t.cells[xi.values[t.cells].mean(axis=1) <= 0.5])]
            for t, xi in zip(tris, xi_tris, strict=True)
        ]
    else:
        visible = [t.values for t in tris]
    lo = min(float(v.min()) for v in visible)
    hi = max(float(v.max()) for v in visible)
    deviation = SHOWN.get(field) == "deviation" and not phase_field
    if deviation:  # symmetric around "no deviation"
        lo, hi = -max(abs(lo), abs(hi), 1e-12), max(abs(lo), abs(hi), 1e-12)
    cmap, norm = norm_for(lo, hi, diverging=field in DIVERGING or deviation)
    difference = len(tris) == 2 and _same_mesh(*tris) and xis[0] is None
    fig, axes = axes_for(np.vstack([t.x for t in tris]), 1400, len(tris) + int(difference))
    for ax, tri, xi, name, (_, _, note) in zip(axes, tris, xis, names, shown, strict=False):
        image = draw(ax, tri, cmap, norm, xi, mask)
        ax.set_title(f"{name}\n{note}" if note else name, fontweight="bold", fontsize=11)
    fig.colorbar(image, ax=axes[: len(tris)], label=text, shrink=0.9)
    if difference:
        delta = Tri(tris[0].x, tris[0].cells, tris[1].values - tris[0].values, tris[0].location)
        bound = float(np.abs(delta.values).max()) or 1.0
        d_cmap, d_norm = norm_for(-bound, bound, diverging=True)
        image = draw(axes[-1], delta, d_cmap, d_norm)
        axes[-1].set_title(f"{names[1]} − {names[0]}", fontweight="bold", fontsize=11)
        fig.colorbar(
            image,
            ax=axes[-1],
            label=f"difference ({text.rsplit(' (', 1)[-1]}" if text.endswith(")") else "difference",
            shrink=0.9,
        )
    fig.suptitle("one colour scale for both runs", fontsize=10, style="italic")
    save(fig, path)
    return lo, hi
