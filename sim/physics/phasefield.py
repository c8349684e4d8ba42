"""Phase-field Li electrodeposition (DESIGN 3.3; Chen et al., J. Power Sources 300 (2015) 376).

Unknowns (scaled): ξ (1 Li metal, 0 electrolyte), c̃ = c_Li⁺/c0, ψ = Fφ/RT; lengths in mesh units
ℓ (µm), energies in units of the barrier height W, time in s. The free energy density

    f̂ = ξ²(1−ξ)² + ½ κ̂(θ)|∇ξ|² [+ f_el/W],   κ̂(θ) = κ0 (1 + δ cos ω(θ − θ0)) / (W ℓ²)

is written once; the Allen–Cahn driving force δF/δξ (with the full anisotropic term), the elastic
driving force and every Jacobian come from UFL differentiation. cos ω(θ − θ0) = T_ω(n·e0) with
T_ω the Chebyshev polynomial and n = ∇ξ/|∇ξ|_ε (regularised norm): no atan2, no singularity.

Equations (backward Euler):
    ∂ξ/∂t = −L_σW δF̂/δξ − L_η h′(ξ) R S,   R = e^{(1−α)nη} − c̃ e^{−αnη},  η = ψ − ψ_θ
    ∂c̃/∂t = ∇·[D̂(h)(∇c̃ + n c̃ ∇ψ)] − (c_s/c0) ∂ξ/∂t
    ∇·(σ̂(h)∇ψ) = ∂ξ/∂t,   σ̂ = σ RT/(n F² c_s ℓ²)
with S = exp[(1−β) Ω σ_h/RT] the stress factor (1 without stress coupling). Sign convention:
η < η_eq = ln(c̃)/n (cathodic) gives R < 0 and deposition (∂ξ/∂t > 0).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ufl

Expr = Any


@dataclass
class Coefficients:
    """Scaled coefficients of the ξ equation (floats or fem.Constants)."""

    mobility: Expr
    """L_σ W, 1/s"""
    kappa: Expr
    """κ0 / (W ℓ²), in mesh units²"""
    reaction: Expr
    """L_η, 1/s"""
    alpha: Expr = 0.5
    beta: Expr = 0.5
    n: Expr = 1.0
    anisotropy: Expr = 0.0
    """δ, strength of the anisotropy"""
    modes: int = 4
    """ω, integer mode number"""
    theta0: float = 0.0
    """preferred growth direction θ0 (rad from the x axis)"""
    stress_scale: Expr = 0.0
    """Ω W / RT: turns a scaled hydrostatic stress σ_h/W into Ω σ_h / RT"""
    grad_eps: float = 1e-6
    """regularisation of |∇ξ| in the normal (mesh units⁻¹)"""


def barrier(xi: Expr) -> Expr:
    """Double well g/W = ξ²(1−ξ)²."""
    return xi**2 * (1 - xi) ** 2


def interpolation(xi: Expr) -> Expr:
    """h(ξ) = ξ³(6ξ² − 15ξ + 10)."""
    return xi**3 * (6 * xi**2 - 15 * xi + 10)


def chebyshev(k: int, x: Expr) -> Expr:
    """T_k(x), so that cos(kθ) = T_k(cos θ)."""
    t_prev, t = 1.0, x
    if k == 0:
        return 1.0 + 0 * x
    for _ in range(k - 1):
        t_prev, t = t, 2 * x * t - t_prev
    return t


def kappa(grad_xi: Expr, p: Coefficients) -> Expr:
    """κ̂(θ) = κ̂0 (1 + δ cos ω(θ − θ0)) from the regularised interface normal."""
    if ufl.shape(grad_xi)[0] < 2 or (isinstance(p.anisotropy, float) and p.anisotropy == 0.0):
        return p.kappa
    norm = ufl.sqrt(ufl.inner(grad_xi, grad_xi) + p.grad_eps**2)
    cos_angle = (grad_xi[0] * math.cos(p.theta0) + grad_xi[1] * math.sin(p.theta0)) / norm
    return p.kappa * (1 + p.anisotropy * chebyshev(p.modes, cos_angle))


def chemical_energy(xi: Expr, grad_xi: Expr, p: Coefficients) -> Expr:
    """f̂ = ξ²(1−ξ)² + ½ κ̂(θ)|∇ξ|² (in units of W)."""
    return barrier(xi) + 0.5 * kappa(grad_xi, p) * ufl.inner(grad_xi, grad_xi)


def butler_volmer(c: Expr, eta: Expr, p: Coefficients) -> Expr:
    """R = exp[(1−α) n η] − c̃ exp[−α n η] (η scaled by RT/F)."""
    return ufl.exp((1 - p.alpha) * p.n * eta) - c * ufl.exp(-p.alpha * p.n * eta)


def stress_factor(sigma_h: Expr, p: Coefficients) -> Expr:
    """exp[(1−β) Ω σ_h / RT] for a scaled hydrostatic stress σ_h/W (< 1 under compression)."""
    return ufl.exp((1 - p.beta) * p.stress_scale * sigma_h)


EnergyFn = Callable[[Expr, Expr], Expr]


def allen_cahn_residual(
    xi: Expr,
    xi_n: Expr,
    dt: Expr,
    v: Expr,
    energy: EnergyFn,
    drive: Expr,
    p: Coefficients,
    mask: Expr = 1.0,
    dx: ufl.Measure = ufl.dx,
) -> ufl.Form:
    """∫ (ξ−ξn)/Δt v + M [∂f/∂ξ v + ∂f/∂∇ξ·∇v] + L_η h′(ξ) drive v.

    `energy(ξ, ∇ξ)` is the free energy density (scaled by W); `drive` the reaction rate R (times
    the stress factor); `mask` is 0 where ξ may not change (filaments). Pass a `dx` with a fixed
    quadrature degree: UFL's estimate for these nonlinear integrands is needlessly high."""
    xv, gv = ufl.variable(xi), ufl.variable(ufl.grad(xi))
    f = energy(xv, gv)
    dh = ufl.diff(interpolation(xv), xv)
    return (
        (xi - xi_n) / dt * v
        + mask * p.mobility * (ufl.diff(f, xv) * v + ufl.inner(ufl.diff(f, gv), ufl.grad(v)))
        + mask * p.reaction * dh * drive * v
    ) * dx


