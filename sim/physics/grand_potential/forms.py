"""UFL forms of the grand-potential phase-field model of Li electrodeposition.

Hong & Viswanathan, ACS Energy Lett. 3 (2018) 1737 (main-text Eqs. 1, 3, 4), as implemented in the
public MOOSE input problems/hong2018/Code/input.i (vishankkumar/moose_piglet; the same forms in
BattModels/electrodep test/tests/paper-files/liqcrys_K0.i, Ahmad, Hong & Viswanathan, PNAS 2020).
Unknowns: chemical potential w (units of RT), phase field η (1 electrode, 0 electrolyte), potential
φ (V). Scaled units of the input: length µm, time s, energy (density) RT. Time discretisation:
backward Euler (the input uses BDF2); the residuals below are F(u) = 0 with test functions.

The grand potentials of the two phases are those of the inputs' DerivativeParsedMaterial blocks, the
dilute (ideal-solution) form ω_α(w) = u_α − A ln(1 + e^{(w−ε_α)/A}), not a parabola: c_α = −∂ω_α/∂w
is a site fraction in (0, 1), so concentrations stay bounded for any w.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import ufl

from sim.physics.grand_potential.card import Scaled

Expr = Any


def grand_potential(w: Expr, u: Expr, eps: Expr, thermal: Expr) -> Expr:
    """ω(w) = u − A ln(1 + exp((w − ε)/A)) (input.i [./liquid_GrandPotential], [./solid_GrandPotential])."""
    return u - thermal * ufl.ln(1 + ufl.exp((w - eps) / thermal))


def site_fraction(w: Expr, u: Expr, eps: Expr, thermal: Expr) -> Expr:
    """c = −∂ω/∂w = 1/(1 + exp(−(w − ε)/A)) (the inputs' `cl := D[f1,w]` with the sign turned)."""
    wv = ufl.variable(w)
    return -ufl.diff(grand_potential(wv, u, eps, thermal), wv)


def susceptibility_of_phase(w: Expr, u: Expr, eps: Expr, thermal: Expr) -> Expr:
    """χ_α = −∂²ω_α/∂w² = ∂c_α/∂w = c_α(1 − c_α)/A."""
    wv = ufl.variable(w)
    return ufl.diff(site_fraction(wv, u, eps, thermal), wv)


def switching(eta: Expr) -> Expr:
    """h(η) = η³(6η² − 15η + 10) (SwitchingFunctionMaterial, h_order = HIGH)."""
    return eta**3 * (6 * eta**2 - 15 * eta + 10)


def switching_slope(eta: Expr) -> Expr:
    """h′(η) = 30 η²(1 − η)²."""
    ev = ufl.variable(eta)
    return ufl.diff(switching(ev), ev)


def double_well(eta: Expr) -> Expr:
    """g(η) = η²(1 − η)² (input.i [./Free]: FF = B g; BarrierFunctionMaterial)."""
    return eta**2 * (1 - eta) ** 2


def electrolyte_fraction(w: Expr, p: Scaled) -> Expr:
    """c_l(w), site fraction of Li+ in the electrolyte phase."""
    return site_fraction(w, p.u_electrolyte, p.eps_electrolyte, p.thermal)


def electrode_fraction(w: Expr, p: Scaled) -> Expr:
    """c_s(w), site fraction of Li in the electrode phase."""
    return site_fraction(w, p.u_electrode, p.eps_electrode, p.thermal)


def susceptibility(w: Expr, eta: Expr, p: Scaled) -> Expr:
    """χ = (1 − h) χ_l + d_v h χ_s (input.i [./susceptibility]: −d2F1(1−h) − d2F2 h dv)."""
    h = switching(eta)
    chi_l = susceptibility_of_phase(w, p.u_electrolyte, p.eps_electrolyte, p.thermal)
    chi_s = susceptibility_of_phase(w, p.u_electrode, p.eps_electrode, p.thermal)
    return (1 - h) * chi_l + p.site_ratio * h * chi_s


def li_content(w: Expr, eta: Expr, p: Scaled) -> Expr:
    """c = (1 − h) c_l + d_v h c_s, the Li site fraction (electrolyte sites) the w equation conserves."""
    h = switching(eta)
    return (1 - h) * electrolyte_fraction(w, p) + p.site_ratio * h * electrode_fraction(w, p)


def ion_concentration(w: Expr, eta: Expr, p: Scaled) -> Expr:
    """Li+ site fraction c_l(w)(1 − h) (input.i [./concentration]: −dFl (1 − h))."""
    return electrolyte_fraction(w, p) * (1 - switching(eta))


def conductivity(eta: Expr, p: Scaled) -> Expr:
    """σ(η) = S1 h + S2 (1 − h) (input.i [./Le1])."""
    h = switching(eta)
    return p.sigma_electrode * h + p.sigma_electrolyte * (1 - h)


def butler_volmer(w: Expr, eta: Expr, phi: Expr, p: Scaled) -> Expr:
    """R = h′(η)[e^{(1−α)aφ} − (c_l(1 − h)/c0) e^{−αaφ}], a = nF/RT (input.i [./Bultervolmer]; the
    bracket of paper Eq. 1 with the overpotential φ). R < 0 reduces Li+ (deposition)."""
    a = p.nF_RT
    c_ratio = p.inverse_c0 * ion_concentration(w, eta, p)
    return switching_slope(eta) * (ufl.exp((1 - p.alpha) * a * phi) - c_ratio * ufl.exp(-p.alpha * a * phi))


def eta_residual(
    eta: Expr, eta_n: Expr, w: Expr, phi: Expr, v: Expr, dt: Expr, p: Scaled, noise: Expr = 0.0
) -> ufl.Form:
    """Allen–Cahn with Butler–Volmer drive (paper Eq. 1; input.i kernels e_dot, AC_bulk, AC_int, BV,
    Noiseeta):  ∂η/∂t = −L (B g′(η) − κ∇²η) − L_η R(w, η, φ) + ζ,  ζ the Langevin noise term.
    The barrier alone enters the bulk drive (AC_bulk uses FF = B g, not the two-phase ω)."""
    ev = ufl.variable(eta)
    dg = ufl.diff(p.barrier * double_well(ev), ev)
    return (
        (eta - eta_n) / dt * v
        + p.mobility * (dg * v + p.kappa * ufl.inner(ufl.grad(eta), ufl.grad(v)))
        + p.reaction * butler_volmer(w, eta, phi, p) * v
        - noise * v
    ) * ufl.dx


def w_residual(
    w: Expr,
    w_n: Expr,
    eta: Expr,
    eta_n: Expr,
    phi: Expr,
    q: Expr,
    dt: Expr,
    p: Scaled,
    conservative: bool = False,
) -> ufl.Form:
    """Li conservation in w (paper Eq. 3; input.i kernels w_dot, Diffusion1, Diffusion2, coupled_etadot):
        χ ∂w/∂t = ∇·(D ∇w + D a ∇φ) − h′(η)(d_v c_s − c_l) ∂η/∂t,
    D = M0 (1 − h)^p c_l the mobility D c/RT in RT units (input.i [./Mobility coefficient],
    [./Migration coefficient]); i.e. ∂c/∂t = ∇·(D∇w + D a∇φ) for c = `li_content`.
    `conservative` writes the time derivative as (c(w, η) − c(w_n, η_n))/Δt instead of the input's
    χ ∂w/∂t + h′(d_v c_s − c_l) ∂η/∂t: the same equation, but ∫c is conserved by each time step
    (the χ form conserves it only to the time-discretisation error)."""
    h = switching(eta)
    c_l = electrolyte_fraction(w, p)
    c_s = electrode_fraction(w, p)
    mob = p.diffusivity * (1 - h) ** p.mobility_exponent * c_l
    if conservative:
        rate = (li_content(w, eta, p) - li_content(w_n, eta_n, p)) / dt
    else:
        rate = (
            susceptibility(w, eta, p) * (w - w_n)
            + switching_slope(eta) * (p.site_ratio * c_s - c_l) * (eta - eta_n)
        ) / dt
    return (rate * q + mob * ufl.inner(ufl.grad(w) + p.nF_RT * ufl.grad(phi), ufl.grad(q))) * ufl.dx


def potential_residual(phi: Expr, eta: Expr, eta_n: Expr, r: Expr, dt: Expr, p: Scaled) -> ufl.Form:
    """Charge conservation (paper Eq. 4; input.i kernels Cond, coupled_pos): ∇·(σ(η)∇φ) = nF c_s ∂η/∂t,
    σ in S/m, lengths in µm, nF c_s = ft2 in the same scaling."""
    return (
        conductivity(eta, p) * ufl.inner(ufl.grad(phi), ufl.grad(r))
        + p.charge_density * (eta - eta_n) / dt * r
    ) * ufl.dx


def noise_amplitude(amplitude: float, dt: float, reference_dt: float | None) -> float:
    """The amplitude of a step's draw: `amplitude` as input.i (a rate redrawn per step, whose effect
    depends on Δt) when `reference_dt` is None; else amplitude·√(dt_ref/Δt), a Wiener increment:
    ∫ζ dt then has a variance per unit time independent of Δt, and at Δt = dt_ref it is input.i's."""
    if reference_dt is None:
        return amplitude
    return amplitude * math.sqrt(reference_dt / dt)


def draw_noise(
    values: np.ndarray,
    original_cells: np.ndarray,
    amplitude: float,
    rng: np.random.Generator,
    num_cells_global: int,
) -> None:
    """Fill a cellwise (DG0) noise field ζ with amplitude × U(−1, 1), redrawn every time step: the
    source +ζ of the η equation (input.i [./Noiseeta], MOOSE LangevinNoise, which draws U(−1, 1) at
    every quadrature point and reseeds with the step number). One global draw from the seeded `rng`
    is indexed by the cells' original numbers, so the field does not depend on the partition."""
    draw = amplitude * (2.0 * rng.random(num_cells_global) - 1.0)
    values[: len(original_cells)] = draw[original_cells]
