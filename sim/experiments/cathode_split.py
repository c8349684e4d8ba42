"""The composite cathode (particles geometry) as a `ResidualSplit`, linearised at rest (issue 12,
seed 000's LATP question).

One mixed P1 space on the parent mesh; each field is used only where it lives, and its nodes
outside that region are decoupled (δu = 0) by a lumped identity term on them alone:
μ̂⁺ (binder and ceramic), μ̂⁻ (binder), ĉ_p (particles) and φ̂_s (everywhere): the electronic phase
(carbon network and particles) is at the cell potential V + φ̂_s, where φ̂_s = 0 at the current
collector and its conductance is 1e6 × the largest ionic one (a perfect conductor to ~1e-6). The
unknown is the deviation from V, so the current (the Dirichlet reaction of φ̂_s at the collector)
has no cancellation even when it is 1e-8 of the high-frequency one.
Scaled as sim.physics.npp_forms (ℓ = 1 µm, c_ref = c0 of the binder, D_ref = its D⁺, RT/F).
Residual, tested with (v⁺, v⁻, v_p, w), Γ the particle surface (binder "+", particle "−"):

  binder    ∂ĉ±/∂t v± + d̂± ĉ± ∇μ̂±·∇v±        (electroneutral Nernst–Planck, `nernst_planck`)
  ceramic   σ̂_c ∇μ̂⁺·∇v⁺                      (single-ion conductor: c⁺ = its fixed charge, no anions)
  particle  ∂ĉ_p/∂t v_p + d̂_p ∇ĉ_p·∇v_p                                       (solid diffusion)
  solid     ŝ_e ∇φ̂_s·∇w
  on Γ      ĵ (v_p − v⁺ + w) + Ĉ ∂(V̂ + φ̂_s − ψ)/∂t (w − v⁺)   (the split's cathode terms: they hold V)

ĵ = butler_volmer(ĉ⁺, 1, V̂ + φ̂_s − ψ − Û(ĉ_p), k̂, ½): Li⁺ into the electrolyte (delithiation),
zero when η̂ = V̂ + φ̂_s − μ̂⁺ − Û = 0, with Û(ĉ_p) = −ln(ĉ_p/K) (`particle_ocv`). Its exchange flux is
k̂ = k ℓ/D_ref — the one-way flux k c0 of the transient model's transfer law j = k (c − c_p/K) at
equilibrium (i0 = F k c0), and K its partition coefficient: both models read the same card. The
double layer's charge enters the Li⁺ balance, as at the electrodes of sim.experiments.forms.
Boundary conditions: μ̂± held at the separator (`anode`, the transient model's reservoir), φ̂_s = 0
at the collector (`cathode`). The state is rest (uniform binder at c0, ψ = 0, particles at
particle_initial_concentration, V at their open-circuit potential): steady and initial coincide.
"""

from __future__ import annotations

import math

from sim._dolfinx import dolfinx

import ufl
from mpi4py import MPI

from sim.experiments.forms import ResidualSplit, control_function
from sim.materials import transport
from sim.mesh import boundary_facets
from sim.physics.npp import mixed_space
from sim.physics.npp_cathode import INTERFACE, interface_data
from sim.physics.npp_forms import Scales, butler_volmer, concentrations, nernst_planck
from sim.units import F

fem = dolfinx.fem
ELECTRONIC_CONTRAST = 1e6
"""electronic over the largest ionic conductance: the electronic phase's resistance is ~1e-6 of the
ionic one (a perfect conductor to that accuracy)"""
MU_P, MU_M, C_P, PHI_S = range(4)
"""components of the mixed space"""
LIVES_IN = {MU_P: ("binder", "ceramic"), MU_M: ("binder",), C_P: ("particle",)}
"""regions of each field (φ̂_s lives everywhere)"""


def particle_ocv(c_particle, partition: float):
    """Û = −ln(ĉ_p/K): the scaled open-circuit potential of an ideal (dilute) insertion host whose
    equilibrium with the binder at ψ = 0, φ̂_s = 0 is ĉ_p = K ĉ⁺ (the transfer law's partition)."""
    return -ufl.ln(c_particle / partition)


def _outside(bundle, V1, regions: tuple[str, ...]) -> fem.Function:
    """A P1 function: 1 at nodes that no cell of `regions` touches, 0 at the others."""
    touched = fem.Function(V1)
    for name in regions:
        if name in bundle.regions:
            cells = bundle.cell_tags.find(bundle.regions[name])
            touched.x.array[V1.dofmap.list[cells].reshape(-1)] = 1.0
    touched.x.scatter_reverse(dolfinx.la.InsertMode.add)
    touched.x.scatter_forward()
    out = fem.Function(V1)
    out.x.array[:] = (touched.x.array == 0.0).astype(float)
    return out


def interface_measure(bundle) -> ufl.Measure:
    """dS on the binder | particle surface Γ (binder "+", sim.physics.npp_cathode.interface_data)."""
    tags = bundle.regions
    return ufl.Measure(
        "dS",
        domain=bundle.mesh,
        metadata={"quadrature_degree": 6},
        subdomain_data=[(INTERFACE, interface_data(bundle, tags["binder"], tags["particle"]))],
    )(INTERFACE)


def interface_length(bundle) -> float:
    """Length of Γ in mesh units (collective)."""
    form = fem.form(fem.Constant(bundle.mesh, 1.0) * interface_measure(bundle))
    return bundle.mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)


def ceramic_conductivity(config) -> float | None:
    """σ of the ceramic region's card at the run temperature, S/m (None without a ceramic)."""
    if "ceramic" not in config.materials:
        return None
    return config.material("ceramic").conductivity_at(config.physics.temperature)


