"""The electroneutral phase-field problem on a `dendrite` mesh: spaces, boundary conditions, a step.

Unknowns (ξ, μ̂⁺, μ̂⁻) in one Newton system (sim.physics.electroneutral.forms), plus the displacement
u with `mechanics: staggered` (solved after each converged step; the reaction sees the stress of the
last accepted state, sim.physics.mechanics as in chen2015). Transport from the `electrolyte`
region's material card exactly as the NPP model derives it (sim.materials.transport: σ, t⁺, c0,
mobility ratio → D⁺, D⁻, immobile fraction) at the card temperature T; in a coating band from the
band's own card (`coatings[].material`), in the filaments the electrolyte's × transport_factor, as
cell-wise (DG0) fields like the NPP model's layers. Boundary conditions: anode (y = 0) ξ = 1
(li_anode), ions blocked, u = 0; cathode (top) a reversible Li counter electrode at φ = 0: μ̂⁺ = 0,
anions blocked, u_y = 0 (roller); walls zero flux, u_x = 0. The metal is at the applied voltage.

Band edges. μ̂± are continuous P1 unknowns (the ions are in equilibrium across an edge) while ĉ±
and ψ jump where the immobile anion content ĉ_f jumps (a Donnan potential), exactly as between the
NPP model's layers (sim.physics.npp_forms); the normal fluxes ε D̂ ĉ ∇μ̂·n are continuous (weakly,
by the standard Galerkin form). The start state is the NPP model's (sim.physics.npp_initial): each
band at its card's c0, no potential, with the exact salt amounts.
"""

from __future__ import annotations

from dataclasses import replace

from sim._dolfinx import dolfinx

import basix.ufl
import numpy as np
import ufl

from sim.config import material_library
from sim.materials import Transport, transport
from sim.mesh import boundary_dofs, region_cells
from sim.physics import mechanics as mech
from sim.physics import phasefield as pf
from sim.physics.dendrite import (
    QUADRATURE_DEGREE,
    coating_cells,
    displacement_bcs,
    dof_marker,
    eigenstrain,
    filament_marker,
    host_stiffness,
    initial_phase,
    phase_field_step,
    staggered_problem,
    xi_coefficients,
)
from sim.physics.electroneutral import forms
from sim.physics.npp_initial import initial_potentials
from sim.solve import SolverFailed, petsc_options
from sim.timestep import LocalError, StepOutcome, newton_solve
from sim.units import F, R

fem = dolfinx.fem
RELAX_STEPS = 10
"""backward-Euler steps of 1/(L_σW) that relax the metal side of the initial ξ profile"""
RELAX_ABOVE = 0.99
"""only ξ0 ≥ this relaxes before the run (the bulk metal and the ξ = 1 anode's boundary layer)"""


def electrolyte_transport(config) -> Transport:
    """The `electrolyte` card's transport at the phase-field card's T (SolverFailed if unusable)."""
    try:
        return transport(config.material("electrolyte"), config.physics.values()["T"])
    except ValueError as exc:
        raise SolverFailed(f"material of region 'electrolyte': {exc}") from None


def band_transport(tp: Transport, coat) -> Transport:
    """The transport of a coating band from its card's `tp`: D⁺ × diffusivity_factor, σ ×
    conductivity_factor at the card's composition (ĉ⁺ = c0, ĉ⁻ = (1 − f) c0), D⁻ set to give that σ
    (both factors k: D± × k); t⁺, f and c0 stay the card's (SolverFailed if D⁻ would be ≤ 0)."""
    kd, ks = coat.diffusivity_factor, coat.conductivity_factor
    if kd == ks:
        return replace(
            tp, conductivity=ks * tp.conductivity, d_cation=kd * tp.d_cation, d_anion=kd * tp.d_anion
        )
    free = 1.0 - tp.immobile_fraction
    d_anion = (ks * (tp.d_cation + free * tp.d_anion) - kd * tp.d_cation) / free
    if d_anion <= 0:
        raise SolverFailed(
            f"coating '{coat.name}': diffusivity_factor {kd:g} and conductivity_factor {ks:g} leave the "
            f"free anions no mobility (D⁻ = {d_anion:.3g} m²/s): the Li⁺ alone would carry more than "
            f"the band's σ × {ks:g}"
        )
    d_cation = kd * tp.d_cation
    t_plus = d_cation / (d_cation + free * d_anion)
    return replace(
        tp, conductivity=ks * tp.conductivity, transference_number=t_plus, d_cation=d_cation, d_anion=d_anion
    )