def ion_residual(
    c: Expr,
    c_n: Expr,
    xi: Expr,
    xi_n: Expr,
    psi: Expr,
    dt: Expr,
    q: Expr,
    diffusivity: Expr,
    n: Expr,
    c_ratio: Expr,
    dx: ufl.Measure = ufl.dx,
) -> ufl.Form:
    """∫ (c̃−c̃n)/Δt q + D̂(∇c̃ + n c̃ ∇ψ)·∇q + (c_s/c0)(ξ−ξn)/Δt q (zero flux where natural)."""
    flux = diffusivity * (ufl.grad(c) + n * c * ufl.grad(psi))
    return ((c - c_n) / dt * q + ufl.inner(flux, ufl.grad(q)) + c_ratio * (xi - xi_n) / dt * q) * dx


def charge_residual(
    psi: Expr, xi: Expr, xi_n: Expr, dt: Expr, r: Expr, conductivity: Expr, dx: ufl.Measure = ufl.dx
) -> ufl.Form:
    """∫ σ̂∇ψ·∇r + (ξ−ξn)/Δt r: charge conservation with the deposition source."""
    return (conductivity * ufl.inner(ufl.grad(psi), ufl.grad(r)) + (xi - xi_n) / dt * r) * dx


def mix(xi: Expr, phase_value: Expr, host_value: Expr) -> Expr:
    """h(ξ) a + (1 − h(ξ)) b: a property interpolated between Li (a) and host (b)."""
    h = interpolation(xi)
    return h * phase_value + (1 - h) * host_value
