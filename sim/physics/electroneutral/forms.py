"""Electroneutral phase-field electrodeposition: the forms (issue 10, `formulation: electroneutral`).

The ξ equation is the shared one of sim.physics.phasefield (Allen–Cahn, anisotropy, Butler–Volmer
drive). Around it, a binary salt with free and immobile anions in the electrolyte fraction
ε(ξ) = ε_min + (1 − ε_min)(1 − h(ξ)) of a smoothed-boundary domain, in the unknowns of the NPP model
(sim.physics.npp_forms): scaled electrochemical potentials μ̂± = ln ĉ± ± ψ, with electroneutrality
ĉ⁺ = ĉ⁻ + ĉ_f (ĉ_f the immobile anions), so concentrations are positive by construction. The metal is
an equipotential at ψ_s (its ohmic drop, i/σ_Li·L ≈ 1e-11 V, is dropped); the electrolyte potential
ψ = μ̂⁺ − ln ĉ⁺ has no path into the metal except the reaction. Equations (ĉ by c0, ψ by RT/F,
lengths in mesh units, time in s; backward Euler):

    ∂(ε ĉ⁺)/∂t − ∇·(ε D̂⁺ ĉ⁺ ∇μ̂⁺) + (c_s/c0) ∂h(ξ)/∂t = 0          Li⁺ (deposition sink)
    ∂(ε ĉ⁺)/∂t − ∇·(ε D̂⁻ ĉ⁻ ∇μ̂⁻)                      = 0          all anions, ε(ĉ⁻ + ĉ_f) = ε ĉ⁺
    ∂ξ/∂t = −L_σW δF̂/δξ − L_η h′(ξ) R(ĉ⁺, ψ_s − ψ)                shared ξ equation

The metal holds c_s h(ξ) of Li, so the sink is ∝ ∂h/∂t = h′(ξ)∂ξ/∂t: for a moving front it is
v|∇h| = v|∇ε|, the smoothed-boundary source of an interface flux (the Li⁺ the metal side of the
interface consumes is what ε D̂⁺ can bring there, so nothing depletes inside the interface). The
anion accumulation is that of free plus immobile anions: immobile anions in the volume the metal
takes are released as free anions (their host is displaced), so the total anion amount is fixed.
Subtracting the two species equations: ∇·î = (c_s/c0) ∂h/∂t, i.e. the ionic current into the
interface is the deposition rate, and (anions blocked at both electrodes) the charge through the
counter electrode / F equals the deposited Li exactly, for any ĉ_f. With ξ frozen, ε is constant
and the two equations are the NPP model's electroneutral ones weighted by ε (ε = 1 in the
electrolyte).
"""

from __future__ import annotations

from typing import Any

import ufl

from sim.physics import phasefield as pf
from sim.physics.npp_forms import concentrations, nernst_planck

Expr = Any

ELECTROLYTE_FLOOR = 1e-6
"""ε_min: the electrolyte fraction left inside the metal (keeps the salt equations regular there;
the ionic conductance through 1 µm of metal is then 1e-6 of the electrolyte's)"""


CONDUCTANCE_FLOOR = 1e-8
"""Added to each ion's ε ĉ in its transport coefficient D̂ ε ĉ. Inside the metal an ion can be
depleted to ε ĉ ≈ 1e-6 e^-30: its equation has no coefficient left there, the Jacobian is singular
(MUMPS INFOG(1) = -10) and Newton's updates of μ̂± in the metal run to thousands (measured, the
MOF ablation cell at 0.21 C/m); 1e-12 removed the singularity but not the wandering. 1e-8 changes
the fluxes in the electrolyte by ≤ 1.5e-7 (ĉ ≥ 0.069 there; in a PE filament, salt fraction 1e-6,
by ≈ 1 %) and keeps both equations conservative."""


