"""Helpers shared by the gmsh builders: shapes, fragmenting into regions, naming boundary curves,
mesh size fields and mesh generation.

Every builder works in the current gmsh model with coordinates in units of `length_scale`
(micrometres for 1e-6): gmsh's default geometric tolerances are absolute (~1e-8) and misbehave
when coordinates are ~1e-6 m.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import gmsh

from sim.config.geometry import MeshOptions
from sim.config.shapes import Ellipse

BOUNDARY_NAMES = ("anode", "cathode", "walls")
FACET_TAG_OFFSET = 100
"""facet group tags are 101, 102, ... (region tags 1, 2, ...), so the two are never confused"""


class GeometryError(ValueError):
    """A valid config whose geometry cannot be built (e.g. a random packing that cannot be placed)."""


@dataclass
class Shape:
    """A surface to fragment with the domain box and its region (None: a hole, removed)."""

    tag: int
    region: str | None


def add_rectangle(x0: float, y0: float, width: float, height: float, s: float) -> int:
    """A rectangle surface (arguments in m, model in units of s); returns its tag."""
    return gmsh.model.occ.addRectangle(x0 / s, y0 / s, 0.0, width / s, height / s)


def add_ellipse(e: Ellipse, s: float) -> int:
    """An elliptic disc surface (OCC needs the first semi-axis to be the larger); returns its tag."""
    a, b, angle = e.a, e.b, e.angle
    if a < b:
        a, b, angle = b, a, angle + math.pi / 2
    tag = gmsh.model.occ.addDisk(e.x / s, e.y / s, 0.0, a / s, b / s)
    if angle % (2 * math.pi) != 0.0:
        gmsh.model.occ.rotate([(2, tag)], e.x / s, e.y / s, 0.0, 0.0, 0.0, 1.0, angle)
    return tag


def fragment(box: int, shapes: list[Shape], matrix: str | None) -> dict[int, str]:
    """Fragment the box with the shapes (conforming interfaces), then delete what lies outside
    the box and the holes. Returns {surface: region} of what is kept (box parts not covered by a
    shape get `matrix`)."""
    occ = gmsh.model.occ
    if not shapes:
        occ.synchronize()
        return {box: matrix} if matrix is not None else {}
    _, children = occ.fragment([(2, box)], [(2, sh.tag) for sh in shapes])
    inside = {tag for _, tag in children[0]}
    region: dict[int, str | None] = {}
    for sh, pieces in zip(shapes, children[1:], strict=False):
        for _, tag in pieces:
            if tag in inside:
                region[tag] = sh.region
    for tag in inside:
        region.setdefault(tag, matrix)
    drop = {
        tag for _, pieces in zip(shapes, children[1:], strict=False) for _, tag in pieces if tag not in inside
    }
    drop |= {tag for tag, name in region.items() if name is None}
    if drop:
        occ.remove([(2, t) for t in sorted(drop)], recursive=True)
    occ.synchronize()
    return {tag: name for tag, name in region.items() if name is not None}


def boundary_groups(
    width: float, height: float, s: float, regions: dict[int, str], interfaces: dict[tuple[str, ...], str]
) -> dict[str, list[int]]:
    """Name the boundary curves of the kept surfaces.

    Curves on the box sides (by bounding box) are `anode` (y = 0), `cathode` (y = height) and
    `walls` (x = 0, x = width). Any other curve is named by the regions on its sides:
    `interfaces[tuple(sorted(regions))]` — a 1-tuple for a hole or bump boundary. A curve between
    two surfaces of the same region is not named.
    """
    w, h = width / s, height / s
    tol = 1e-6 * max(w, h)
    groups: dict[str, list[int]] = {}
    curves = sorted(
        {c for _, c in gmsh.model.getBoundary([(2, t) for t in regions], combined=False, oriented=False)}
    )
    for c in curves:
        xmin, ymin, _, xmax, ymax, _ = gmsh.model.getBoundingBox(1, c)
        if ymax < tol:
            name = "anode"
        elif ymin > h - tol:
            name = "cathode"
        elif xmax < tol or xmin > w - tol:
            name = "walls"
        else:
            sides = [t for t in gmsh.model.getAdjacencies(1, c)[0] if t in regions]
            key = tuple(sorted({regions[t] for t in sides}))
            if len(sides) == 2 and len(key) == 1:
                continue
            if key not in interfaces:
                raise GeometryError(f"internal error: no boundary name for a curve between {key}")
            name = interfaces[key]
        groups.setdefault(name, []).append(c)
    return groups


def add_physical_groups(
    regions: dict[int, str], groups: dict[str, list[int]], region_order: list[str]
) -> None:
    """Physical groups by name: regions (dim 2, tags 1, 2, ...) in region_order, boundaries
    (dim 1, tags 101, 102, ...) with anode, cathode, walls first."""
    names = [r for r in region_order if r in regions.values()]
    for i, name in enumerate(names, start=1):
        gmsh.model.addPhysicalGroup(2, sorted(t for t, r in regions.items() if r == name), i, name=name)
    order = [b for b in BOUNDARY_NAMES if b in groups] + [b for b in groups if b not in BOUNDARY_NAMES]
    for i, name in enumerate(order, start=FACET_TAG_OFFSET + 1):
        gmsh.model.addPhysicalGroup(1, sorted(groups[name]), i, name=name)


@dataclass
class Refinement:
    """Use `size` (m) on `curves` and up to `band` (m) away from them, growing to the far size
    over the mesh's refine_distance."""

    curves: list[int]
    size: float
    band: float = 0.0


