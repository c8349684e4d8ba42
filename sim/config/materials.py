"""Material cards: measured properties with units and provenance.

A card property is `{value, unit, source}`; `source` says where the number comes from (a seed
table/figure, or "assumed"). Values are converted to SI when the card is resolved.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.config.base import Positive, Strict
from sim.units import arrhenius, to_si, vft


class Property(Strict):
    """One measured or assumed number with its unit and provenance."""

    value: float
    """numeric value in `unit`"""
    unit: str = ""
    """unit of `value` (converted to SI); see sim.units.UNITS for the accepted units"""
    source: str = "assumed"
    """where the number comes from: seed paper table/figure/equation, or 'assumed'"""


class Arrhenius(Strict):
    """σ(T) = σ_ref exp(−Ea/k (1/T − 1/T_ref)) (seed 001 eq. S2)."""

    kind: Literal["arrhenius"]
    sigma_ref: Property
    """conductivity at t_ref"""
    t_ref: Positive
    """reference temperature, K"""
    activation_energy: Property
    """activation energy (unit eV, J/mol or kJ/mol)"""

    def sigma(self, temperature: float) -> float:
        """σ at `temperature` (K), S/m."""
        return arrhenius(
            to_si(self.sigma_ref.value, self.sigma_ref.unit, "conductivity"),
            self.t_ref,
            to_si(self.activation_energy.value, self.activation_energy.unit, "energy"),
            temperature,
        )


class VFT(Strict):
    """σ(T) = A exp(−B/(k (T − T0))) (Vogel–Fulcher–Tammann)."""

    kind: Literal["vft"]
    prefactor: Property
    """A, a conductivity"""
    pseudo_activation_energy: Property
    """B (unit eV, J/mol or kJ/mol)"""
    t0: Positive
    """Vogel temperature T0, K"""

    def sigma(self, temperature: float) -> float:
        """σ at `temperature` (K), S/m."""
        return vft(
            to_si(self.prefactor.value, self.prefactor.unit, "conductivity"),
            to_si(self.pseudo_activation_energy.value, self.pseudo_activation_energy.unit, "energy"),
            self.t0,
            temperature,
        )


ConductivityModel = Annotated[Arrhenius | VFT, Field(discriminator="kind")]

# property name -> (unit kind, lower bound, lower inclusive, upper bound, upper inclusive)
_BOUNDS: dict[str, tuple[str, float, bool, float, bool]] = {
    "conductivity": ("conductivity", 0.0, False, float("inf"), False),
    "transference_number": ("dimensionless", 0.0, False, 1.0, True),
    "salt_concentration": ("concentration", 0.0, False, float("inf"), False),
    "relative_permittivity": ("dimensionless", 0.0, False, float("inf"), False),
    "anion_cation_mobility_ratio": ("dimensionless", 0.0, False, float("inf"), False),
    "diffusivity": ("diffusivity", 0.0, True, float("inf"), False),
    "young_modulus": ("pressure", 0.0, False, float("inf"), False),
    "poisson_ratio": ("dimensionless", -1.0, False, 0.5, False),
}


class MaterialCard(Strict):
    """A named material: what was measured, in which unit, and where it comes from."""

    description: str = ""
    """free text: composition, temperature of measurement"""
    conductivity: Property | None = None
    """ionic conductivity σ at the run temperature if no conductivity_model is given"""
    conductivity_model: ConductivityModel | None = None
    """σ(T) law; when present it is used instead of `conductivity`"""
    transference_number: Property | None = None
    """Li⁺ transference number t⁺, in (0, 1]"""
    salt_concentration: Property | None = None
    """salt concentration c0 (Li⁺ and anions), mol/m³"""
    relative_permittivity: Property | None = None
    """relative permittivity ε_r"""
    anion_cation_mobility_ratio: Property | None = None
    """D⁻/D⁺ of the free anion (taken from the filler-free polymer when t⁺ is raised by immobile anions)"""
    diffusivity: Property | None = None
    """Li diffusivity (solid phases, e.g. LFP)"""
    young_modulus: Property | None = None
    """Young's modulus E"""
    poisson_ratio: Property | None = None
    """Poisson's ratio ν"""

    @field_validator(*_BOUNDS, mode="after")
    @classmethod
    def _check_value(cls, prop: Property | None, info: ValidationInfo) -> Property | None:
        if prop is None:
            return prop
        assert info.field_name is not None  # a field validator always knows its field
        kind, lo, lo_in, hi, hi_in = _BOUNDS[info.field_name]
        value = to_si(prop.value, prop.unit, kind)  # ValueError names the accepted units
        ok_lo = value >= lo if lo_in else value > lo
        ok_hi = value <= hi if hi_in else value < hi
        if not (ok_lo and ok_hi):
            lo_b, hi_b = ("[" if lo_in else "("), ("]" if hi_in else ")")
            raise ValueError(
                f"{info.field_name} = {prop.value} {prop.unit} is non-physical: must be in "
                f"{lo_b}{lo}, {hi}{hi_b} (SI)"
            )
        return prop

    @model_validator(mode="after")
    def _check_model(self) -> MaterialCard:
        if self.conductivity_model is not None:
            model = self.conductivity_model
            try:
                sigma = model.sigma(model.t_ref if isinstance(model, Arrhenius) else model.t0 + 100.0)
            except ValueError as exc:
                raise ValueError(f"conductivity_model: {exc}") from None
            if not sigma > 0:
                raise ValueError("conductivity_model gives a non-positive conductivity")
        return self

    def conductivity_at(self, temperature: float) -> float:
        """σ(T) in S/m from `conductivity_model`, else the constant `conductivity`."""
        if self.conductivity_model is not None:
            return self.conductivity_model.sigma(temperature)
        return self.si("conductivity")

    def si(self, name: str) -> float:
        """The SI value of property `name`; ValueError if the card does not give it."""
        prop = getattr(self, name)
        if prop is None:
            raise ValueError(f"material card has no '{name}'")
        return to_si(prop.value, prop.unit, _BOUNDS[name][0])
