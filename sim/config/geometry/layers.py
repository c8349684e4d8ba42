"""layers: a stack of bands from the anode up."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from sim.config.base import Length, Strict
from sim.config.geometry.base import RESERVED_NAMES, GeometryBase, MeshOptions
from sim.config.geometry.slab import Protrusion, check_bump


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


class LayersGeometry(GeometryBase):
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
        check_bump(value, info.data["width"], first.thickness, f"the top of the first layer '{first.name}'")
        return value
