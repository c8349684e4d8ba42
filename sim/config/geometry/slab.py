"""slab: a rectangle with filler inclusions and an optional Li protrusion on the anode."""

from __future__ import annotations

import math
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from sim.config.base import Length, Strict
from sim.config.geometry.base import GeometryBase, MeshOptions, Point
from sim.config.shapes import Ellipse, fmt_length, fmt_point, pair_problem, side_problem


class CircleInclusion(Strict):
    """A circular filler particle."""

    shape: Literal["circle"]
    """inclusion shape"""
    center: Point
    """centre [x, y], m"""
    radius: Length
    """radius, m"""

    def ellipse(self) -> Ellipse:
        return Ellipse(self.center[0], self.center[1], self.radius, self.radius, 0.0)


class EllipseInclusion(Strict):
    """An elliptical filler particle."""

    shape: Literal["ellipse"]
    """inclusion shape"""
    center: Point
    """centre [x, y], m"""
    semi_axes: tuple[Length, Length]
    """semi-axes [a, b], m (a along x before rotation)"""
    angle_deg: float = 0.0
    """counter-clockwise rotation of the a axis from x, degrees"""

    def ellipse(self) -> Ellipse:
        return Ellipse(self.center[0], self.center[1], *self.semi_axes, math.radians(self.angle_deg))


Inclusion = Annotated[CircleInclusion | EllipseInclusion, Field(discriminator="shape")]


class Protrusion(Strict):
    """A half-ellipse Li bump standing on the anode, cut out of the electrolyte."""

    center_x: float
    """x of the bump's centre on the anode, m"""
    width: Length
    """base width of the bump (2 × the horizontal semi-axis), m"""
    height: Length
    """height of the bump above the anode (vertical semi-axis), m"""

    def ellipse(self) -> Ellipse:
        """The full ellipse whose upper half is the bump."""
        return Ellipse(self.center_x, 0.0, self.width / 2, self.height, 0.0)


def check_ellipses(items: list, width: float, height: float, label: str) -> None:
    """Every item inside the box (touching nothing) and clear of the others."""
    shapes = [item.ellipse() for item in items]
    for i, e in enumerate(shapes):
        side = side_problem(e, width, height)
        if side is not None:
            where = {
                "anode": "touches or crosses the anode (y = 0)",
                "cathode": f"touches or crosses the cathode (y = {fmt_length(height)})",
                "left wall": "sticks out of the box or touches the wall x = 0",
                "right wall": f"sticks out of the box or touches the wall x = {fmt_length(width)}",
            }[side]
            raise ValueError(f"{label}[{i}] (centre {fmt_point(e.x, e.y)}) {where}")
        for j in range(i):
            problem = pair_problem(e, shapes[j])
            if problem:
                raise ValueError(
                    f"{label}[{i}] (centre {fmt_point(e.x, e.y)}) {problem} {label}[{j}] "
                    f"(centre {fmt_point(shapes[j].x, shapes[j].y)})"
                )


def check_bump(bump: Protrusion, width: float, height: float, below: str) -> None:
    """The bump fits between the walls and stays below y = height (the top of `below`)."""
    e = bump.ellipse()
    if e.x - e.a <= 0 or e.x + e.a >= width:
        raise ValueError(
            f"protrusion (x {fmt_length(e.x - e.a)} to {fmt_length(e.x + e.a)}) does not fit "
            f"between the walls x = 0 and x = {fmt_length(width)}"
        )
    if bump.height >= height:
        raise ValueError(
            f"protrusion height ({fmt_length(bump.height)}) reaches {below} (y = {fmt_length(height)})"
        )


class SlabGeometry(GeometryBase):
    """A rectangular electrolyte film between a flat anode (y = 0) and cathode (y = height).

    Regions: `electrolyte`, `filler` (if inclusions). Boundaries: `anode` (including the
    protrusion surface), `cathode`, `walls`, `filler_surface` (if inclusions).
    """

    kind: Literal["slab"]
    """geometry kind (selects this section's schema)"""
    width: Length = 100.0e-6
    """width along the electrodes, m (seed 001: 100 µm)"""
    height: Length = 20.0e-6
    """electrode distance, m (seed 001: 20 µm)"""
    inclusions: list[Inclusion] = []
    """filler particles (region `filler`), inside the film, not touching anything"""
    protrusion: Protrusion | None = None
    """optional Li bump on the anode (a hole in the electrolyte whose surface is anode)"""
    mesh: MeshOptions = MeshOptions()
    """element sizes (unset ones are filled in from the domain size)"""

    def _reference_length(self) -> float:
        return min(self.width, self.height)

    @field_validator("inclusions")
    @classmethod
    def _check_inclusions(cls, value: list, info: ValidationInfo) -> list:
        if "width" in info.data and "height" in info.data:
            check_ellipses(value, info.data["width"], info.data["height"], "inclusions")
        return value

    @field_validator("protrusion")
    @classmethod
    def _check_protrusion(cls, value: Protrusion | None, info: ValidationInfo) -> Protrusion | None:
        if value is None or "width" not in info.data or "height" not in info.data:
            return value
        check_bump(value, info.data["width"], info.data["height"], "the cathode")
        e = value.ellipse()
        for i, inclusion in enumerate(info.data.get("inclusions", [])):
            problem = pair_problem(inclusion.ellipse(), e)
            if problem:
                raise ValueError(f"protrusion touches or overlaps inclusions[{i}]")
        return value
