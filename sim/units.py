"""Physical constants, unit conversion for material cards, and the seeds' measurement formulas.

Everything is SI. The formulas are those the seed papers use to turn measurements into model
parameters; each cites its source.
"""

from __future__ import annotations

import math

F = 96485.33212  # C/mol, Faraday constant
R = 8.314462618  # J/(mol K), gas constant
EPS0 = 8.8541878128e-12  # F/m, vacuum permittivity
EV = 1.602176634e-19  # J per eV
KB = 1.380649e-23  # J/K, Boltzmann constant

# Units accepted on material-card properties, as factor to the SI unit (first entry).
UNITS: dict[str, dict[str, float]] = {
    "conductivity": {"S/m": 1.0, "S/cm": 100.0, "mS/cm": 0.1},
    "concentration": {"mol/m3": 1.0, "mol/L": 1000.0, "M": 1000.0},
    "diffusivity": {"m2/s": 1.0, "cm2/s": 1e-4},
    "dimensionless": {"1": 1.0, "": 1.0},
    "pressure": {"Pa": 1.0, "MPa": 1e6, "GPa": 1e9},
    "energy": {"eV": 1.0, "J/mol": 1.0 / (EV * 6.02214076e23), "kJ/mol": 1000.0 / (EV * 6.02214076e23)},
    "temperature": {"K": 1.0},
    "molar_volume": {"m3/mol": 1.0, "cm3/mol": 1e-6},
    "capacitance_per_area": {"F/m2": 1.0, "uF/cm2": 1e-2, "µF/cm2": 1e-2},
}


def to_si(value: float, unit: str, kind: str) -> float:
    """Convert `value` in `unit` to the SI unit of `kind`; raises ValueError on unknown units."""
    table = UNITS[kind]
    if unit not in table:
        raise ValueError(f"unit '{unit}' is not a {kind} unit; use one of {sorted(k for k in table if k)}")
    return value * table[unit]


def thermal_voltage(temperature: float) -> float:
    """RT/F in V (25.85 mV at 300 K)."""
    return R * temperature / F


def conductivity_from_resistance(thickness: float, resistance: float, area: float) -> float:
    """σ = l/(R·A) (seed 001 eq. S1, seed 003 eq. 1); SI in, S/m out."""
    return thickness / (resistance * area)


def arrhenius(sigma_ref: float, t_ref: float, activation_energy_ev: float, temperature: float) -> float:
    """σ(T) = A exp(−Ea/kT) written relative to σ(T_ref) (seed 001 eq. S2)."""
    return sigma_ref * math.exp(-activation_energy_ev * EV / KB * (1.0 / temperature - 1.0 / t_ref))


def vft(prefactor: float, pseudo_activation_ev: float, t0: float, temperature: float) -> float:
    """σ(T) = A exp(−B/(k(T − T0))) (Vogel–Fulcher–Tammann; seed 002 for the SPE)."""
    if temperature <= t0:
        raise ValueError(f"VFT undefined at T = {temperature} K <= T0 = {t0} K")
    return prefactor * math.exp(-pseudo_activation_ev * EV / (KB * (temperature - t0)))


def bruce_vincent(delta_v: float, i0: float, i_ss: float, r0: float, r_ss: float) -> float:
    """Li⁺ transference number t+ = I_ss(ΔV − I0 R0) / (I0(ΔV − I_ss R_ss)) (seed 001 eq. S3).

    Seed 003 eq. 4 additionally multiplies by the bulk-resistance ratio R_b^s/R_b^0; pass the
    interfacial resistances as r0, r_ss and apply that ratio outside if needed.
    """
    return i_ss * (delta_v - i0 * r0) / (i0 * (delta_v - i_ss * r_ss))


def warburg_diffusivity(
    warburg_coefficient: float, area: float, concentration: float, temperature: float, n: int = 1
) -> float:
    """D = (RT)² / (2 (A n² F² C σ_w)²) (seed 003 eqs. 2–3), SI: σ_w in Ω s^-1/2, A in m², C in mol/m³."""
    return (R * temperature) ** 2 / (2.0 * (area * n**2 * F**2 * concentration * warburg_coefficient) ** 2)
