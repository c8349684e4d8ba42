"""Particles: elliptical particles in a binder (explicit or randomly packed), optional pores."""

from __future__ import annotations

from sim.config.geometry import ParticlesGeometry
from sim.config.shapes import Ellipse
from sim.geometry.common import (
    GeometryError,
    Shape,
    add_ellipse,
    add_rectangle,
    boundary_groups,
    finish,
    fragment,
    standard_refinements,
)
from sim.geometry.packing import pack_ellipses, place_pores


def layout(cfg: ParticlesGeometry) -> tuple[list[Ellipse], list[Ellipse], list[Ellipse]]:
    """The particles, ceramic particles and pores (m) of a config: explicit, or drawn
    deterministically from seeds (the ceramic around the particles, the pores around both)."""
    if cfg.particles is not None:
        particles = [p.ellipse() for p in cfg.particles]
    elif cfg.packing is not None:
        particles = pack_ellipses(cfg.packing, cfg.width, cfg.height)
    else:  # the config requires exactly one of the two
        raise GeometryError("geometry: neither particles nor packing given")
    ceramic = (
        pack_ellipses(cfg.ceramic, cfg.width, cfg.height, avoid=particles, what="ceramic")
        if cfg.ceramic is not None
        else []
    )
    if cfg.pores is None:
        pores = []
    elif isinstance(cfg.pores, list):
        pores = [p.ellipse() for p in cfg.pores]
    else:
        pores = place_pores(cfg.pores, particles + ceramic, cfg.width, cfg.height)
    return particles, ceramic, pores


def build(cfg: ParticlesGeometry, length_scale: float) -> dict[str, float]:
    s, opts = length_scale, cfg.mesh
    particles, ceramic, pores = layout(cfg)
    box = add_rectangle(0.0, 0.0, cfg.width, cfg.height, s)
    shapes = [Shape(add_ellipse(e, s), "particle") for e in particles]
    shapes += [Shape(add_ellipse(e, s), "ceramic") for e in ceramic]
    shapes += [Shape(add_ellipse(e, s), None) for e in pores]
    regions = fragment(box, shapes, "binder")
    groups = boundary_groups(
        cfg.width,
        cfg.height,
        s,
        regions,
        {
            ("binder", "particle"): "particle_surface",
            ("binder", "ceramic"): "ceramic_surface",
            ("binder",): "pore_surface",
        },
    )
    names = ["binder", "particle"] + (["ceramic"] if ceramic else [])
    finish(opts, s, regions, groups, names, standard_refinements(opts, groups))
    areas = {"particle": sum(e.area for e in particles)} | (
        {"ceramic": sum(e.area for e in ceramic)} if ceramic else {}
    )
    holes = sum(e.area for e in pores)
    return {"binder": cfg.width * cfg.height - sum(areas.values()) - holes} | areas
