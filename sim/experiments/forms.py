"""What a linearisation needs from a model: its residual with the time-derivative part separate.

F(u, u̇; V) = ∂Q(u; V)/∂t + G(u; V), tested with v, where V is the potential of the perturbed
electrode (the cathode). Each part is split into the interior (bulk and anode) terms and the terms
on the cathode itself, so that the consistent current through the cathode is the interior residual
tested with a function that is 1 on the cathode and 0 elsewhere (the reaction; exact for the
discrete solution). Linearised about u₀: M = ∂Q/∂u, J = ∂G/∂u, and the cathode potential enters as
b = −(∂G/∂V + iω ∂Q/∂V) δV, or as a Dirichlet value δu_k = δV on the cathode.

The forms reuse the models' own pieces (sim.physics.conduction, sim.physics.npp_forms and the NPP
problem's fields); the future model protocol (issue 9) can return a `ResidualSplit` directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim._dolfinx import dolfinx

import numpy as np
import ufl

from sim.mesh import boundary_facets
from sim.physics.conduction import conduction_forms, conductivity_field
from sim.physics.npp_forms import nernst_planck, poisson
from sim.units import EPS0, F

fem = dolfinx.fem


@dataclass
class ResidualSplit:
    """A model's residual F = ∂Q/∂t + G about the state `u`, in the model's (scaled) units."""

    u: fem.Function
    """the state to linearise about (its space is the model's space)"""
    test: ufl.Argument
    """the test function the forms are written with"""
    storage: ufl.Form
    """Q(u; V; v), interior terms"""
    flux: ufl.Form
    """G(u; V; v), interior terms"""
    control: fem.Function
    """the cathode potential V (a constant DG0 function, so UFL can differentiate by it)"""
    storage_cathode: ufl.Form | None = None
    """Q terms on the cathode (e.g. its double layer)"""
    flux_cathode: ufl.Form | None = None
    """G terms on the cathode (e.g. its Butler–Volmer reaction)"""
    dirichlet: list[tuple[int, np.ndarray, float]] = field(default_factory=list)
    """(component, facets, δu_component/δV): perturbation values held on boundary facets"""
    charge_component: int = 0
    """the component whose equation is the charge (current) balance"""
    current_unit: float = 1.0
    """A per metre of depth for one scaled unit of the consistent flux"""
    potential_unit: float = 1.0
    """V per scaled potential unit"""
    time_unit: float = 1.0
    """s per scaled time unit (ω is scaled by it)"""
    basis: tuple[tuple[float, ...], ...] | None = None
    """P (n × n): the block system's unknowns are c with δu = P c (None: c = δu). A storage that
    is singular node by node (electroneutral NPP: only the salt μ⁺ + μ⁻ carries mass) needs the
    combination it acts on as an unknown of its own, else at large ω the LU resolves the other one
    as a difference of ωM-sized numbers and loses |ωM|/|J| × machine ε of it"""

    @property
    def components(self) -> int:
        shape = self.u.ufl_shape
        return shape[0] if shape else 1


def control_function(mesh, value: float) -> fem.Function:
    """A constant DG0 function holding an electrode potential (differentiable, unlike a Constant)."""
    v = fem.Function(fem.functionspace(mesh, ("DG", 0)))
    v.x.array[:] = value
    return v


def conduction_split(config, bundle, cdl: float | None, dielectric: bool) -> ResidualSplit:
    """Conduction with the bulk displacement current: Q = ∫ ε0 εr ∇φ·∇v, G = ∫ σ ∇φ·∇v (the
    conduction bilinear form). Ideal contacts: φ held at the electrode potentials. With C_dl:
    both electrodes charge a double layer, Q += −∫_electrode C_dl (V_e − φ) v ds (mesh units ×ℓ)."""
    mesh, phys = bundle.mesh, config.physics
    V = fem.functionspace(mesh, ("Lagrange", phys.element_degree))
    phi = fem.Function(V)
    v = ufl.TestFunction(V)
    sigma = conductivity_field(bundle, config)
    a_sigma, _ = conduction_forms(V, sigma)
    flux = ufl.action(a_sigma, phi)
    if dielectric:
        eps = fem.Function(sigma.function_space)
        for region, tag in bundle.regions.items():
            card = config.material(region)
            eps.x.array[bundle.cell_tags.find(tag)] = EPS0 * card.si("relative_permittivity")
        eps.x.scatter_forward()
        storage = ufl.action(conduction_forms(V, eps)[0], phi)
    else:
        storage = fem.Constant(mesh, 0.0) * v * ufl.dx
    control = control_function(mesh, phys.cathode_potential)
    split = ResidualSplit(phi, v, storage, flux, control)
    if cdl is None:
        split.dirichlet = [
            (0, boundary_facets(bundle, "anode"), 0.0),
            (0, boundary_facets(bundle, "cathode"), 1.0),
        ]
        return split
    ds = ufl.Measure("ds", domain=mesh, subdomain_data=bundle.facet_tags)
    c = cdl * bundle.length_scale  # ds in mesh units
    split.storage = storage - c * (phys.anode_potential - phi) * v * ds(bundle.boundaries["anode"])
    split.storage_cathode = -c * (control - phi) * v * ds(bundle.boundaries["cathode"])
    return split


def npp_split(problem, cdl: float | None, dielectric: bool) -> ResidualSplit:
    """NPP: `npp_poisson_split` in Poisson mode (cdl None, `dielectric` is part of it), else the
    electroneutral split below."""
    if problem.poisson_mode:
        return npp_poisson_split(problem)
    return _npp_electroneutral_split(problem, cdl, dielectric)


def npp_poisson_split(problem) -> ResidualSplit:
    """Poisson-mode NPP (an `NppProblem`) between ideally blocking electrodes: Q = ∫ ĉ⁺ v⁺ + ĉ⁻ v⁻
    and, for ψ, the Poisson residual ∫ ε̂ ∇ψ·∇q − ρ̂ q, whose time derivative is the displacement
    current; G = the Nernst–Planck fluxes (no electrode flux). The diffuse double layers are
    resolved, so no C_dl; ψ is held at the electrodes (δψ = δV on the cathode) and δI, the
    consistent current, is iω times the cathode's charge."""
    s, bundle = problem.scales, problem.bundle
    u = ufl.split(problem.w)
    v = ufl.TestFunction(problem.W)
    vp, vm, q = ufl.split(v)
    dx = problem.dx
    eps = _npp_permittivity(problem)
    rho = problem.c_p - problem.c_m - problem.fixed
    storage = problem.c_p * vp * dx + problem.c_m * vm * dx + poisson(problem.psi, q, eps, rho, dx)
    flux = nernst_planck(problem.c_p, None, problem.d_p, u[0], vp, None, dx)
    flux += nernst_planck(problem.c_m, None, problem.d_m, u[1], vm, None, dx)
    split = ResidualSplit(
        problem.w,
        v,
        storage,
        flux,
        control_function(bundle.mesh, 0.0),  # unused: the perturbation is the Dirichlet value
        dirichlet=[(2, boundary_facets(bundle, "anode"), 0.0), (2, boundary_facets(bundle, "cathode"), 1.0)],
        charge_component=2,
        current_unit=F * s.flux * s.length,
        potential_unit=s.potential,
        time_unit=s.time,
    )
    return split


def _npp_electroneutral_split(problem, cdl: float | None, dielectric: bool) -> ResidualSplit:
    """Electroneutral NPP (an `NppProblem`): Q = ∫ ĉ⁺ v⁺ + ĉ⁻ v⁻, G = the steady Nernst–Planck
    fluxes minus the electrode influx (Butler–Volmer, or none when blocking). The bulk displacement
    current adds the space charge −∇·(ε̂∇ψ) to the Li⁺ balance, Q += ∫ ε̂ ∇ψ·∇v⁺, and a double layer
    at each electrode carries Ĉ d(V_e − ψ)/dt into it, Q −= ∫_electrode Ĉ (V_e − ψ) v⁺ ds."""
    s, bundle = problem.scales, problem.bundle
    mesh = bundle.mesh
    u = ufl.split(problem.w)
    v = ufl.TestFunction(problem.W)
    vp, vm = ufl.split(v)
    dx, ds = problem.dx, problem.ds
    storage = problem.c_p * vp * dx + problem.c_m * vm * dx
    flux = nernst_planck(problem.c_p, None, problem.d_p, u[0], vp, None, dx)
    flux += nernst_planck(problem.c_m, None, problem.d_m, u[1], vm, None, dx)
    anode, cathode = bundle.boundaries["anode"], bundle.boundaries["cathode"]
    potentials = getattr(problem, "electrode_psi", None)
    cathode_value = float(potentials["cathode"].value) if potentials else 0.0
    control = control_function(mesh, cathode_value)
    flux_cathode = None
    if potentials:
        influx_c = ufl.replace(problem.influx["cathode"], {potentials["cathode"]: control})
        flux -= problem.influx["anode"] * vp * ds(anode)
        flux_cathode = -influx_c * vp * ds(cathode)
    if dielectric:
        eps = _npp_permittivity(problem)
        storage += eps * ufl.inner(ufl.grad(problem.psi), ufl.grad(vp)) * dx
    storage_cathode = None
    if cdl is not None:
        c = cdl * s.potential / (F * s.concentration * s.length)
        anode_psi = float(potentials["anode"].value) if potentials else 0.0
        storage -= c * (anode_psi - problem.psi) * vp * ds(anode)
        storage_cathode = -c * (control - problem.psi) * vp * ds(cathode)
    return ResidualSplit(
        problem.w,
        v,
        storage,
        flux,
        control,
        storage_cathode=storage_cathode,
        flux_cathode=flux_cathode,
        charge_component=0,
        current_unit=F * s.flux * s.length,
        potential_unit=s.potential,
        time_unit=s.time,
        basis=((1.0, 1.0), (1.0, -1.0)),  # δμ± = salt ± charge: δc⁺ = δc⁻ depends on the salt only
    )


def _npp_permittivity(problem) -> fem.Function:
    """ε̂ per region (scaled, sim.physics.npp_forms.Scales.permittivity)."""
    from sim.physics.npp import cell_field

    return cell_field(
        problem.bundle, {r: problem.scales.permittivity(problem._eps_r(r)) for r in problem.props}
    )
