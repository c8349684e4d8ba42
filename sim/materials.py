"""Material model: measured σ(T), t⁺, c0 → species diffusivities (Nernst–Einstein).

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

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sim.units import F, R

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
