"""box: a 3D electrolyte block between a flat anode (z = 0) and cathode (z = height), with
optional spherical or ellipsoidal filler inclusions."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator

from sim.config.base import Length, Strict
from sim.config.geometry.base import GeometryBase, MeshOptions

Point3 = tuple[float, float, float]


def _fmt(p: Point3) -> str:
    return "(" + ", ".join(f"{v * 1e6:.4g}" for v in p) + ") µm"


class SphereInclusion(Strict):
    """A spherical filler particle."""

    shape: Literal["sphere"]
    """inclusion shape"""
    center: Point3
    """centre [x, y, z], m"""
    radius: Length
    """radius, m"""

    @property
    def semi_axes(self) -> tuple[float, float, float]:
        return (self.radius, self.radius, self.radius)


class EllipsoidInclusion(Strict):
    """An axis-aligned ellipsoidal filler particle."""

    shape: Literal["ellipsoid"]
    """inclusion shape"""
    center: Point3
    """centre [x, y, z], m"""
    semi_axes: tuple[Length, Length, Length]
    """semi-axes [a, b, c] along x, y and z, m"""


Inclusion3 = Annotated[SphereInclusion | EllipsoidInclusion, Field(discriminator="shape")]


class BoxGeometry(GeometryBase):
    """A block [0, width] × [0, depth] × [0, height]: anode z = 0, cathode z = height, walls the four
    sides. Regions: `electrolyte`, `filler` (if inclusions). Boundaries: `anode`, `cathode`, `walls`,
    `filler_surface` (if inclusions). A 3D mesh: conduction only."""

    kind: Literal["box"]
    """geometry kind (selects this section's schema)"""
    width: Length = 20.0e-6
    """extent along x, m"""
    depth: Length = 20.0e-6
    """extent along y, m"""
    height: Length = 20.0e-6
    """electrode distance (extent along z), m"""
    inclusions: list[Inclusion3] = []
    """filler particles (region `filler`), inside the block, not touching anything"""
    mesh: MeshOptions = MeshOptions()
    """element sizes (unset ones are filled in from the domain size); curve_segments applies to
    the inclusion surfaces"""

    def _reference_length(self) -> float:
        return min(self.width, self.depth, self.height)

    @field_validator("inclusions")
    @classmethod
    def _check_inclusions(cls, value: list, info: ValidationInfo) -> list:
        """Each inclusion strictly inside the block; no two touch (checked on bounding spheres)."""
        if not {"width", "depth", "height"} <= info.data.keys():
            return value
        extent = (info.data["width"], info.data["depth"], info.data["height"])
        names = ("x", "y", "z")
        for i, inc in enumerate(value):
            for k in range(3):
                lo, hi = inc.center[k] - inc.semi_axes[k], inc.center[k] + inc.semi_axes[k]
                if lo <= 0 or hi >= extent[k]:
                    raise ValueError(
                        f"inclusions[{i}] (centre {_fmt(inc.center)}) touches or leaves the block "
                        f"({names[k]} from 0 to {extent[k] * 1e6:.4g} µm)"
                    )
            for j, other in enumerate(value[:i]):
                d = sum((a - b) ** 2 for a, b in zip(inc.center, other.center, strict=True)) ** 0.5
                if d <= max(inc.semi_axes) + max(other.semi_axes):
                    raise ValueError(
                        f"inclusions[{i}] (centre {_fmt(inc.center)}) may touch inclusions[{j}] "
                        f"(centre {_fmt(other.center)}): their bounding spheres overlap"
                    )
        return value
