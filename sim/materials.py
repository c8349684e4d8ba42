"""Material model: measured σ(T), t⁺, c0 → species diffusivities (Nernst–Einstein), and σ(T) fits.

Seed 001 splits the anions by the Li⁺ transference number into free anions (diffusivity D⁻) and
immobilized anions (D = 0, a fixed negative charge). With a fraction f of the anions immobile and
the immobile ones carrying no current,

    σ  = F²/(RT) · (D⁺ c0 + D⁻ (1 − f) c0)                          (Nernst–Einstein)
    t⁺ = D⁺ c0 / (D⁺ c0 + D⁻ (1 − f) c0)   ⇒   σ = F²/(RT) · c0 D⁺ / t⁺

so D⁺ = σ RT t⁺ / (F² c0). One more number is needed to split the anion current between "fast free
anions" and "fewer free anions": the card's `anion_cation_mobility_ratio` r = D⁻/D⁺, taken from the
filler-free polymer (seed 001 keeps the free anions' "normal diffusion coefficient"). Then
1/t⁺ − 1 = r (1 − f), i.e. f = 1 − (1/t⁺ − 1)/r. A card without r is a plain binary salt: f = 0 and
r = (1 − t⁺)/t⁺.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.units import EPS0, EV, KB, F, R

if TYPE_CHECKING:
    from sim.config.materials import MaterialCard


@dataclass(frozen=True)
class Transport:
    """Species transport of one material at one temperature (SI)."""

    conductivity: float
    """σ, S/m"""
    transference_number: float
    """t⁺"""
    salt_concentration: float
    """c0 (Li⁺ and total anions), mol/m³"""
    d_cation: float
    """D⁺, m²/s"""
    d_anion: float
    """D⁻ of the free anions, m²/s"""
    immobile_fraction: float
    """fraction f of the anions that are immobile (fixed charge −f c0)"""
    relative_permittivity: float | None = None


def cation_diffusivity(
    conductivity: float, transference_number: float, salt_concentration: float, temperature: float
) -> float:
    """D⁺ = σ RT t⁺ / (F² c0) (Nernst–Einstein with current-free immobile anions), m²/s."""
    return conductivity * R * temperature * transference_number / (F**2 * salt_concentration)


def nernst_einstein_conductivity(
    d_cation: float, d_anion: float, salt_concentration: float, immobile_fraction: float, temperature: float
) -> float:
    """σ = F²/(RT) (D⁺ c0 + D⁻ (1 − f) c0), S/m (the inverse of `transport`)."""
    return F**2 / (R * temperature) * salt_concentration * (d_cation + d_anion * (1.0 - immobile_fraction))


def immobile_fraction(transference_number: float, mobility_ratio: float) -> float:
    """f = 1 − (1/t⁺ − 1)/r; ValueError unless 0 ≤ f < 1 (t⁺ in [1/(1+r), 1))."""
    t = transference_number
    if not 0.0 < t < 1.0:
        raise ValueError(
            f"transference number t+ = {t:g} must be in (0, 1) for the NPP model "
            f"(t+ = 1 leaves no free anions: use the conduction model)"
        )
    f = 1.0 - (1.0 / t - 1.0) / mobility_ratio
    if f < -1e-12:
        raise ValueError(
            f"t+ = {t:g} is below the filler-free value 1/(1 + r) = "
            f"{1 / (1 + mobility_ratio):.4g} for anion/cation mobility ratio r = "
            f"{mobility_ratio:g}: immobile fraction f = {f:.4g} < 0"
        )
    return max(f, 0.0)


def transport(card: MaterialCard, temperature: float) -> Transport:
    """Derive D⁺, D⁻ and the immobile-anion fraction of `card` at `temperature` (K)."""
    sigma = card.conductivity_at(temperature)
    t = card.si("transference_number")
    c0 = card.si("salt_concentration")
    ratio = (
        card.si("anion_cation_mobility_ratio")
        if card.anion_cation_mobility_ratio is not None
        else (1.0 - t) / t
    )
    f = immobile_fraction(t, ratio)
    d_plus = cation_diffusivity(sigma, t, c0, temperature)
    eps = card.si("relative_permittivity") if card.relative_permittivity is not None else None
    return Transport(sigma, t, c0, d_plus, ratio * d_plus, f, eps)


def fit_arrhenius(temperature: np.ndarray, conductivity: np.ndarray) -> tuple[float, float]:
    """Least-squares fit of ln σ = ln A − Ea/(kT); returns (A in S/m, Ea in eV)."""
    slope, intercept = np.polyfit(
        1.0 / np.asarray(temperature, float), np.log(np.asarray(conductivity, float)), 1
    )
    return math.exp(intercept), -slope * KB / EV


def _vft_linear(t: np.ndarray, log_sigma: np.ndarray, t0: float) -> tuple[float, float, float]:
    """For fixed T0: (ln A, B/k, residual) of ln σ = ln A − (B/k)/(T − T0)."""
    design = np.column_stack([np.ones_like(t), -1.0 / (t - t0)])
    coef, *_ = np.linalg.lstsq(design, log_sigma, rcond=None)
    return coef[0], coef[1], float(np.sum((design @ coef - log_sigma) ** 2))


def fit_vft(temperature: np.ndarray, conductivity: np.ndarray) -> tuple[float, float, float]:
    """Least-squares fit of σ = A exp(−B/(k(T − T0))); returns (A in S/m, B in eV, T0 in K).

    Linear in (ln A, B) for fixed T0; T0 is found by a golden-section search on (0, min T).
    """
    t = np.asarray(temperature, float)
    y = np.log(np.asarray(conductivity, float))
    lo, hi = 0.0, 0.98 * t.min()
    grid = np.linspace(lo, hi, 200)
    best = int(np.argmin([_vft_linear(t, y, t0)[2] for t0 in grid]))
    a, b = grid[max(best - 1, 0)], grid[min(best + 1, grid.size - 1)]
    g = (math.sqrt(5.0) - 1.0) / 2.0
    for _ in range(80):
        c, d = b - g * (b - a), a + g * (b - a)
        if _vft_linear(t, y, c)[2] < _vft_linear(t, y, d)[2]:
            b = d
        else:
            a = c
    t0 = 0.5 * (a + b)
    log_a, b_over_k, _ = _vft_linear(t, y, t0)
    return math.exp(log_a), b_over_k * KB / EV, t0


def debye_length(
    relative_permittivity: float, ionic_strength_concentration: float, temperature: float
) -> float:
    """λ_D = sqrt(ε0 εr RT / (F² Σ z² c_mobile)), m (Σ z² c over the mobile ions)."""
    return math.sqrt(EPS0 * relative_permittivity * R * temperature / (F**2 * ionic_strength_concentration))
