"""An estimate of a geometry's triangle count from its sizes, made before gmsh runs.

The size field (sim.geometry.common.set_mesh_sizes) is `min_size` on the refined curves (anode,
cathode, internal interfaces and hole surfaces; for the dendrite kind also a band of
`refine_height` above the anode), growing linearly to `size` over `refine_distance`, and `size`
elsewhere. With n(h) = C/h² triangles per unit area (C = 1.5 × 4/√3, see CELLS_PER_AREA), a curve of
length L refined this way adds L · ∫₀ᴰ dd/h(d)² = L·D/(min_size·size) times C, a band of height b
adds L·b/min_size², and the bulk adds A/size². Overlapping bands are counted twice and the bulk is
not reduced by them, so the estimate errs on the high side; it is capped by C·A/min_size² (every
triangle at least min_size), plus `4 × curve_segments` per curved shape (curvature refinement).
"""

from __future__ import annotations

import math
from typing import Any

CELLS_PER_AREA = 1.5 * 4.0 / math.sqrt(3.0)
"""triangles per h² of area: 4/√3 for equilateral triangles of side h, times 1.5 because gmsh's
triangles come out smaller than the size field (measured on the shipped configs: 0.68–1.4 × the
unscaled estimate)"""


def ellipse_perimeter(a: float, b: float) -> float:
    """Ramanujan's approximation of an ellipse's perimeter (relative error < 1e-4 for a/b < 5)."""
    h = ((a - b) / (a + b)) ** 2
    return math.pi * (a + b) * (1 + 3 * h / (10 + math.sqrt(4 - 3 * h)))


def _shape_perimeter(item: Any) -> float:
    if hasattr(item, "semi_axes"):
        return ellipse_perimeter(*item.semi_axes)
    return 2 * math.pi * item.radius


def refined_curves(geometry: Any) -> tuple[float, float, int]:
    """(total length of the curves refined to min_size, m; length of the anode band, m; number of
    curved shapes) of a validated geometry section."""
    kind, width = geometry.kind, geometry.width
    length, curved = 2 * width, 0  # anode and cathode
    bump = getattr(geometry, "protrusion", None)
    if bump is not None:
        length += ellipse_perimeter(bump.width / 2, bump.height) / 2
        curved += 1
    band = 0.0
    if kind == "slab":
        length += sum(_shape_perimeter(s) for s in geometry.inclusions)
        curved += len(geometry.inclusions)
    elif kind == "layers":
        length += (len(geometry.layers) - 1) * width
    elif kind == "particles":
        shapes = list(geometry.particles or [])
        length += sum(_shape_perimeter(s) for s in shapes)
        curved += len(shapes)
        for packing in (geometry.packing, geometry.ceramic):
            if packing is None:
                continue
            a, b = packing.semi_axes  # the smallest particles: the most of them
            count = math.ceil(packing.volume_fraction * width * geometry.height / (math.pi * a * b))
            length += count * ellipse_perimeter(a, b)
            curved += count
        pores = geometry.pores
        if isinstance(pores, list):
            length += sum(_shape_perimeter(p) for p in pores)
            curved += len(pores)
        elif pores is not None:
            length += pores.count * 2 * math.pi * pores.radius
            curved += pores.count
    elif kind == "dendrite":
        length += sum(math.pi * n.radius for n in geometry.nuclei)
        curved += len(geometry.nuclei)
        if geometry.filaments is not None:
            f = geometry.filaments
            length += len(f.strips(width)) * (2 * (f.height - f.gap) + 2 * f.width)
        band = width
    return length, band, curved


def estimate_cells(geometry: Any) -> float:
    """Upper-side estimate of the number of triangles gmsh will make (see the module docstring)."""
    mesh = geometry.mesh
    area = geometry.width * geometry.height
    length, band, curved = refined_curves(geometry)
    band_height = getattr(geometry, "refine_height", None) or geometry.height / 2 if band else 0.0
    lo, hi, dist = mesh.min_size, mesh.size, mesh.refine_distance
    graded = area / hi**2 + length * dist / (lo * hi) + band * band_height / lo**2
    return CELLS_PER_AREA * min(graded, area / lo**2) + 4 * mesh.curve_segments * curved