def cathode_split(config, bundle, cdl: float | None, dielectric: bool) -> ResidualSplit:
    """The composite cathode's ResidualSplit at rest (module docstring); `cdl` in F/m² at Γ."""
    phys, mesh = config.physics, bundle.mesh
    binder = transport(config.material("binder"), phys.temperature)
    s = Scales(bundle.length_scale, binder.salt_concentration, binder.d_cation, phys.temperature)
    tags = bundle.regions
    W = mixed_space(mesh, 1, 4)
    w0, test = fem.Function(W), ufl.TestFunction(W)
    u, vs = ufl.split(w0), ufl.split(test)
    fixed = fem.Constant(mesh, binder.immobile_fraction)
    c_p, c_m, psi = concentrations(u[MU_P], u[MU_M], fixed)
    dx = ufl.Measure("dx", domain=mesh, subdomain_data=bundle.cell_tags, metadata={"quadrature_degree": 6})
    lumped = ufl.Measure("dx", domain=mesh, metadata={"quadrature_rule": "vertex", "quadrature_degree": 1})
    dS = interface_measure(bundle)
    dx_b, dx_p = dx(tags["binder"]), dx(tags["particle"])
    d_m = binder.d_anion / s.diffusivity
    d_particle = config.material("particle").si("diffusivity") / s.diffusivity
    flux = nernst_planck(c_p, None, 1.0, u[MU_P], vs[MU_P], None, dx_b)
    flux += nernst_planck(c_m, None, d_m, u[MU_M], vs[MU_M], None, dx_b)
    flux += d_particle * ufl.inner(ufl.grad(u[C_P]), ufl.grad(vs[C_P])) * dx_p
    storage = c_p * vs[MU_P] * dx_b + c_m * vs[MU_M] * dx_b + u[C_P] * vs[C_P] * dx_p
    ionic = [1.0 + d_m * (1.0 - binder.immobile_fraction)]  # scaled σ of the binder: Σ d̂ ĉ
    sigma_c = ceramic_conductivity(config)
    if sigma_c is not None:
        ionic.append(sigma_c * s.potential / (F * s.diffusivity * s.concentration))
        flux += ionic[1] * ufl.inner(ufl.grad(u[MU_P]), ufl.grad(vs[MU_P])) * dx(tags["ceramic"])
    flux += ELECTRONIC_CONTRAST * max(ionic) * ufl.inner(ufl.grad(u[PHI_S]), ufl.grad(vs[PHI_S])) * dx
    # Faradaic exchange and double layer at Γ (the electrolyte side is "+", the particle "−"):
    # the solid is at V + φ̂_s, so these are the split's cathode terms (b = −∂/∂V of them)
    card = phys.interface
    c_rest = card.particle_initial_concentration / s.concentration
    control = control_function(mesh, -math.log(c_rest / card.partition_coefficient))  # η̂ = 0 at rest
    solid = control("+") + u[PHI_S]("+")
    k = fem.Constant(mesh, card.transfer_coefficient * s.length / s.diffusivity)
    ocv = particle_ocv(u[C_P]("-"), card.partition_coefficient)
    # at rest ∂ĵ/∂η̂ = k̂ (α + 1 − α): the transfer coefficient drops out of the linear response
    j = butler_volmer(c_p("+"), 1.0, solid - psi("+") - ocv, k, fem.Constant(mesh, 0.5))
    flux_cathode = j * (vs[C_P]("-") - vs[MU_P]("+") + vs[PHI_S]("+")) * dS
    storage_cathode = None
    if cdl is not None:
        c = cdl * s.potential / (F * s.concentration * s.length)
        storage_cathode = c * (solid - psi("+")) * (vs[PHI_S]("+") - vs[MU_P]("+")) * dS
    if dielectric:
        eps_b = s.permittivity(config.material("binder").si("relative_permittivity"))
        storage += eps_b * ufl.inner(ufl.grad(psi), ufl.grad(vs[MU_P])) * dx_b
        if sigma_c is not None:  # ψ = μ̂⁺ − ln ĉ_fixed in the single-ion ceramic
            eps_c = s.permittivity(config.material("ceramic").si("relative_permittivity"))
            storage += eps_c * ufl.inner(ufl.grad(u[MU_P]), ufl.grad(vs[MU_P])) * dx(tags["ceramic"])
    V1 = fem.functionspace(mesh, ("Lagrange", 1))
    for comp, regions in LIVES_IN.items():
        flux += _outside(bundle, V1, regions) * u[comp] * vs[comp] * lumped
    rest = {MU_P: 0.0, MU_M: math.log(1.0 - binder.immobile_fraction), C_P: c_rest, PHI_S: 0.0}
    for comp, value in rest.items():
        w0.x.array[W.sub(comp).collapse()[1]] = value
    anode = boundary_facets(bundle, "anode")
    return ResidualSplit(
        w0,
        test,
        storage,
        flux,
        control,
        storage_cathode=storage_cathode,
        flux_cathode=flux_cathode,
        dirichlet=[
            (MU_P, anode, 0.0),
            (MU_M, anode, 0.0),
            (PHI_S, boundary_facets(bundle, "cathode"), 0.0),
        ],
        charge_component=PHI_S,
        # δμ± = salt ± charge: at high ω the electroneutral storage resolves only the salt, and
        # δμ⁺ − δμ⁻ as unknowns would be a difference of ωM-sized numbers (as in the NPP split)
        basis=((1.0, 1.0, 0.0, 0.0), (1.0, -1.0, 0.0, 0.0), (0.0, 0.0, 1.0, 0.0), (0.0, 0.0, 0.0, 1.0)),
        current_unit=F * s.flux * s.length,
        potential_unit=s.potential,
        time_unit=s.time,
    )
