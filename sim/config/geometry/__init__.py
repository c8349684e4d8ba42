"""Geometry sections of a run config: the four built domain kinds, their mesh options, and `file`
(an external mesh).

All lengths are in metres (YAML: `width: 100.0e-6`). The 2D kinds are the box [0, width] × [0, height]
with the anode at y = 0 and the cathode (or current collector) at the top; the 3D `box` kind has the
anode at z = 0 and the cathode at z = height (the last coordinate axis, as y is in 2D). Validation rejects
shapes that overlap, leave the box or touch the electrodes; the message names the offending item
(e.g. `inclusions[2]`) and pydantic adds the key path.
Shape overlap and clearance tests live in sim.config.shapes; each kind has its own module here.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from sim.config.geometry.base import RESERVED_NAMES, GeometryBase, MeshOptions
from sim.config.geometry.box import BoxGeometry, EllipsoidInclusion, SphereInclusion
from sim.config.geometry.dendrite import DendriteGeometry, Filaments, Nucleus
from sim.config.geometry.file import FileGeometry
from sim.config.geometry.layers import Layer, LayersGeometry
from sim.config.geometry.particles import Packing, Particle, ParticlesGeometry, Pore, RandomPores
from sim.config.geometry.slab import CircleInclusion, EllipseInclusion, Protrusion, SlabGeometry
from sim.config.shapes import Ellipse

GeometryConfig = Annotated[
    SlabGeometry | LayersGeometry | ParticlesGeometry | DendriteGeometry | FileGeometry | BoxGeometry,
    Field(discriminator="kind"),
]
"""The `geometry:` section: one of the kinds, chosen by `kind`."""

__all__ = [
    "RESERVED_NAMES",
    "BoxGeometry",
    "CircleInclusion",
    "DendriteGeometry",
    "Ellipse",
    "EllipseInclusion",
    "EllipsoidInclusion",
    "Filaments",
    "FileGeometry",
    "GeometryBase",
    "GeometryConfig",
    "Layer",
    "LayersGeometry",
    "MeshOptions",
    "Nucleus",
    "Packing",
    "Particle",
    "ParticlesGeometry",
    "Pore",
    "Protrusion",
    "RandomPores",
    "SlabGeometry",
    "SphereInclusion",
]
