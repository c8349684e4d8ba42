"""Material cards: measured properties with units and provenance.

A card property is `{value, unit, source}`; `source` says where the number comes from (a seed
table/figure, or "assumed"). Values are converted to SI when the card is resolved.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from sim.config.base import MAX_TEMPERATURE, Strict, Temperature
from sim.config.loader import load_yaml
from sim.units import activation_energy_ev, arrhenius, to_si, vft


class Property(Strict):
    """One measured or assumed number with its unit and provenance."""

    value: float
    """numeric value in `unit`"""
    unit: str = ""
    """unit of `value` (pint syntax, e.g. S/cm, mol/L, GPa, m2/s; empty: dimensionless), converted
    to SI; its dimension must match the quantity's"""
    source: str = Field(min_length=1)
    """where the number comes from: seed paper table/figure/equation, or 'assumed' (required)"""

    def si(self, si_unit: str) -> float:
        """The value in `si_unit`; ValueError on an unknown unit or a wrong dimension."""
        return to_si(self.value, self.unit, si_unit)


def unit_check(si_unit: str) -> Callable[[Property], Property]:
    """The validator of a Property whose unit must convert to `si_unit` (run when the config loads)."""

    def check(prop: Property) -> Property:
        prop.si(si_unit)
        return prop

    return check


def _check_energy(prop: Property) -> Property:
    activation_energy_ev(prop.value, prop.unit)
    return prop


Energy = Annotated[Property, AfterValidator(_check_energy)]
"""an activation energy: per particle (eV, J) or per mole (J/mol, kJ/mol)"""
Conductivity = Annotated[Property, AfterValidator(unit_check("S/m"))]
Pressure = Annotated[Property, AfterValidator(unit_check("Pa"))]
Dimensionless = Annotated[Property, AfterValidator(unit_check("1"))]


class Arrhenius(Strict):
    """σ(T) = σ_ref exp(−Ea/k (1/T − 1/T_ref)) (seed 001 eq. S2)."""

    kind: Literal["arrhenius"]
    sigma_ref: Conductivity
    """conductivity at t_ref"""
    t_ref: Temperature
    """reference temperature, K"""
    activation_energy: Energy
    """activation energy (unit eV, J/mol or kJ/mol)"""

    def sigma(self, temperature: float) -> float:
        """σ at `temperature` (K), S/m."""
        return arrhenius(
            self.sigma_ref.si("S/m"),
            self.t_ref,
            activation_energy_ev(self.activation_energy.value, self.activation_energy.unit),
            temperature,
        )


class VFT(Strict):
    """σ(T) = A exp(−B/(k (T − T0))) (Vogel–Fulcher–Tammann)."""

    kind: Literal["vft"]
    prefactor: Conductivity
    """A, a conductivity"""
    pseudo_activation_energy: Energy
    """B (unit eV, J/mol or kJ/mol)"""
    t0: float = Field(gt=0, lt=MAX_TEMPERATURE)
    """Vogel temperature T0, K (σ is defined above T0 only)"""

    def sigma(self, temperature: float) -> float:
        """σ at `temperature` (K), S/m."""
        return vft(
            self.prefactor.si("S/m"),
            activation_energy_ev(self.pseudo_activation_energy.value, self.pseudo_activation_energy.unit),
            self.t0,
            temperature,
        )


ConductivityModel = Annotated[Arrhenius | VFT, Field(discriminator="kind")]

# property name -> (SI unit, lower bound, lower inclusive, upper bound, upper inclusive)
_BOUNDS: dict[str, tuple[str, float, bool, float, bool]] = {
    # upper bounds far above any electrolyte or electrode: copper 6e7 S/m, Li metal 7.6e4 mol/m³,
    # diamond 1.2e12 Pa
    "conductivity": ("S/m", 0.0, False, 1e8, True),
    "transference_number": ("1", 0.0, False, 1.0, True),
    "salt_concentration": ("mol/m3", 0.0, False, 1e5, True),
    "relative_permittivity": ("1", 0.0, False, 1e5, True),
    "anion_cation_mobility_ratio": ("1", 0.0, False, 1e6, True),
    "diffusivity": ("m2/s", 0.0, True, 1e-3, True),
    "young_modulus": ("Pa", 0.0, False, 1e13, True),
    "poisson_ratio": ("1", -1.0, False, 0.5, False),
}


def check_bounds(name: str, prop: Property) -> Property:
    """`prop` if it converts to the SI unit of card property `name` and lies in its physical range
    (_BOUNDS), else ValueError."""
    si_unit, lo, lo_in, hi, hi_in = _BOUNDS[name]
    value = prop.si(si_unit)  # ValueError: unknown unit or wrong dimension
    ok_lo = value >= lo if lo_in else value > lo
    ok_hi = value <= hi if hi_in else value < hi
    if not (ok_lo and ok_hi):
        lo_b, hi_b = ("[" if lo_in else "("), ("]" if hi_in else ")")
        raise ValueError(
            f"{name} = {prop.value} {prop.unit} is non-physical: must be in {lo_b}{lo}, {hi}{hi_b} (SI)"
        )
    return prop


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
        assert info.field_name is not None  # a field validator always knows its field
        return None if prop is None else check_bounds(info.field_name, prop)

    @model_validator(mode="after")
    def _check_model(self) -> MaterialCard:
        if self.conductivity_model is not None:
            model = self.conductivity_model
            try:
                sigma = model.sigma(model.t_ref if isinstance(model, Arrhenius) else model.t0 + 100.0)
            except (ValueError, ArithmeticError) as exc:
                raise ValueError(f"conductivity_model: {exc}") from None
            if not 0 < sigma < math.inf:
                raise ValueError(f"conductivity_model gives σ = {sigma} S/m (must be positive and finite)")
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
        return prop.si(_BOUNDS[name][0])


def unknown_card(card: str | MaterialCard) -> str | None:
    """Why `card` (a card name or an inline card) is not a card of the library, or None."""
    library = material_library()
    if isinstance(card, str) and card not in library:
        return f"unknown material card '{card}'; known: {', '.join(sorted(library))}"
    return None


@cache
def material_library() -> dict[str, MaterialCard]:
    """The named material cards shipped in sim/data/materials.yaml."""
    text = resources.files("sim").joinpath("data/materials.yaml").read_text()
    data, _ = load_yaml(text, "sim/data/materials.yaml")
    return {name: MaterialCard.model_validate(card) for name, card in data.items()}
