"""Layers: bands stacked from the anode (y = 0) to the cathode, interfaces `<lower>__<upper>`,
and an optional Li bump on the anode cut out of the first layer."""

from __future__ import annotations

import itertools

from sim.config.geometry import LayersGeometry
from sim.geometry.common import (
    Shape,
    add_ellipse,
    add_rectangle,
    boundary_groups,
    finish,
    fragment,
    standard_refinements,
)


def build(cfg: LayersGeometry, length_scale: float) -> dict[str, float]:
    s, opts = length_scale, cfg.mesh
    box = add_rectangle(0.0, 0.0, cfg.width, cfg.height, s)
    shapes, y = [], 0.0
    for layer in cfg.layers:
        shapes.append(Shape(add_rectangle(0.0, y, cfg.width, layer.thickness, s), layer.name))
        y += layer.thickness
    names = [layer.name for layer in cfg.layers]
    interfaces = {tuple(sorted((lo, hi))): f"{lo}__{hi}" for lo, hi in itertools.pairwise(names)}
    areas = {layer.name: cfg.width * layer.thickness for layer in cfg.layers}
    if cfg.protrusion is not None:
        bump = cfg.protrusion.ellipse()
        shapes.append(Shape(add_ellipse(bump, s), None))  # a hole (the last shape wins where shapes overlap)
        interfaces[(names[0],)] = "anode"
        areas[names[0]] -= bump.area / 2
    regions = fragment(box, shapes, None)
    groups = boundary_groups(cfg.width, cfg.height, s, regions, interfaces)
    finish(opts, s, regions, groups, names, standard_refinements(opts, groups))
    return areas
