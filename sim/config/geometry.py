"""Geometry sections of a run config: the four domain kinds and their mesh options.

All lengths are in metres (YAML: `width: 100.0e-6`). The domain is the box [0, width] × [0, height]
with the anode at y = 0 and the cathode (or current collector) at the top. Validation rejects
shapes that overlap, leave the box or touch the electrodes; the message names the offending item
(e.g. `inclusions[2]`) and pydantic adds the key path.
Shape overlap and clearance tests live in sim.config.shapes.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal, Union

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.config.base import Length, NonNegative, Strict
from sim.config.shapes import Ellipse, fmt_point, pair_problem, side_problem, fmt_length

RESERVED_NAMES = ("anode", "cathode", "walls")


# --------------------------------------------------------------------------------------------
# mesh options
# --------------------------------------------------------------------------------------------
class MeshOptions(Strict):
    """Element sizes. Unset sizes are filled in from the domain size when the geometry is validated."""

    size: Length | None = None
    """largest element size, far from electrodes and interfaces, m (default: min(width, height)/10)"""
    min_size: Length | None = None
    """element size at the electrodes and internal interfaces, m (default: size/4)"""
    refine_distance: Length | None = None
    """distance over which the size grows from min_size to size, m (default: 2 size)"""
    curve_segments: int = Field(default=150, ge=8)
    """elements per full turn on curved boundaries: where the radius of curvature is ρ the element
    size is at most 2πρ/curve_segments (150: area error of a disc ≈ 3e-4, of a 2:1 ellipse ≈ 6e-4)"""
    order: Literal[1, 2] = 1
    """polynomial order of the mesh geometry (2: curved boundaries follow the CAD more closely)"""

    @model_validator(mode="after")
    def _check_sizes(self) -> "MeshOptions":
        if self.size is not None and self.min_size is not None and self.min_size > self.size:
            raise ValueError(f"min_size ({fmt_length(self.min_size)}) is larger than size ({fmt_length(self.size)})")
        return self

    def filled(self, reference: float) -> "MeshOptions":
        """A copy with unset sizes derived from a reference length of the domain (m)."""
        size = self.size if self.size is not None else max(reference / 10, self.min_size or 0.0)
        min_size = self.min_size if self.min_size is not None else size / 4
        refine = self.refine_distance if self.refine_distance is not None else 2 * size
        return self.model_copy(update={"size": size, "min_size": min_size, "refine_distance": refine})


class _Geometry(Strict):
    """Common part: fills in the mesh defaults so the resolved config shows the numbers used.

    Each kind declares `mesh: MeshOptions` as its last field (so `kind` stays first in dumps).
    """

    def _reference_length(self) -> float:
        raise NotImplementedError

    @model_validator(mode="after")
    def _fill_mesh(self) -> "_Geometry":
        m: MeshOptions = self.mesh  # type: ignore[attr-defined]
        if m.size is None or m.min_size is None or m.refine_distance is None:
            self.mesh = m.filled(self._reference_length())  # re-validated; second pass is a no-op
        return self


# --------------------------------------------------------------------------------------------
# slab: a rectangle with filler inclusions and an optional Li protrusion on the anode
# --------------------------------------------------------------------------------------------
Point = tuple[float, float]


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


Inclusion = Annotated[Union[CircleInclusion, EllipseInclusion], Field(discriminator="shape")]


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


def _check_ellipses(items: list, width: float, height: float, label: str) -> None:
    """Every item inside the box (touching nothing) and clear of the others."""
    shapes = [item.ellipse() for item in items]
    for i, e in enumerate(shapes):
        side = side_problem(e, width, height)
        if side is not None:
            where = {"anode": "touches or crosses the anode (y = 0)",
                     "cathode": f"touches or crosses the cathode (y = {fmt_length(height)})",
                     "left wall": "sticks out of the box or touches the wall x = 0",
                     "right wall": f"sticks out of the box or touches the wall x = {fmt_length(width)}"}[side]
            raise ValueError(f"{label}[{i}] (centre {fmt_point(e.x, e.y)}) {where}")
        for j in range(i):
            problem = pair_problem(e, shapes[j])
            if problem:
                raise ValueError(f"{label}[{i}] (centre {fmt_point(e.x, e.y)}) {problem} {label}[{j}] "
                                 f"(centre {fmt_point(shapes[j].x, shapes[j].y)})")


def _check_bump(bump: Protrusion, width: float, height: float, below: str) -> None:
    """The bump fits between the walls and stays below y = height (the top of `below`)."""
    e = bump.ellipse()
    if e.x - e.a <= 0 or e.x + e.a >= width:
        raise ValueError(f"protrusion (x {fmt_length(e.x - e.a)} to {fmt_length(e.x + e.a)}) does not fit "
                         f"between the walls x = 0 and x = {fmt_length(width)}")
    if bump.height >= height:
        raise ValueError(f"protrusion height ({fmt_length(bump.height)}) reaches {below} "
                         f"(y = {fmt_length(height)})")


class SlabGeometry(_Geometry):
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
            _check_ellipses(value, info.data["width"], info.data["height"], "inclusions")
        return value

    @field_validator("protrusion")
    @classmethod
    def _check_protrusion(cls, value: Protrusion | None, info: ValidationInfo) -> Protrusion | None:
        if value is None or "width" not in info.data or "height" not in info.data:
            return value
        _check_bump(value, info.data["width"], info.data["height"], "the cathode")
        e = value.ellipse()
        for i, inclusion in enumerate(info.data.get("inclusions", [])):
            problem = pair_problem(inclusion.ellipse(), e)
            if problem:
                raise ValueError(f"protrusion touches or overlaps inclusions[{i}]")
        return value


# --------------------------------------------------------------------------------------------
# layers: a stack of bands from the anode up
# --------------------------------------------------------------------------------------------
class Layer(Strict):
    """One band of the stack."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    """region name (letters, digits, single underscores; also the material key)"""
    thickness: Length
    """thickness, m"""

    @field_validator("name")
    @classmethod
    def _check_name(cls, value: str) -> str:
        if "__" in value:
            raise ValueError(f"layer name '{value}' contains '__' (reserved for interface names)")
        if value in RESERVED_NAMES:
            raise ValueError(f"layer name '{value}' is a boundary name ({', '.join(RESERVED_NAMES)})")
        return value


class LayersGeometry(_Geometry):
    """Layers stacked from the anode (y = 0) to the cathode (top of the stack).

    Regions: one per layer (its name). Boundaries: `anode` (including the protrusion surface),
    `cathode`, `walls`, and `<lower>__<upper>` for each interface between consecutive layers.
    """

    kind: Literal["layers"]
    """geometry kind (selects this section's schema)"""
    width: Length
    """width along the electrodes, m"""
    layers: list[Layer] = Field(min_length=1)
    """the layers from the anode upwards"""
    protrusion: Protrusion | None = None
    """optional Li bump on the anode, cut out of the first layer (its surface is anode)"""
    mesh: MeshOptions = MeshOptions()
    """element sizes (unset ones are filled in from the domain size)"""

    def _reference_length(self) -> float:
        return min(self.width, sum(layer.thickness for layer in self.layers))

    @property
    def height(self) -> float:
        """Total thickness of the stack, m."""
        return sum(layer.thickness for layer in self.layers)

    @field_validator("layers")
    @classmethod
    def _unique_names(cls, value: list[Layer]) -> list[Layer]:
        seen: dict[str, int] = {}
        for i, layer in enumerate(value):
            if layer.name in seen:
                raise ValueError(f"layers[{i}] repeats the name '{layer.name}' of layers[{seen[layer.name]}]")
            seen[layer.name] = i
        return value

    @field_validator("protrusion")
    @classmethod
    def _check_protrusion(cls, value: Protrusion | None, info: ValidationInfo) -> Protrusion | None:
        if value is None or "width" not in info.data or "layers" not in info.data:
            return value
        first = info.data["layers"][0]
        _check_bump(value, info.data["width"], first.thickness, f"the top of the first layer '{first.name}'")
        return value


# --------------------------------------------------------------------------------------------
# particles: elliptical active particles in a binder, with optional pores
# --------------------------------------------------------------------------------------------
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
    max_attempts: int = Field(default=2000, gt=0)
    """random positions tried per particle before giving up"""

    @model_validator(mode="after")
    def _check_range(self) -> "Packing":
        if self.semi_axes_max is not None and any(
                hi < lo for lo, hi in zip(self.semi_axes, self.semi_axes_max)):
            raise ValueError("semi_axes_max is smaller than semi_axes")
        if self.min_gap is None:
            self.min_gap = 0.2 * min(self.semi_axes)
        return self


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
    max_attempts: int = Field(default=2000, gt=0)
    """random positions tried per pore before giving up"""

    @model_validator(mode="after")
    def _default_gap(self) -> "RandomPores":
        if self.min_gap is None:
            self.min_gap = self.radius / 2
        return self


class ParticlesGeometry(_Geometry):
    """A composite electrode: elliptical particles in a binder, optionally with pores.

    The y = 0 side (facing the separator/anode) is `anode`, the top (current collector) `cathode`.
    Regions: `binder`, `particle`. Boundaries: `anode`, `cathode`, `walls`, `particle_surface`,
    `pore_surface` (if pores).
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
                _check_ellipses(value, info.data["width"], info.data["height"], "particles")
        return value

    @field_validator("packing")
    @classmethod
    def _check_packing(cls, value: Packing | None, info: ValidationInfo) -> Packing | None:
        if value is None or "width" not in info.data or "height" not in info.data:
            return value
        a = max(value.semi_axes_max or value.semi_axes)
        if 2 * (a + value.min_gap) >= min(info.data["width"], info.data["height"]):
            raise ValueError(f"packing particles (semi-axis up to {fmt_length(a)}, gap {fmt_length(value.min_gap)}) "
                             "do not fit in the box")
        return value

    @field_validator("pores")
    @classmethod
    def _check_pores(cls, value, info: ValidationInfo):
        if not isinstance(value, list) or "width" not in info.data or "height" not in info.data:
            return value
        _check_ellipses(value, info.data["width"], info.data["height"], "pores")
        for i, pore in enumerate(value):
            for j, particle in enumerate(info.data.get("particles") or []):
                problem = pair_problem(pore.ellipse(), particle.ellipse())
                if problem:
                    raise ValueError(f"pores[{i}] {problem} particles[{j}]")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> "ParticlesGeometry":
        if (self.particles is None) == (self.packing is None):
            raise ValueError("give either particles (an explicit list) or packing, not "
                             + ("both" if self.particles is not None else "neither"))
        return self


# --------------------------------------------------------------------------------------------
# dendrite: Li nuclei on the anode, optional PE filaments, for phase-field growth
# --------------------------------------------------------------------------------------------
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
    def _check(self) -> "Filaments":
        if self.width >= self.spacing:
            raise ValueError(f"filament width ({fmt_length(self.width)}) is not smaller than the spacing "
                             f"({fmt_length(self.spacing)})")
        if self.gap >= self.height:
            raise ValueError(f"filament gap ({fmt_length(self.gap)}) is not below their top ({fmt_length(self.height)})")
        if self.offset is None:
            self.offset = self.spacing / 2
        return self

    def strips(self, domain_width: float) -> list[tuple[float, float]]:
        """(x_left, x_right) of each strip that lies strictly inside (0, domain_width)."""
        out = []
        x = self.offset
        while x + self.width / 2 < domain_width:
            if x - self.width / 2 > 0:
                out.append((x - self.width / 2, x + self.width / 2))
            x += self.spacing
        return out


class DendriteGeometry(_Geometry):
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
                raise ValueError(f"nuclei[{i}] (x {fmt_length(n.center_x - n.radius)} to "
                                 f"{fmt_length(n.center_x + n.radius)}) touches or crosses a wall "
                                 f"(x = 0 or {fmt_length(width)})")
            if n.radius >= height:
                raise ValueError(f"nuclei[{i}] (radius {fmt_length(n.radius)}) reaches the cathode "
                                 f"(y = {fmt_length(height)})")
            for j, m in enumerate(value[:i]):
                if abs(n.center_x - m.center_x) <= n.radius + m.radius:
                    raise ValueError(f"nuclei[{i}] (x = {fmt_length(n.center_x)}) touches or overlaps "
                                     f"nuclei[{j}] (x = {fmt_length(m.center_x)})")
        return value

    @field_validator("filaments")
    @classmethod
    def _check_filaments(cls, value: Filaments | None, info: ValidationInfo) -> Filaments | None:
        if value is None or "width" not in info.data or "height" not in info.data:
            return value
        width, height = info.data["width"], info.data["height"]
        if value.height > height:
            raise ValueError(f"filament height ({fmt_length(value.height)}) exceeds the domain height "
                             f"({fmt_length(height)})")
        if value.offset - value.width / 2 <= 0:
            raise ValueError(f"the first filament (centre x = {fmt_length(value.offset)}, width "
                             f"{fmt_length(value.width)}) touches or crosses the wall x = 0")
        strips = value.strips(width)
        if not strips:
            raise ValueError(f"no filament fits the width {fmt_length(width)} (offset {fmt_length(value.offset)}, "
                             f"width {fmt_length(value.width)})")
        for i, n in enumerate(info.data.get("nuclei", [])):
            for k, (x0, x1) in enumerate(strips):
                dx = max(x0 - n.center_x, 0.0, n.center_x - x1)
                if math.hypot(dx, value.gap) <= n.radius:
                    raise ValueError(f"filament strip {k} (x {fmt_length(x0)} to {fmt_length(x1)}) touches or overlaps "
                                     f"nuclei[{i}]")
        return value

    @model_validator(mode="after")
    def _check_band(self) -> "DendriteGeometry":
        if self.refine_height is None:
            self.refine_height = self.height / 2
        if self.refine_height > self.height:
            raise ValueError(f"refine_height ({fmt_length(self.refine_height)}) exceeds the height "
                             f"({fmt_length(self.height)})")
        return self


GeometryConfig = Annotated[Union[SlabGeometry, LayersGeometry, ParticlesGeometry, DendriteGeometry],
                           Field(discriminator="kind")]
"""The `geometry:` section: one of the four kinds, chosen by `kind`."""

__all__ = ["GeometryConfig", "SlabGeometry", "LayersGeometry", "ParticlesGeometry", "DendriteGeometry",
           "MeshOptions", "Ellipse", "Packing", "RandomPores", "Filaments", "Nucleus", "Protrusion",
           "Layer", "Particle", "Pore", "CircleInclusion", "EllipseInclusion"]