class _Bands:
    """The bulk and the coating bands as the `bundle` of sim.physics.npp_initial.initial_potentials
    (its `regions` and a `cell_field` over them)."""

    def __init__(self, mesh, labels: np.ndarray, names: list[str]) -> None:
        self.mesh, self.labels = mesh, labels
        self.regions = {name: i for i, name in enumerate(names)}

    def cell_field(self, _bundle, values: dict[str, float]) -> fem.Function:
        f = fem.Function(fem.functionspace(self.mesh, ("DG", 0)))
        f.x.array[:] = np.asarray([values[name] for name in self.regions])[self.labels]
        return f


class ElectroneutralProblem:
    """(ξ, μ̂⁺, μ̂⁻[, u]) with backward-Euler steps."""

    def __init__(self, config, bundle, prefix: str = "pfen_") -> None:
        phys = self.phys = config.physics
        self.bundle, self.geometry = bundle, config.geometry
        mesh, ell = bundle.mesh, bundle.length_scale
        v = self.values = phys.values()
        self.salt = tp = electrolyte_transport(config)
        rt_f = R * v["T"] / F
        self.scale = {"ell": ell, "rt_f": rt_f, "c0": tp.salt_concentration}
        self.p = xi_coefficients(v, ell)
        self.c_ratio = v["c_s"] / tp.salt_concentration
        self.fixed = tp.immobile_fraction
        P1 = basix.ufl.element("Lagrange", mesh.basix_cell(), 1)
        self.W = fem.functionspace(mesh, basix.ufl.mixed_element([P1, P1, P1]))
        self.U, self.U_n = fem.Function(self.W), fem.Function(self.W)
        self.unknowns = ("ξ", "μ̂⁺", "μ̂⁻")
        """names of U's sub-spaces (a failed step's reason names the one with the largest residual)"""
        collapsed = [self.W.sub(i).collapse() for i in range(3)]
        self.V0 = collapsed[0][0]
        self.sub_dofs = [np.asarray(dofs).reshape(-1) for _, dofs in collapsed]
        """dofs of ξ, μ̂⁺, μ̂⁻ in the mixed space, each in V0's order"""
        self.xi_dofs = self.sub_dofs[0]
        self.local_error = LocalError(self.U, self.U_n, self.xi_dofs)
        self.xi0 = fem.Function(self.V0)
        self.dt = fem.Constant(mesh, 1.0)
        self.metal_psi = fem.Constant(mesh, phys.applied_voltage / rt_f)
        self.dx = dx = ufl.Measure("dx", mesh, metadata={"quadrature_degree": QUADRATURE_DEGREE})
        xi, mu_p, mu_m = ufl.split(self.U)
        xi_n, mu_p_n, mu_m_n = ufl.split(self.U_n)
        tests = ufl.TestFunctions(self.W)
        self.transport = self._transport_fields()
        """DG0: D̂⁺, D̂⁻ (mesh units²/s), ĉ_f and ĉ0 (by the electrolyte's c0); in the filaments
        `mask` 0 (no ξ evolution or reaction) and `host` = transport_factor (their salt fraction)"""
        fixed_c = self.transport["fixed"]
        self.c_p, self.c_m, self.psi = forms.salt(mu_p, mu_m, fixed_c)
        diffusivity = (self.transport["d_cation"], self.transport["d_anion"])
        li, anion = forms.salt_residuals(
            xi, xi_n, (mu_p, mu_m), (mu_p_n, mu_m_n), fixed_c, diffusivity, self.c_ratio, self.dt,
            (tests[1], tests[2]), dx, self.transport["host"], self.transport["mask"],
        )  # fmt: skip
        drive = forms.reaction_drive(self.c_p, self.psi, self.metal_psi, self.p)
        self.mechanics = phys.mechanics
        if self.mechanics == "staggered":
            self._displacement(config, prefix)
            if phys.stress_coupling == "reaction":
                drive = drive * pf.stress_factor(mech.hydrostatic(self.stress_of(xi_n, self.u_n)), self.p)
        mask = self.transport["mask"]
        xi_form = pf.allen_cahn_residual(xi, xi_n, self.dt, tests[0], self._energy, drive, self.p, mask, dx)
        self.forms = {"xi": xi_form, "li": li, "anion": anion}
        self.bcs = self._bcs()
        opts = petsc_options(config.solver, symmetric=False, nonlinear=True, preconditioner="ilu")
        self.problem = fem.petsc.NonlinearProblem(
            xi_form + li + anion, self.U, bcs=self.bcs, petsc_options_prefix=prefix, petsc_options=opts
        )
        self.num_dofs = self.W.dofmap.index_map.size_global * self.W.dofmap.index_map_bs
        if self.mechanics == "staggered":
            self.num_dofs += self.Vu.dofmap.index_map.size_global * self.Vu.dofmap.index_map_bs

    def _transport_fields(self) -> dict[str, fem.Function]:
        """Cell-wise salt transport: the electrolyte's card; in each coating band (host cells, a
        later band over an earlier one) its own card (or the electrolyte's) with the band's
        factors; in the filaments the electrolyte's, in a salt fraction transport_factor."""
        mesh, ell, tp = self.bundle.mesh, self.bundle.length_scale, self.salt
        tdim = mesh.topology.dim
        n = mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts
        labels = np.zeros(n, dtype=np.int64)
        cards = [tp]
        host = np.ones(n, dtype=bool)
        if "filament" in self.bundle.regions:
            host[region_cells(self.bundle, "filament")] = False
        for i, coat in enumerate(self.phys.coatings):
            cards.append(band_transport(self._coating_card(coat), coat))
            labels[coating_cells(self.bundle, coat, host)] = i + 1
        c0 = tp.salt_concentration
        columns = {
            "d_cation": [t.d_cation / ell**2 for t in cards],
            "d_anion": [t.d_anion / ell**2 for t in cards],
            "fixed": [t.immobile_fraction * t.salt_concentration / c0 for t in cards],
            "c0": [t.salt_concentration / c0 for t in cards],
            "mask": [1.0 for _ in cards],
            "host": [1.0 for _ in cards],
        }
        Q = fem.functionspace(mesh, ("DG", 0))
        self.bands = _Bands(mesh, labels, ["electrolyte", *(c.name for c in self.phys.coatings)])
        self.band_cards = cards[1:]
        """the transport of each coating band (SI)"""
        fields = {}
        for key, values in columns.items():
            f = fem.Function(Q, name=key)
            f.x.array[:] = np.asarray(values)[labels]
            fields[key] = f
        fields["mask"].x.array[~host] = 0.0
        fields["host"].x.array[~host] = self.phys.filament.transport_factor
        return fields

    def _coating_card(self, coat) -> Transport:
        """The transport of a band's material card at T (the electrolyte's without one)."""
        if coat.material is None:
            return self.salt
        card = material_library()[coat.material] if isinstance(coat.material, str) else coat.material
        try:
            return transport(card, self.values["T"])
        except ValueError as exc:
            raise SolverFailed(f"the material card of coating '{coat.name}': {exc}") from None

    def _displacement(self, config, prefix: str) -> None:
        """The staggered displacement u (µm) of sim.physics.mechanics with the chen2015 model's
        stiffness (Li; host, filaments and coatings, sim.physics.dendrite.host_stiffness), Vegard or
        growth eigenstrain and boundary conditions; σ = stress_of(ξ, u) scaled by W."""
        mesh, v = self.bundle.mesh, self.values
        Q = fem.functionspace(mesh, ("DG", 0))
        E_host, nu_host = host_stiffness(self.phys, self.bundle, Q, v)
        self.stiffness = mech.Stiffness(v["E_li"] / v["W"], v["nu_li"], E_host, nu_host)
        self.eigen = eigenstrain(self.phys, v, self.xi0)
        self.Vu = fem.functionspace(mesh, ("Lagrange", 1, (mesh.geometry.dim,)))
        self.u, self.u_n = fem.Function(self.Vu), fem.Function(self.Vu)
        mu, lam = self.stiffness.at(pf.interpolation(ufl.split(self.U)[0]))
        eps = mech.strain_variable(self.u)
        f_el = mech.elastic_energy(eps, self.eigen(ufl.split(self.U)[0]), mu, lam)
        residual = mech.equilibrium_residual(f_el, eps, ufl.TestFunction(self.Vu), self.dx)
        bcs = displacement_bcs(self.bundle, self.phys, self.Vu)
        self.mech_problem = staggered_problem(config, residual, self.u, bcs, prefix + "u_")

    def stress_of(self, xi, u):
        """The 3×3 stress (scaled by W) of phase field ξ and displacement u."""
        mu, lam = self.stiffness.at(pf.interpolation(xi))
        return mech.stress(ufl.sym(ufl.grad(u)), self.eigen(xi), mu, lam)

    def stress(self):
        """Current 3×3 stress in Pa (UFL), or None without mechanics."""
        if self.mechanics != "staggered":
            return None
        return self.values["W"] * self.stress_of(ufl.split(self.U)[0], self.u)

    def _energy(self, xi, grad_xi):
        """f̂ of the shared ξ equation (no elastic energy: stress enters through the reaction only)."""
        return pf.chemical_energy(xi, grad_xi, self.p)

    def boundary_dofs(self, sub: int, name: str) -> np.ndarray:
        """The entries of U of field `sub` (0 ξ, 1 μ̂⁺, 2 μ̂⁻) on the boundary `name`."""
        return boundary_dofs(self.bundle, self.W.sub(sub), name)

    def _bcs(self) -> list:
        bcs = []

        def add(sub: int, name: str, value: float) -> None:
            bcs.append(fem.dirichletbc(value, self.boundary_dofs(sub, name), self.W.sub(sub)))

        add(1, "cathode", 0.0)  # reversible Li counter electrode at φ = 0: μ̂⁺ = ψ + ln ĉ⁺ = 0
        if self.phys.li_anode:
            add(0, "anode", 1.0)
        if "filament" in self.bundle.regions:
            bcs.append(fem.dirichletbc(0.0, self._filament_interior(), self.W.sub(0)))
        return bcs

    def _filament_interior(self) -> np.ndarray:
        """ξ dofs (in W) of the filaments that touch no other cell: held at ξ = 0. The filament
        surface's ξ evolves with zero flux (the ξ equation is masked in the filament cells), so the
        metal may meet a filament; with the surface held too it stops about a width away."""
        b, tdim = self.bundle, self.bundle.mesh.topology.dim
        n = b.mesh.topology.index_map(tdim).size_local + b.mesh.topology.index_map(tdim).num_ghosts
        filament = region_cells(b, "filament")
        others = np.setdiff1d(np.arange(n, dtype=np.int32), filament)
        inside = filament_marker(b, self.W) & ~dof_marker(b, self.W, others)
        return np.flatnonzero(inside).astype(np.int32)

    def initial_state(self) -> None:
        """ξ0 of the chen2015 model (sim.physics.dendrite.initial_phase), 0 in the filaments; uniform
        salt at the card's c0 with no potential: μ̂⁺ = 0, μ̂⁻ = ln(1 − f); with coatings each band at
        its card's c0 as the NPP model's layers (sim.physics.npp_initial); u = 0."""
        self.U.sub(0).interpolate(initial_phase(self.phys, self.geometry, self.bundle.length_scale))
        if self.phys.coatings:
            mu = initial_potentials(
                self.bands, self.dx, self.transport["c0"], self.transport["fixed"], False,
                self.bands.cell_field,
            )  # fmt: skip
            for i, nodal in enumerate(mu):
                self.U.sub(i + 1).interpolate(nodal)
        else:
            self.U.sub(1).interpolate(lambda x: np.zeros(x.shape[1]))
            self.U.sub(2).interpolate(lambda x: np.full(x.shape[1], np.log(1.0 - self.fixed)))
        self.U.x.scatter_forward()
        self.U.x.array[filament_marker(self.bundle, self.W)] = 0.0  # no Li in the filaments
        # ξ = 1 on the anode from the start (a jump there would need Li⁺ inside the metal)
        for bc in self.bcs:
            bc.set(self.U.x.array)
        self.U.x.scatter_forward()
        self._relax_phase()
        self.xi0.x.array[:] = self.U.x.array[self.xi_dofs]
        self.U_n.x.array[:] = self.U.x.array

    def _relax_phase(self, steps: int = RELAX_STEPS) -> None:
        """Relax the metal side of ξ0 (ξ0 ≥ RELAX_ABOVE; the rest held) without reaction for
        `steps` × 1/(L_σW), the bulk relaxation time.

        The tanh profile is not the discrete equilibrium there, least of all next to ξ = 1 on the
        anode; relaxing it during the run would grow metal inside the metal, where ε ≈ ε_min holds
        no Li⁺ to supply it (the sink (c_s/c0)∂h/∂t is 77 × the salt there), and deplete it to
        round-off. The interface keeps the initial geometry."""
        V, mesh = self.V0, self.bundle.mesh
        xi, xi_n = fem.Function(V), fem.Function(V)
        xi.x.array[:] = self.U.x.array[self.xi_dofs]
        dt = fem.Constant(mesh, 1.0 / float(self.p.mobility))
        form = pf.allen_cahn_residual(
            xi, xi_n, dt, ufl.TestFunction(V), self._energy, 0.0, self.p,
            dx=self.dx,
        )  # fmt: skip
        bcs = [fem.dirichletbc(1.0, boundary_dofs(self.bundle, V, "anode"), V)] if self.phys.li_anode else []
        # the interface keeps its initial shape (capillarity alone would round a bump off in ~0.2 s)
        held = fem.Function(V)
        held.x.array[:] = xi.x.array
        interface = np.flatnonzero(xi.x.array < RELAX_ABOVE).astype(np.int32)
        bcs.append(fem.dirichletbc(held, interface))
        opts = {"snes_type": "newtonls", "snes_rtol": 1e-10, "ksp_type": "preonly", "pc_type": "lu"}
        problem = fem.petsc.NonlinearProblem(
            form, xi, bcs=bcs, petsc_options_prefix="pfen_relax_", petsc_options=opts
        )
        for _ in range(steps):
            xi_n.x.array[:] = xi.x.array
            if not newton_solve(problem, [xi]).converged:
                raise SolverFailed("the initial phase field did not relax (Allen–Cahn without reaction)")
        self.U.x.array[self.xi_dofs] = xi.x.array
        self.U.x.scatter_forward()

    def step(self, t: float, dt: float) -> StepOutcome:
        # Newton from Uⁿ: the extrapolated guess cost more iterations here (dendrite_peo_electroneutral
        # 142 → 158, the ablation's PEO cell to 30 s 146 → 180; extrapolating ξ alone 142 → 143)
        return phase_field_step(self, t, dt, predict=False)

    def accept(self) -> None:
        self.local_error.accept()
        self.U_n.x.array[:] = self.U.x.array
        if self.mechanics == "staggered":
            self.u_n.x.array[:] = self.u.x.array

    def reject(self) -> None:
        self.U.x.array[:] = self.U_n.x.array
        if self.mechanics == "staggered":
            self.u.x.array[:] = self.u_n.x.array
