"""Slab: a rectangular film with filler inclusions and an optional Li bump on the anode."""

from __future__ import annotations

import math

from sim.config.geometry import SlabGeometry
from sim.geometry.common import (
    Shape,
    add_ellipse,
    add_rectangle,
    boundary_groups,
    finish,
    fragment,
    standard_refinements,
)


def build(cfg: SlabGeometry, length_scale: float) -> dict[str, float]:
    s, opts = length_scale, cfg.mesh
    box = add_rectangle(0.0, 0.0, cfg.width, cfg.height, s)
    ellipses = [inclusion.ellipse() for inclusion in cfg.inclusions]
    shapes = [Shape(add_ellipse(e, s), "filler") for e in ellipses]
    if cfg.protrusion is not None:
        bump = cfg.protrusion.ellipse()
        shapes.append(Shape(add_ellipse(bump, s), None))
    regions = fragment(box, shapes, "electrolyte")
    groups = boundary_groups(
        cfg.width,
        cfg.height,
        s,
        regions,
        {("electrolyte",): "anode", ("electrolyte", "filler"): "filler_surface"},
    )
    finish(opts, s, regions, groups, ["electrolyte", "filler"], standard_refinements(opts, groups))
    filler = sum(e.area for e in ellipses)
    bump_area = math.pi * cfg.protrusion.width / 2 * cfg.protrusion.height / 2 if cfg.protrusion else 0.0
    areas = {"electrolyte": cfg.width * cfg.height - filler - bump_area}
    if ellipses:
        areas["filler"] = filler
    return areas