def electrolyte_fraction(xi: Expr, floor: float = ELECTROLYTE_FLOOR) -> Expr:
    """ε(ξ) = ε_min + (1 − ε_min)(1 − h(ξ)): 1 in the electrolyte, ε_min in the metal."""
    return floor + (1 - floor) * (1 - pf.interpolation(xi))


def salt(mu_p: Expr, mu_m: Expr, fixed: Expr) -> tuple[Expr, Expr, Expr]:
    """(ĉ⁺, ĉ⁻, ψ) of the electroneutral salt (sim.physics.npp_forms.concentrations)."""
    return concentrations(mu_p, mu_m, fixed)


def salt_residuals(
    xi: Expr,
    xi_n: Expr,
    mu: tuple[Expr, Expr],
    mu_n: tuple[Expr, Expr],
    fixed: Expr,
    diffusivity: tuple[Expr, Expr],
    c_ratio: Expr,
    dt: Expr,
    tests: tuple[Expr, Expr],
    dx: ufl.Measure,
    host: Expr = 1.0,
    metal: Expr = 1.0,
) -> tuple[ufl.Form, ufl.Form]:
    """Li⁺ and anion residuals: ∫ [(εĉ⁺ − ε_n ĉ⁺_n) + (c_s/c0)(h − h_n)]/Δt v + D̂⁺(εĉ⁺ + f)∇μ̂⁺·∇v and
    ∫ (εĉ⁺ − ε_n ĉ⁺_n)/Δt q + D̂⁻(εĉ⁻ + f)∇μ̂⁻·∇q (zero flux where natural; f the
    CONDUCTANCE_FLOOR), ε = ε(ξ) × `host`: the
    electrolyte's share of the host (1; the filaments' transport_factor, see `inventories`);
    the metal is `metal` × c_s h(ξ) (0 in the filaments: their surface nodes' ξ is no metal)."""
    c_p, c_m, _ = salt(*mu, fixed)
    c_p_n, _, _ = salt(*mu_n, fixed)
    eps, eps_n = electrolyte_fraction(xi) * host, electrolyte_fraction(xi_n) * host
    accumulation = (eps * c_p - eps_n * c_p_n) / dt
    deposition = metal * c_ratio * (pf.interpolation(xi) - pf.interpolation(xi_n)) / dt
    v, q = tests
    li = (accumulation + deposition) * v * dx + nernst_planck(
        eps * c_p + CONDUCTANCE_FLOOR, None, diffusivity[0], mu[0], v, None, dx
    )
    anion = accumulation * q * dx + nernst_planck(
        eps * c_m + CONDUCTANCE_FLOOR, None, diffusivity[1], mu[1], q, None, dx
    )
    return li, anion


def reaction_drive(c_p: Expr, psi: Expr, metal_psi: Expr, p: pf.Coefficients) -> Expr:
    """R = e^{(1−α)nη} − ĉ⁺ e^{−αnη} with η = ψ_s − ψ (metal minus electrolyte potential): zero at
    the Nernst potential ψ_s = μ̂⁺ (n = 1), the same Li | Li⁺ equilibrium as the NPP model's
    Butler–Volmer electrodes (sim.physics.npp_forms.butler_volmer) and its counter electrode."""
    return pf.butler_volmer(c_p, metal_psi - psi, p)


def inventories(
    xi: Expr, c_p: Expr, c_ratio: Expr, dx: ufl.Measure, host: Expr = 1.0, metal: Expr = 1.0
) -> dict[str, ufl.Form]:
    """Scaled amounts: Li (Li⁺ in the electrolyte + metal), all anions, metal (∫h); `host` and
    `metal` as in `salt_residuals` (a PE filament holds a salt fraction transport_factor: its
    accumulation and its transport both scale, so the potential there stays as well determined
    as in the metal)."""
    eps = electrolyte_fraction(xi) * host
    h = metal * pf.interpolation(xi)
    return {
        "li": (eps * c_p + c_ratio * h) * dx,
        "anion": eps * c_p * dx,
        "metal": h * dx,
    }
