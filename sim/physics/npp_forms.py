"""Nernst–Planck–Poisson forms in scaled variables (DESIGN 3.2).

Scaling: x̂ = x/ℓ (ℓ = the mesh unit, 1 µm), ĉ = c/c_ref, ψ = φF/(RT), d̂ = D/D_ref, t̂ = t D_ref/ℓ².
The unknowns are the scaled electrochemical potentials μ̂± = ln ĉ± ± ψ of Li⁺ and of the free anion,
so concentrations are positive by construction and the flux is N̂ = −d̂ ĉ ∇μ̂ (the Nernst–Planck flux
−D∇c − zDcF/(RT)∇φ rewritten). μ̂ is continuous across material interfaces (equilibrium), while
ĉ and ψ may jump there (Donnan potential) in the electroneutral limit.

- poisson mode: unknowns (μ̂⁺, μ̂⁻, ψ); ĉ± = exp(μ̂± ∓ ψ); −∇̂·(ε̂∇̂ψ) = ĉ⁺ − ĉ⁻ − ĉ_f with
  ε̂ = ε0 εr RT/(F² c_ref ℓ²) = (Debye length/ℓ)² · (2 for a 1:1 salt).
- electroneutral mode: unknowns (μ̂⁺, μ̂⁻); ĉ⁺ − ĉ⁻ = ĉ_f and ĉ⁺ĉ⁻ = exp(μ̂⁺ + μ̂⁻) give
  ĉ⁺ = (ĉ_f + √(ĉ_f² + 4 e^{μ̂⁺+μ̂⁻}))/2, ĉ⁻ = e^{μ̂⁺+μ̂⁻}/ĉ⁺, ψ = μ̂⁺ − ln ĉ⁺.
ĉ_f ≥ 0 is the immobile anion concentration (fixed negative charge).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ufl

from sim.units import EPS0, F, R


@dataclass(frozen=True)
class Scales:
    """Reference values that turn SI quantities into the scaled ones used in the forms."""

    length: float
    """ℓ, m (the mesh coordinate unit)"""
    concentration: float
    """c_ref, mol/m³"""
    diffusivity: float
    """D_ref, m²/s"""
    temperature: float
    """T, K"""

    @property
    def time(self) -> float:
        """ℓ²/D_ref, s"""
        return self.length**2 / self.diffusivity

    @property
    def potential(self) -> float:
        """RT/F, V"""
        return R * self.temperature / F

    @property
    def flux(self) -> float:
        """D_ref c_ref/ℓ, mol m⁻² s⁻¹ (one scaled flux unit)"""
        return self.diffusivity * self.concentration / self.length

    def permittivity(self, relative_permittivity: float) -> float:
        """ε̂ = ε0 εr RT/(F² c_ref ℓ²)"""
        return EPS0 * relative_permittivity * self.potential / (F * self.concentration * self.length**2)

    def debye_length(self, relative_permittivity: float, ionic_strength: float) -> float:
        """Debye length in mesh units for Σ z² ĉ = ionic_strength (scaled)."""
        return math.sqrt(self.permittivity(relative_permittivity) / ionic_strength)


def concentrations(mu_p, mu_m, fixed, psi=None):
    """(ĉ⁺, ĉ⁻, ψ) from the unknowns; `psi=None` selects the electroneutral limit."""
    if psi is not None:
        return ufl.exp(mu_p - psi), ufl.exp(mu_m + psi), psi
    product = ufl.exp(mu_p + mu_m)
    c_p = 0.5 * (fixed + ufl.sqrt(fixed**2 + 4.0 * product))
    return c_p, product / c_p, mu_p - ufl.ln(c_p)


def nernst_planck(c, c_old, d, mu, v, dt, dx, source=None) -> ufl.Form:
    """∫ (ĉ − ĉ_old)/Δt̂ v + d̂ ĉ ∇μ̂·∇v − s v; steady when `dt` is None (boundary terms added by the caller)."""
    form = d * c * ufl.inner(ufl.grad(mu), ufl.grad(v)) * dx
    if dt is not None:
        form += (c - c_old) / dt * v * dx
    if source is not None:
        form -= source * v * dx
    return form


def poisson(psi, q, eps, charge, dx) -> ufl.Form:
    """∫ ε̂ ∇ψ·∇q − ρ̂ q with ρ̂ = ĉ⁺ − ĉ⁻ − ĉ_f."""
    return eps * ufl.inner(ufl.grad(psi), ufl.grad(q)) * dx - charge * q * dx


def butler_volmer(c_p, c0, dphi, rate, alpha):
    """Scaled Li⁺ flux into the electrolyte at a Li | Li⁺ electrode (one standard state per cell):

        ĵ = k̂ (ĉ⁺/ĉ0)^α [exp(α η̂) − exp(−(1 − α) η̂)],   η̂ = φ̂_e − ψ − ln ĉ⁺ = φ̂_e − μ̂⁺
          = k̂ ĉ0^(−α) [exp(α Δφ̂) − ĉ⁺ exp(−(1 − α) Δφ̂)],  Δφ̂ = φ̂_e − ψ  (`dphi`, the form used)

    with k̂ = i0/(F N_ref) the exchange flux at ĉ⁺ = ĉ0, the card's c0 of the layer at the electrode.

    Thermodynamics. Li ⇌ Li⁺ + e⁻ is at equilibrium when μ_Li = μ̃_Li⁺ + μ̃_e⁻. With Li⁺ ideal and
    one standard state for the whole cell (activity c⁺/c_ref, the c_ref of the scaling, the same
    one μ̂± are continuous with across layers), μ̃_Li⁺/RT = μ°/RT + μ̂⁺ and μ̃_e⁻/RT = −φ̂_e + const;
    both electrodes are the same metal, so both are at equilibrium exactly when φ̂_e = μ̂⁺ + E°
    with ONE E° (set to 0, a gauge of the potential). Mass action k_a e^{αΔφ̂} − k_c ĉ⁺ e^{−(1−α)Δφ̂}
    with detailed balance (k_a = k_c e^{E°}, the same at both electrodes) is the form above: its
    exchange current is i0 (c⁺/c0)^α (Newman & Thomas-Alyea, Electrochemical Systems, §8.3), and the
    current vanishes iff η̂ = 0, i.e. iff the electrochemical potential of Li is the same in the
    electrode and at the electrolyte surface. A shorted Li | stack | Li cell therefore carries no
    current in equilibrium whatever the layers (c0, t⁺, fixed charge) between the electrodes. The
    choice of c0 here only sets where i0 is quoted, not the equilibrium; a per-layer reference
    ((c⁺/c0) e^{−(1−α)Δφ̂}) would put each electrode's equilibrium at μ̂⁺ − ln ĉ0, a different
    standard state at each electrode.
    """
    return rate * c0 ** (-alpha) * (ufl.exp(alpha * dphi) - c_p * ufl.exp(-(1.0 - alpha) * dphi))
