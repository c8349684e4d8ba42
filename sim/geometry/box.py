"""Box: a 3D block with spherical/ellipsoidal filler inclusions; anode z = 0, cathode z = height."""

from __future__ import annotations

import math

import gmsh

from sim.config.geometry import BoxGeometry
from sim.geometry.common import BOUNDARY_NAMES, FACET_TAG_OFFSET


def _name_surfaces(extent: tuple[float, float, float], surfaces: list[int]) -> dict[str, list[int]]:
    """Surfaces on z = 0 are `anode`, on z = height `cathode`, on the other four sides `walls`,
    all others (the inclusions' surfaces) `filler_surface`."""
    tol = 1e-6 * max(extent)
    groups: dict[str, list[int]] = {}
    for tag in surfaces:
        lo, hi = gmsh.model.getBoundingBox(2, tag)[:3], gmsh.model.getBoundingBox(2, tag)[3:]
        if hi[2] < tol:
            name = "anode"
        elif lo[2] > extent[2] - tol:
            name = "cathode"
        elif any(hi[k] < tol or lo[k] > extent[k] - tol for k in (0, 1)):
            name = "walls"
        else:
            name = "filler_surface"
        groups.setdefault(name, []).append(tag)
    return groups


def build(cfg: BoxGeometry, length_scale: float) -> dict[str, float]:
    """Block, inclusions fragmented into it (conforming surfaces), physical groups, sizes, 3D mesh."""
    s, opts = length_scale, cfg.mesh
    occ = gmsh.model.occ
    extent = (cfg.width / s, cfg.depth / s, cfg.height / s)
    block = occ.addBox(0.0, 0.0, 0.0, *extent)
    fillers: list[int] = []
    for inc in cfg.inclusions:
        centre = [c / s for c in inc.center]
        a, b, c = (v / s for v in inc.semi_axes)
        tag = occ.addSphere(*centre, a)
        if not (a == b == c):
            occ.dilate([(3, tag)], *centre, 1.0, b / a, c / a)
        fillers.append(tag)
    if fillers:
        _, children = occ.fragment([(3, block)], [(3, t) for t in fillers])
        filler_volumes = sorted({t for piece in children[1:] for _, t in piece})
        matrix = sorted({t for _, t in children[0]} - set(filler_volumes))
    else:
        filler_volumes, matrix = [], [block]
    occ.synchronize()
    gmsh.model.addPhysicalGroup(3, matrix, 1, name="electrolyte")
    if filler_volumes:
        gmsh.model.addPhysicalGroup(3, filler_volumes, 2, name="filler")
    surfaces = sorted({t for _, t in gmsh.model.getEntities(2)})
    groups = _name_surfaces(extent, surfaces)
    order = [b for b in BOUNDARY_NAMES if b in groups] + [b for b in groups if b not in BOUNDARY_NAMES]
    for i, name in enumerate(order, start=FACET_TAG_OFFSET + 1):
        gmsh.model.addPhysicalGroup(2, groups[name], i, name=name)
    _set_sizes(cfg, s, [t for name in ("anode", "cathode", "filler_surface") for t in groups.get(name, [])])
    gmsh.model.mesh.generate(3)
    if opts.order > 1:
        gmsh.model.mesh.setOrder(opts.order)
    filler = sum(4.0 / 3.0 * math.pi * math.prod(inc.semi_axes) for inc in cfg.inclusions)
    volumes = {"electrolyte": cfg.width * cfg.depth * cfg.height - filler}
    if fillers:
        volumes["filler"] = filler
    return volumes


def _set_sizes(cfg: BoxGeometry, s: float, refined: list[int]) -> None:
    """min_size on the electrodes and inclusion surfaces, growing to size over refine_distance;
    on curved surfaces at most 2πρ/curve_segments."""
    size, min_size, refine_distance = cfg.mesh.sizes()
    field = gmsh.model.mesh.field
    distance = field.add("Distance")
    field.setNumbers(distance, "SurfacesList", refined)
    threshold = field.add("Threshold")
    field.setNumber(threshold, "InField", distance)
    field.setNumber(threshold, "SizeMin", min_size / s)
    field.setNumber(threshold, "SizeMax", size / s)
    field.setNumber(threshold, "DistMin", 0.0)
    field.setNumber(threshold, "DistMax", refine_distance / s)
    field.setAsBackgroundMesh(threshold)
    for option in ("Mesh.MeshSizeExtendFromBoundary", "Mesh.MeshSizeFromPoints"):
        gmsh.option.setNumber(option, 0)
    gmsh.option.setNumber("Mesh.MeshSizeFromCurvature", cfg.mesh.curve_segments)
    gmsh.option.setNumber("Mesh.MeshSizeMax", size / s)
