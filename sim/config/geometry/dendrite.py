"""dendrite: Li nuclei on the anode and optional PE filaments, for phase-field growth."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import ValidationInfo, field_validator, model_validator

from sim.config.base import Length, NonNegative, Strict
from sim.config.geometry.base import GeometryBase, MeshOptions
from sim.config.shapes import fmt_length


class Nucleus(Strict):
    """A half-disc of Li on the anode (the initial deposit)."""

    center_x: float
    """x of the centre on the anode, m"""
    radius: Length
    """radius, m"""


class Filaments(Strict):
    """Vertical strips (e.g. PE skeleton fibres) perpendicular to the anode, region `filament`."""

    width: Length
    """width of each strip, m"""
    spacing: Length
    """centre-to-centre distance, m"""
    height: Length
    """y of the top of the strips, m (at most the domain height)"""
    offset: float | None = None
    """x of the first strip's centre, m (default: spacing/2)"""
    gap: NonNegative = 0.0
    """y of the foot of the strips, m (0: standing on the anode)"""

    @model_validator(mode="after")
    def _check(self) -> Filaments:
        if self.width >= self.spacing:
            raise ValueError(
                f"filament width ({fmt_length(self.width)}) is not smaller than the spacing "
                f"({fmt_length(self.spacing)})"
            )
        if self.gap >= self.height:
            raise ValueError(
                f"filament gap ({fmt_length(self.gap)}) is not below their top ({fmt_length(self.height)})"
            )
        if self.offset is None:
            self.offset = self.first_x
        return self

    @property
    def first_x(self) -> float:
        """x of the first strip's centre, m (`offset`, default spacing/2)."""
        return self.offset if self.offset is not None else self.spacing / 2

    def strips(self, domain_width: float) -> list[tuple[float, float]]:
        """(x_left, x_right) of each strip that lies strictly inside (0, domain_width)."""
        out = []
        x = self.first_x
        while x + self.width / 2 < domain_width:
            if x - self.width / 2 > 0:
                out.append((x - self.width / 2, x + self.width / 2))
            x += self.spacing
        return out


class DendriteGeometry(GeometryBase):
    """An electrolyte film for phase-field Li growth from nuclei on the anode.

    Regions: `electrolyte`, `nucleus` (if nuclei), `filament` (if filaments). Boundaries: `anode`,
    `cathode`, `walls`, `nucleus_surface`, `filament_surface` (where present).
    """

    kind: Literal["dendrite"]
    """geometry kind (selects this section's schema)"""
    width: Length = 20.0e-6
    """width along the anode, m (seed 001 PLM film: 20 µm)"""
    height: Length = 5.6e-6
    """electrode distance, m (seed 001 PLM film: 5.6 µm)"""
    nuclei: list[Nucleus] = []
    """initial Li half-discs on the anode (region `nucleus`)"""
    filaments: Filaments | None = None
    """optional strips perpendicular to the anode (region `filament`)"""
    refine_height: Length | None = None
    """height of the band above the anode meshed with min_size, m (default: height/2)"""
    mesh: MeshOptions = MeshOptions()
    """element sizes (unset ones are filled in from the domain size)"""

    def _reference_length(self) -> float:
        return min(self.width, self.height)

    @field_validator("nuclei")
    @classmethod
    def _check_nuclei(cls, value: list[Nucleus], info: ValidationInfo) -> list[Nucleus]:
        if "width" not in info.data or "height" not in info.data:
            return value
        width, height = info.data["width"], info.data["height"]
        for i, n in enumerate(value):
            if n.center_x - n.radius <= 0 or n.center_x + n.radius >= width:
                raise ValueError(
                    f"nuclei[{i}] (x {fmt_length(n.center_x - n.radius)} to "
                    f"{fmt_length(n.center_x + n.radius)}) touches or crosses a wall "
                    f"(x = 0 or {fmt_length(width)})"
                )
            if n.radius >= height:
                raise ValueError(
                    f"nuclei[{i}] (radius {fmt_length(n.radius)}) reaches the cathode "
                    f"(y = {fmt_length(height)})"
                )
            for j, m in enumerate(value[:i]):
                if abs(n.center_x - m.center_x) <= n.radius + m.radius:
                    raise ValueError(
                        f"nuclei[{i}] (x = {fmt_length(n.center_x)}) touches or overlaps "
                        f"nuclei[{j}] (x = {fmt_length(m.center_x)})"
                    )
        return value

    @field_validator("filaments")
    @classmethod
    def _check_filaments(cls, value: Filaments | None, info: ValidationInfo) -> Filaments | None:
        if value is None or "width" not in info.data or "height" not in info.data:
            return value
        width, height = info.data["width"], info.data["height"]
        if value.height > height:
            raise ValueError(
                f"filament height ({fmt_length(value.height)}) exceeds the domain height "
                f"({fmt_length(height)})"
            )
        if value.first_x - value.width / 2 <= 0:
            raise ValueError(
                f"the first filament (centre x = {fmt_length(value.first_x)}, width "
                f"{fmt_length(value.width)}) touches or crosses the wall x = 0"
            )
        strips = value.strips(width)
        if not strips:
            raise ValueError(
                f"no filament fits the width {fmt_length(width)} (offset {fmt_length(value.first_x)}, "
                f"width {fmt_length(value.width)})"
            )
        for i, n in enumerate(info.data.get("nuclei", [])):
            for k, (x0, x1) in enumerate(strips):
                dx = max(x0 - n.center_x, 0.0, n.center_x - x1)
                if math.hypot(dx, value.gap) <= n.radius:
                    raise ValueError(
                        f"filament strip {k} (x {fmt_length(x0)} to {fmt_length(x1)}) touches or overlaps "
                        f"nuclei[{i}]"
                    )
        return value

    @model_validator(mode="after")
    def _check_band(self) -> DendriteGeometry:
        if self.refine_height is None:
            self.refine_height = self.anode_band
        if self.anode_band > self.height:
            raise ValueError(
                f"refine_height ({fmt_length(self.anode_band)}) exceeds the height "
                f"({fmt_length(self.height)})"
            )
        return self

    @property
    def anode_band(self) -> float:
        """Height of the band above the anode meshed with min_size, m (`refine_height`, default height/2)."""
        return self.refine_height if self.refine_height is not None else self.height / 2
