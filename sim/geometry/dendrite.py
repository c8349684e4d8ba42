"""Dendrite: a film with Li half-disc nuclei on the anode and optional vertical filaments."""

from __future__ import annotations

import math

from sim.config.geometry import DendriteGeometry
from sim.config.shapes import Ellipse
from sim.geometry.common import (
    Shape,
    add_ellipse,
    add_rectangle,
    boundary_groups,
    finish,
    fragment,
    standard_refinements,
)


def build(cfg: DendriteGeometry, length_scale: float) -> dict[str, float]:
    s, opts = length_scale, cfg.mesh
    box = add_rectangle(0.0, 0.0, cfg.width, cfg.height, s)
    discs = [Ellipse(n.center_x, 0.0, n.radius, n.radius) for n in cfg.nuclei]
    shapes = [Shape(add_ellipse(d, s), "nucleus") for d in discs]
    fil = cfg.filaments
    strips = fil.strips(cfg.width) if fil is not None else []
    foot, top = (fil.gap, fil.height) if fil is not None else (0.0, 0.0)
    for x0, x1 in strips:
        tag = add_rectangle(x0, foot, x1 - x0, top - foot, s)
        shapes.append(Shape(tag, "filament"))
    regions = fragment(box, shapes, "electrolyte")
    groups = boundary_groups(
        cfg.width,
        cfg.height,
        s,
        regions,
        {("electrolyte", "nucleus"): "nucleus_surface", ("electrolyte", "filament"): "filament_surface"},
    )
    refinements = standard_refinements(opts, groups, anode_band=cfg.anode_band)
    finish(opts, s, regions, groups, ["electrolyte", "nucleus", "filament"], refinements)
    nucleus = sum(math.pi * d.a**2 / 2 for d in discs)
    filament = sum((x1 - x0) * (top - foot) for x0, x1 in strips)
    areas = {"electrolyte": cfg.width * cfg.height - nucleus - filament}
    if discs:
        areas["nucleus"] = nucleus
    if strips:
        areas["filament"] = filament
    return areas
