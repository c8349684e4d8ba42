"""Plane-strain linear elasticity with a phase-dependent stiffness and a Vegard or growth eigenstrain.

Everything is written as an energy density f_el(ε, h) = ½ σ:ε_el (3×3 tensors, ε_zz = 0) so the
stress, the elastic driving force on the phase field and all Jacobians follow by UFL
differentiation. Stresses are in whatever unit the moduli are given in (the phase-field model
passes moduli divided by its energy scale W).
"""

from __future__ import annotations

from dataclasses import dataclass

import ufl
from ufl.variable import Variable


def lame(E, nu) -> tuple:
    """(μ, λ) from Young's modulus and Poisson's ratio (3D / plane-strain Lamé constants)."""
    return E / (2 * (1 + nu)), E * nu / ((1 + nu) * (1 - 2 * nu))


def plane_strain_3d(eps2) -> ufl.core.expr.Expr:
    """The 3×3 strain of a plane-strain state with in-plane strain `eps2` (ε_zz = ε_xz = ε_yz = 0)."""
    return ufl.as_matrix([[eps2[0, 0], eps2[0, 1], 0], [eps2[1, 0], eps2[1, 1], 0], [0, 0, 0]])


@dataclass
class Stiffness:
    """Isotropic moduli of the Li phase (h = 1) and of the host (h = 0, may vary in space)."""

    E_li: object
    nu_li: object
    E_host: object
    nu_host: object

    def at(self, h) -> tuple:
        """(μ, λ) with E and ν interpolated linearly in h."""
        return lame(h * self.E_li + (1 - h) * self.E_host, h * self.nu_li + (1 - h) * self.nu_host)


def elastic_strain(eps2, eigenstrain) -> ufl.core.expr.Expr:
    """ε_el = ε − ε* (3×3).

    A scalar ε* is the isotropic (Vegard) eigenstrain ε* I, acting in all three directions; a 3×3
    tensor (e.g. `growth_eigenstrain`) is subtracted as it is.
    """
    if ufl.shape(eigenstrain) == (3, 3):
        return plane_strain_3d(eps2) - eigenstrain
    return plane_strain_3d(eps2) - eigenstrain * ufl.Identity(3)


def interface_normal(grad_xi, grad_eps: float = 1e-6) -> ufl.core.expr.Expr:
    """n = ∇ξ / √(|∇ξ|² + ε²): the interface normal, regularised as in `phasefield.kappa`.

    |n| → 1 inside the diffuse interface and → 0 in the bulk phases (∇ξ → 0), without a singularity.
    With ξ = 1 in the Li, n points from the electrolyte into the Li; n⊗n does not depend on the sign.
    """
    return grad_xi / ufl.sqrt(ufl.inner(grad_xi, grad_xi) + grad_eps**2)


def growth_eigenstrain(magnitude, normal) -> ufl.core.expr.Expr:
    """ε_g = λ(ξ) n⊗n (3×3, plane strain: n_z = 0, so ε_g,zz = 0).

    The growth (interface-normal) eigenstrain: Li deposited at the interface extends the metal along
    the interface normal only, instead of the isotropic Vegard expansion ε* I. A flat front growing
    along n then has a compatible, uniaxial eigenstrain (u_n = ∫λ dn, no lateral strain) and is
    stress-free if the host may move along n, while a curved protrusion pushing into the host is
    resisted by it. This is the picture of Monroe & Newman (J. Electrochem. Soc. 152 (2005) A396):
    the deposit displaces the electrolyte normal to the interface and the interfacial stress, set by
    the moduli, enters the deposition kinetics (here through `hydrostatic` and the stress factor of
    `phasefield.stress_factor`). Uniaxial normal growth of the deposited Li is the plating kinematics
    of interface-growth models of Li/solid-electrolyte interfaces (e.g. Narayan & Anand,
    J. Electrochem. Soc. 167 (2020) 040525, finite strain); this is its small-strain, diffuse-interface
    form. `magnitude` is λ(ξ) (e.g. ε_g (h(ξ) − h(ξ0))), `normal` e.g. `interface_normal(∇ξ)`.
    """
    return magnitude * plane_strain_3d(ufl.outer(normal, normal))


def stress(eps2, eigenstrain, mu, lam) -> ufl.core.expr.Expr:
    """Cauchy stress σ = λ tr(ε_el) I + 2μ ε_el (3×3, including σ_zz); ε* scalar or 3×3."""
    e = elastic_strain(eps2, eigenstrain)
    return lam * ufl.tr(e) * ufl.Identity(3) + 2 * mu * e


def elastic_energy(eps2, eigenstrain, mu, lam) -> ufl.core.expr.Expr:
    """Strain energy density ½ σ:ε_el."""
    return 0.5 * ufl.inner(stress(eps2, eigenstrain, mu, lam), elastic_strain(eps2, eigenstrain))


def hydrostatic(sigma3) -> ufl.core.expr.Expr:
    """σ_h = tr σ / 3 (σ_zz included)."""
    return ufl.tr(sigma3) / 3


def von_mises(sigma3) -> ufl.core.expr.Expr:
    """√(3/2 s:s) with s the deviatoric part of the 3×3 stress."""
    s = ufl.dev(sigma3)
    return ufl.sqrt(1.5 * ufl.inner(s, s))


def strain_variable(u) -> Variable:
    """ε(u) as a UFL variable, so ∂f_el/∂ε = σ can be taken with ufl.diff."""
    return ufl.variable(ufl.sym(ufl.grad(u)))


def equilibrium_residual(f_el, eps_var, w, dx: ufl.Measure = ufl.dx) -> ufl.Form:
    """Weak form of ∇·σ = 0: ∫ ∂f_el/∂ε : ε(w) dx (zero body force, natural traction-free)."""
    return ufl.inner(ufl.diff(f_el, eps_var), ufl.sym(ufl.grad(w))) * dx
