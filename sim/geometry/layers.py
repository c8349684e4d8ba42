"""Layers: bands stacked from the anode (y = 0) to the cathode, interfaces `<lower>__<upper>`."""

from __future__ import annotations

from sim.config.geometry import LayersGeometry
from sim.geometry.common import Shape, add_rectangle, boundary_groups, finish, fragment, standard_refinements


def build(cfg: LayersGeometry, length_scale: float) -> dict[str, float]:
    s, opts = length_scale, cfg.mesh
    box = add_rectangle(0.0, 0.0, cfg.width, cfg.height, s)
    shapes, y = [], 0.0
    for layer in cfg.layers:
        shapes.append(Shape(add_rectangle(0.0, y, cfg.width, layer.thickness, s), layer.name))
        y += layer.thickness
    regions = fragment(box, shapes, None)
    names = [layer.name for layer in cfg.layers]
    interfaces = {tuple(sorted((lo, hi))): f"{lo}__{hi}" for lo, hi in zip(names, names[1:])}
    groups = boundary_groups(cfg.width, cfg.height, s, regions, interfaces)
    finish(opts, s, regions, groups, names, standard_refinements(opts, groups))
    return {layer.name: cfg.width * layer.thickness for layer in cfg.layers}