def standard_refinements(
    opts: MeshOptions, groups: dict[str, list[int]], anode_band: float = 0.0
) -> list[Refinement]:
    """min_size at the anode (and in a band of anode_band above it), the cathode and every
    internal interface or hole surface."""
    min_size = opts.sizes()[1]
    out = [Refinement(groups["anode"], min_size, anode_band)]
    internal = [c for name, curves in groups.items() if name not in BOUNDARY_NAMES for c in curves]
    for curves in (groups.get("cathode", []), internal):
        if curves:
            out.append(Refinement(curves, min_size))
    return out


def set_mesh_sizes(opts: MeshOptions, s: float, refinements: list[Refinement]) -> None:
    """Distance + Threshold field per refinement, their Min as background field (gmsh t10), and
    on curved boundaries at most 2πρ/curve_segments (ρ the local radius of curvature)."""
    field = gmsh.model.mesh.field
    size, _, refine_distance = opts.sizes()
    thresholds = []
    for ref in refinements:
        if not ref.curves:
            continue
        longest = max(gmsh.model.occ.getMass(1, c) for c in ref.curves)
        distance = field.add("Distance")
        field.setNumbers(distance, "CurvesList", ref.curves)
        field.setNumber(distance, "Sampling", min(20000, max(20, math.ceil(2 * longest * s / ref.size))))
        threshold = field.add("Threshold")
        field.setNumber(threshold, "InField", distance)
        field.setNumber(threshold, "SizeMin", ref.size / s)
        field.setNumber(threshold, "SizeMax", size / s)
        field.setNumber(threshold, "DistMin", ref.band / s)
        field.setNumber(threshold, "DistMax", (ref.band + refine_distance) / s)
        thresholds.append(threshold)
    if thresholds:
        smallest = field.add("Min")
        field.setNumbers(smallest, "FieldsList", thresholds)
        field.setAsBackgroundMesh(smallest)
    for option in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints"):
        gmsh.option.setNumber(option, 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", opts.curve_segments)
    gmsh.option.setNumber("Mesh.MeshSizeMax", size / s)


def finish(
    opts: MeshOptions,
    s: float,
    regions: dict[int, str],
    groups: dict[str, list[int]],
    region_order: list[str],
    refinements: list[Refinement],
) -> None:
    """Physical groups, size fields and the 2D mesh (of the mesh's order)."""
    add_physical_groups(regions, groups, region_order)
    set_mesh_sizes(opts, s, refinements)
    gmsh.model.mesh.generate(2)
    if opts.order > 1:
        gmsh.model.mesh.setOrder(opts.order)


def region_cad_areas(s: float) -> dict[str, float]:
    """Area (m², 2D) or volume (m³, 3D) of each named region from the CAD (OCC) entities."""
    d = gmsh.model.getDimension()
    out = {}
    for dim, tag in gmsh.model.getPhysicalGroups(d):
        name = gmsh.model.getPhysicalName(dim, tag)
        entities = gmsh.model.getEntitiesForPhysicalGroup(dim, tag)
        out[name] = sum(gmsh.model.occ.getMass(d, int(e)) for e in entities) * s**d
    return out
