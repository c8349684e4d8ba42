"""particles: elliptical active particles in a binder, with optional pores."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.config.base import Length, Strict
from sim.config.geometry.base import GeometryBase, MeshOptions, Point
from sim.config.geometry.slab import check_ellipses
from sim.config.shapes import Ellipse, fmt_length, pair_problem


class Particle(Strict):
    """One elliptical particle."""

    center: Point
    """centre [x, y], m"""
    semi_axes: tuple[Length, Length]
    """semi-axes [a, b], m"""
    angle_deg: float = 0.0
    """counter-clockwise rotation of the a axis from x, degrees"""

    def ellipse(self) -> Ellipse:
        return Ellipse(self.center[0], self.center[1], *self.semi_axes, math.radians(self.angle_deg))


class Packing(Strict):
    """Random sequential packing of non-overlapping ellipses (deterministic for a seed).

    Sizes are drawn until their total area reaches volume_fraction × width × height; then all
    semi-axes are scaled by one common factor close to 1 so the fraction is met exactly. Particles
    are placed largest first at uniformly random positions (random sequential addition), which
    jams at about 0.35–0.45 for 2:1 ellipses in a box a few particles wide (less with a larger
    min_gap); a fraction that cannot be placed raises an error when the mesh is built.
    """

    volume_fraction: float = Field(gt=0, lt=0.75)
    """particle area / box area (width × height)"""
    semi_axes: tuple[Length, Length]
    """semi-axes [a, b] of each particle, m (the lower end when semi_axes_max is given)"""
    semi_axes_max: tuple[Length, Length] | None = None
    """if given, a and b are drawn uniformly between semi_axes and semi_axes_max, m"""
    angle_deg: float | None = None
    """rotation of every particle, degrees (default: uniformly random)"""
    min_gap: Length | None = None
    """smallest distance between particles and from particles to the box sides, m
    (default: 0.2 × the smaller semi-axis)"""
    seed: int = 0
    """random seed"""
    max_attempts: int = Field(default=2000, gt=0, le=1000000)
    """random positions tried per particle before giving up"""

    @model_validator(mode="after")
    def _check_range(self) -> Packing:
        if self.semi_axes_max is not None and any(
            hi < lo for lo, hi in zip(self.semi_axes, self.semi_axes_max, strict=False)
        ):
            raise ValueError("semi_axes_max is smaller than semi_axes")
        if self.min_gap is None:
            self.min_gap = self.gap
        return self

    @property
    def gap(self) -> float:
        """Smallest distance between particles and to the box sides, m (`min_gap`, default 0.2 b)."""
        return self.min_gap if self.min_gap is not None else 0.2 * min(self.semi_axes)


class Pore(Strict):
    """A circular pore (a hole in the domain)."""

    center: Point
    """centre [x, y], m"""
    radius: Length
    """radius, m"""

    def ellipse(self) -> Ellipse:
        return Ellipse(self.center[0], self.center[1], self.radius, self.radius, 0.0)


class RandomPores(Strict):
    """`count` circular pores placed at random in the binder (after the particles)."""

    count: int = Field(gt=0)
    """number of pores"""
    radius: Length
    """pore radius, m"""
    min_gap: Length | None = None
    """smallest distance to particles, other pores and the box sides, m (default: radius/2)"""
    seed: int = 0
    """random seed"""
    max_attempts: int = Field(default=2000, gt=0, le=1000000)
    """random positions tried per pore before giving up"""

    @model_validator(mode="after")
    def _default_gap(self) -> RandomPores:
        if self.min_gap is None:
            self.min_gap = self.gap
        return self

    @property
    def gap(self) -> float:
        """Smallest distance to particles, other pores and the box sides, m (`min_gap`, default r/2)."""
        return self.min_gap if self.min_gap is not None else self.radius / 2


class ParticlesGeometry(GeometryBase):
    """A composite electrode: elliptical particles in a binder, optionally with pores.

    The y = 0 side (facing the separator/anode) is `anode`, the top (current collector) `cathode`.
    Regions: `binder`, `particle`, `ceramic` (if ceramic). Boundaries: `anode`, `cathode`, `walls`,
    `particle_surface`, `ceramic_surface` (if ceramic), `pore_surface` (if pores).
    """

    kind: Literal["particles"]
    """geometry kind (selects this section's schema)"""
    width: Length = 40.0e-6
    """width, m"""
    height: Length = 20.0e-6
    """thickness (anode side to current collector), m"""
    particles: list[Particle] | None = None
    """explicit particles (give this or packing)"""
    packing: Packing | None = None
    """random packing (give this or particles)"""
    ceramic: Packing | None = None
    """a Li⁺-conducting ceramic phase (region `ceramic`, e.g. LATP particles, seed 000) packed after
    the active particles, its own min_gap clear of them, the box sides and each other; only the
    impedance experiment models it (a single-ion conductor)"""
    pores: list[Pore] | RandomPores | None = None
    """holes in the binder: explicit circles or {count, radius, seed}"""
    mesh: MeshOptions = MeshOptions()
    """element sizes (unset ones are filled in from the domain size)"""

    def _reference_length(self) -> float:
        return min(self.width, self.height)

    @field_validator("particles")
    @classmethod
    def _check_particles(cls, value: list | None, info: ValidationInfo) -> list | None:
        if value is not None:
            if not value:
                raise ValueError("particles is empty (give at least one, or use packing)")
            if "width" in info.data and "height" in info.data:
                check_ellipses(value, info.data["width"], info.data["height"], "particles")
        return value

    @field_validator("packing", "ceramic")
    @classmethod
    def _check_packing(cls, value: Packing | None, info: ValidationInfo) -> Packing | None:
        if value is None or "width" not in info.data or "height" not in info.data:
            return value
        a = max(value.semi_axes_max or value.semi_axes)
        if 2 * (a + value.gap) >= min(info.data["width"], info.data["height"]):
            raise ValueError(
                f"{info.field_name} particles (semi-axis up to {fmt_length(a)}, gap {fmt_length(value.gap)}) "
                "do not fit in the box"
            )
        return value

    @field_validator("pores")
    @classmethod
    def _check_pores(cls, value, info: ValidationInfo):
        if not isinstance(value, list) or "width" not in info.data or "height" not in info.data:
            return value
        check_ellipses(value, info.data["width"], info.data["height"], "pores")
        for i, pore in enumerate(value):
            for j, particle in enumerate(info.data.get("particles") or []):
                problem = pair_problem(pore.ellipse(), particle.ellipse())
                if problem:
                    raise ValueError(f"pores[{i}] {problem} particles[{j}]")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> ParticlesGeometry:
        if (self.particles is None) == (self.packing is None):
            raise ValueError(
                "give either particles (an explicit list) or packing, not "
                + ("both" if self.particles is not None else "neither")
            )
        return self
