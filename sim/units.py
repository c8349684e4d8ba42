"""Physical constants, the one unit system of configs (pint), and σ(T) laws.

Everything inside the solver is SI. A config value with a unit (`{value, unit, source}`) is
converted by `to_si`, which checks the unit's dimension against the SI unit the quantity needs:
`GPA` (unknown) or `S` for a conductivity (wrong dimension) are errors when the config loads.
Units are pint's (`S/cm`, `mS/cm`, `mol/L`, `M`, `GPa`, `kJ/mol`, `cm2/s`, `degC`, …); an exponent
may follow a unit without `**` (`m2/s`, `mol/m3`).
"""

from __future__ import annotations

import math
import re
from functools import cache

import pint

F = 96485.33212  # C/mol, Faraday constant
R = 8.314462618  # J/(mol K), gas constant
EPS0 = 8.8541878128e-12  # F/m, vacuum permittivity
EV = 1.602176634e-19  # J per eV
KB = 1.380649e-23  # J/K, Boltzmann constant

DIMENSIONLESS = "1"
"""the SI unit of a dimensionless quantity (`""`, `"1"` and e.g. `"%"` are accepted)"""


def _exponents(text: str) -> str:
    """'m2/s' → 'm**2/s': the exponent notation of material cards."""
    return re.sub(r"(?<=[A-Za-z])(\d+)", r"**\1", text)


@cache
def registry() -> pint.UnitRegistry:
    """The unit registry (built once; a few hundred ms)."""
    return pint.UnitRegistry(preprocessors=[_exponents], autoconvert_offset_to_baseunit=True)


def quantity(value: float, unit: str) -> pint.Quantity:
    """`value` in `unit` as a pint quantity; ValueError on a unit pint does not know."""
    try:
        return registry().Quantity(value, unit.strip() or DIMENSIONLESS)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError):
        raise ValueError(f"unknown unit '{unit}'") from None
    except Exception as exc:  # pint's parser raises plain errors on malformed expressions
        raise ValueError(f"cannot read unit '{unit}': {exc}") from None


def to_si(value: float, unit: str, si_unit: str) -> float:
    """`value` in `unit` converted to `si_unit`; ValueError when `unit` is unknown or has another
    dimension (e.g. a pressure where a conductivity is needed)."""
    q = quantity(value, unit)
    try:
        return float(q.to(si_unit.strip() or DIMENSIONLESS).magnitude)
    except pint.errors.DimensionalityError:
        target = si_unit.strip() or DIMENSIONLESS
        want = registry().Unit(target).dimensionality
        got = q.dimensionality
        raise ValueError(f"unit '{unit}' has dimension {got}, not that of '{target}' ({want})") from None


def activation_energy_ev(value: float, unit: str) -> float:
    """An activation energy per particle (eV, J) or per mole (J/mol, kJ/mol), in eV."""
    q = quantity(value, unit)
    if q.check("[energy]"):
        return float(q.to("eV").magnitude)
    if q.check("[energy]/[substance]"):
        return float((q / registry().avogadro_constant).to("eV").magnitude)
    raise ValueError(f"unit '{unit}' is not an energy (eV, J) or a molar energy (J/mol, kJ/mol)")


def arrhenius(sigma_ref: float, t_ref: float, activation_energy_ev: float, temperature: float) -> float:
    """σ(T) = A exp(−Ea/kT) written relative to σ(T_ref) (seed 001 eq. S2)."""
    return sigma_ref * math.exp(-activation_energy_ev * EV / KB * (1.0 / temperature - 1.0 / t_ref))


def vft(prefactor: float, pseudo_activation_ev: float, t0: float, temperature: float) -> float:
    """σ(T) = A exp(−B/(k(T − T0))) (Vogel–Fulcher–Tammann; seed 002 for the SPE)."""
    if temperature <= t0:
        raise ValueError(f"VFT undefined at T = {temperature} K <= T0 = {t0} K")
    return prefactor * math.exp(-pseudo_activation_ev * EV / (KB * (temperature - t0)))


def conductivity_from_resistance(thickness: float, resistance: float, area: float) -> float:
    """σ = l/(R·A) (seed 001 eq. S1, seed 003 eq. 1); SI in, S/m out."""
    return thickness / (resistance * area)


def warburg_diffusivity(
    warburg_coefficient: float, area: float, concentration: float, temperature: float, n: int = 1
) -> float:
    """D = (RT)² / (2 (A n² F² C σ_w)²) (seed 003 eqs. 2–3), SI: σ_w in Ω s^-1/2, A in m², C in mol/m³."""
    return (R * temperature) ** 2 / (2.0 * (area * n**2 * F**2 * concentration * warburg_coefficient) ** 2)
