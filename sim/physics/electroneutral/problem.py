"""The electroneutral phase-field problem on a `dendrite` mesh: spaces, boundary conditions, a step.

Unknowns (ξ, μ̂⁺, μ̂⁻) in one Newton system (sim.physics.electroneutral.forms). Transport from the
`electrolyte` region's material card exactly as the NPP model derives it (sim.materials.transport:
σ, t⁺, c0, mobility ratio → D⁺, D⁻, immobile fraction) at the card temperature T. Boundary
conditions: anode (y = 0) ξ = 1 (li_anode), ions blocked; cathode (top) a reversible Li counter
electrode at φ = 0: μ̂⁺ = 0, anions blocked; walls zero flux. The metal is at the applied voltage.
"""

from __future__ import annotations

from sim._dolfinx import dolfinx

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI

from sim.materials import Transport, transport
from sim.mesh import boundary_facets
from sim.physics import phasefield as pf
from sim.physics.dendrite import QUADRATURE_DEGREE, initial_phase, xi_coefficients
from sim.physics.electroneutral import forms
from sim.solve import SolverFailed, petsc_options
from sim.timestep import StepOutcome, newton_solve
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


class ElectroneutralProblem:
    """(ξ, μ̂⁺, μ̂⁻) with backward-Euler steps."""

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
        collapsed = [self.W.sub(i).collapse() for i in range(3)]
        self.V0 = collapsed[0][0]
        self.sub_dofs = [np.asarray(dofs).reshape(-1) for _, dofs in collapsed]
        """dofs of ξ, μ̂⁺, μ̂⁻ in the mixed space, each in V0's order"""
        self.xi_dofs = self.sub_dofs[0]
        self.xi0 = fem.Function(self.V0)
        self.dt = fem.Constant(mesh, 1.0)
        self.metal_psi = fem.Constant(mesh, phys.applied_voltage / rt_f)
        self.dx = dx = ufl.Measure("dx", mesh, metadata={"quadrature_degree": QUADRATURE_DEGREE})
        xi, mu_p, mu_m = ufl.split(self.U)
        xi_n, mu_p_n, mu_m_n = ufl.split(self.U_n)
        tests = ufl.TestFunctions(self.W)
        self.c_p, self.c_m, self.psi = forms.salt(mu_p, mu_m, self.fixed)
        diffusivity = (tp.d_cation / ell**2, tp.d_anion / ell**2)
        li, anion = forms.salt_residuals(
            xi, xi_n, (mu_p, mu_m), (mu_p_n, mu_m_n), self.fixed, diffusivity, self.c_ratio, self.dt,
            (tests[1], tests[2]), dx,
        )  # fmt: skip
        drive = forms.reaction_drive(self.c_p, self.psi, self.metal_psi, self.p)
        xi_form = pf.allen_cahn_residual(xi, xi_n, self.dt, tests[0], self._energy, drive, self.p, dx=dx)
        self.forms = {"xi": xi_form, "li": li, "anion": anion}
        self.bcs = self._bcs()
        opts = petsc_options(config.solver, symmetric=False, nonlinear=True)
        self.problem = fem.petsc.NonlinearProblem(
            xi_form + li + anion, self.U, bcs=self.bcs, petsc_options_prefix=prefix, petsc_options=opts
        )
        self.num_dofs = self.W.dofmap.index_map.size_global * self.W.dofmap.index_map_bs

    def _energy(self, xi, grad_xi):
        """f̂ of the shared ξ equation (no elastic energy: this formulation has no mechanics)."""
        return pf.chemical_energy(xi, grad_xi, self.p)

    def _bcs(self) -> list:
        fdim = self.bundle.mesh.topology.dim - 1
        bcs = []

        def add(sub: int, name: str, value: float) -> None:
            dofs = fem.locate_dofs_topological(self.W.sub(sub), fdim, boundary_facets(self.bundle, name))
            bcs.append(fem.dirichletbc(value, dofs, self.W.sub(sub)))

        add(1, "cathode", 0.0)  # reversible Li counter electrode at φ = 0: μ̂⁺ = ψ + ln ĉ⁺ = 0
        if self.phys.li_anode:
            add(0, "anode", 1.0)
        return bcs

    def initial_state(self) -> None:
        """ξ0 of the chen2015 model (sim.physics.dendrite.initial_phase); uniform salt at the card's
        c0 with no potential: μ̂⁺ = 0, μ̂⁻ = ln(1 − f)."""
        self.U.sub(0).interpolate(initial_phase(self.phys, self.geometry, self.bundle.length_scale))
        self.U.sub(1).interpolate(lambda x: np.zeros(x.shape[1]))
        self.U.sub(2).interpolate(lambda x: np.full(x.shape[1], np.log(1.0 - self.fixed)))
        for bc in self.bcs:  # ξ = 1 on the anode from the start: a jump there would need Li⁺ inside the metal
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
        fdim = mesh.topology.dim - 1
        anode = fem.locate_dofs_topological(V, fdim, boundary_facets(self.bundle, "anode"))
        bcs = [fem.dirichletbc(1.0, anode, V)] if self.phys.li_anode else []
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
        self.dt.value = dt  # type: ignore[assignment]  # dolfinx's setter takes any array-like
        outcome = newton_solve(self.problem, [self.U])
        if not outcome.converged:
            return outcome
        diff = np.abs(self.U.x.array[self.xi_dofs] - self.U_n.x.array[self.xi_dofs])
        change = self.bundle.mesh.comm.allreduce(float(diff.max()) if diff.size else 0.0, op=MPI.MAX)
        return StepOutcome(True, outcome.newton_iterations, outcome.krylov_iterations, change)

    def accept(self) -> None:
        self.U_n.x.array[:] = self.U.x.array

    def reject(self) -> None:
        self.U.x.array[:] = self.U_n.x.array
