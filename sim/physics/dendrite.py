"""The phase-field dendrite model on a `dendrite` mesh: spaces, boundary conditions, one time step.

`DendriteModel` implements the `Stepper` protocol of sim.timestep. Unknowns: (ξ, c̃, ψ) in one
Newton system, plus the displacement u (µm) either in the same system (mechanics: monolithic) or
solved after each converged electrochemical step (staggered: the ξ equation then sees the stress
of the last accepted state). Boundary conditions: anode (y = 0) φ = applied voltage, ξ = 1 (li_anode), u = 0;
cathode (top) φ = 0, c̃ = cathode_concentration (or zero flux), u_y = 0; walls zero flux, u_x = 0.
"""

from __future__ import annotations

import math
from typing import Any

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.mesh import boundary_dofs, region_cells
from sim.physics import mechanics as mech
from sim.physics import phasefield as pf
from sim.solve import SolverFailed, petsc_options, solve_interruptible
from sim.timestep import LocalError, StepOutcome, discard_failed_factorisation, newton_solve
from sim.units import F, R

fem, la = dolfinx.fem, dolfinx.la
QUADRATURE_DEGREE = 4
"""for all integrals: exact for P1 mass terms with the degree-5 h(ξ) linearised, and UFL's own
estimate for exp/sqrt integrands is 10+ (measured: 50× slower assembly)"""


def check_interface(phys, geometry, bundle, levels: int = 0) -> dict[str, float]:
    """Refuse (SolverFailed) unless √(2κ0/W) spans ≥ min_elements_per_width elements in the growth
    zone (of `bundle`'s mesh refined `levels` times: an adaptive run's band) and is ≤
    max_width_fraction of the smaller domain side; returns the numbers."""
    mesh, ell = bundle.mesh, bundle.length_scale
    width = phys.interface_width()
    zone = phys.growth_zone or getattr(geometry, "refine_height", None) or geometry.height
    tdim = mesh.topology.dim
    cells = np.arange(mesh.topology.index_map(tdim).size_local, dtype=np.int32)
    mid = dolfinx.mesh.compute_midpoints(mesh, tdim, cells)
    inside = cells[mid[:, 1] <= zone / ell]
    h = mesh.comm.allreduce(float(mesh.h(tdim, inside).max()) if inside.size else 0.0, op=MPI.MAX)
    h /= 2**levels
    elements = width / (h * ell)
    side = min(geometry.width, geometry.height)
    um = 1e6
    if elements < phys.min_elements_per_width:
        refined = f", after {levels} refinement levels" if levels else ""
        raise SolverFailed(
            f"refused: the interface width √(2κ0/W) = {width * um:.3g} µm is resolved by only "
            f"{elements:.2g} elements (longest element edge {h * ell * um:.3g} µm in the growth zone "
            f"y ≤ {zone * um:.3g} µm{refined}); need ≥ {phys.min_elements_per_width:g}, i.e. edges ≤ "
            f"{width / phys.min_elements_per_width * um:.3g} µm: lower geometry.mesh.min_size (gmsh's "
            f"longest edges exceed it by up to ~40 %), lower physics.growth_zone, or raise κ0/W"
        )
    if width > phys.max_width_fraction * side:
        raise SolverFailed(
            f"refused: the interface width √(2κ0/W) = {width * um:.3g} µm is not small compared with "
            f"the domain ({side * um:.3g} µm; limit {phys.max_width_fraction:g} × that): lower κ0/W "
            f"(physics.deviations) or enlarge the domain"
        )
    return {"interface_width_m": width, "interface_elements": elements}


def _cell_field(bundle, Q, values: dict[str, float], default: float) -> fem.Function:
    """A DG0 field with a value per region name (default elsewhere)."""
    f = fem.Function(Q)
    f.x.array[:] = default
    for region, value in values.items():
        if region in bundle.regions:
            f.x.array[region_cells(bundle, region)] = value
    f.x.scatter_forward()
    return f


def uniform(f: fem.Function) -> fem.Function | float:
    """A DG0 field's value if it is the same on every cell, else the field: a float in a form is
    the same number without a coefficient to pack and load per cell (measured on dendrite_peo
    without filaments: 60 -> 50 ms per Jacobian assembly)."""
    a, comm = f.x.array, f.function_space.mesh.comm
    lo = comm.allreduce(float(a.min()) if a.size else np.inf, op=MPI.MIN)
    hi = comm.allreduce(float(a.max()) if a.size else -np.inf, op=MPI.MAX)
    return lo if lo == hi else f


def coating_cells(bundle, coat, host: np.ndarray) -> np.ndarray:
    """Local cells (owned and ghost) of the band coat.y0 ≤ y ≤ coat.y1 (cell midpoints, m) where
    `host` (one bool per local cell) holds: the electrolyte, not the filaments."""
    mesh, ell = bundle.mesh, bundle.length_scale
    tdim = mesh.topology.dim
    n = mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts
    y = dolfinx.mesh.compute_midpoints(mesh, tdim, np.arange(n, dtype=np.int32))[:, 1] * ell
    return np.nonzero(host & (y >= coat.y0) & (y <= coat.y1))[0]


def host_stiffness(phys, bundle, Q, v: dict[str, float]) -> tuple[fem.Function, fem.Function]:
    """(E, ν) of the host (DG0, E scaled by W): the card's E_e, ν_e; in the filaments their
    material card's E, ν (physics.filament, explicit values first); each coating's young_modulus
    where given."""
    fil = phys.filament.elastic()
    E_host = _cell_field(bundle, Q, {"filament": fil["young_modulus"].si("Pa") / v["W"]}, v["E_e"] / v["W"])
    nu_host = _cell_field(bundle, Q, {"filament": fil["poisson_ratio"].si("1")}, v["nu_e"])
    host = _cell_field(bundle, Q, {"filament": 0.0}, 1.0).x.array > 0
    for coat in phys.coatings:
        if coat.young_modulus is not None:
            E_host.x.array[coating_cells(bundle, coat, host)] = coat.young_modulus.si("Pa") / v["W"]
    return E_host, nu_host


def filament_summary(phys, bundle) -> dict[str, Any]:
    """{"filament": the card name, E and ν with their sources} for a run's summary (empty without
    filaments)."""
    if "filament" not in bundle.regions:
        return {}
    fil = phys.filament
    card = fil.material if isinstance(fil.material, str) else "inline"
    return {"filament": {"material": card} | {k: p.model_dump() for k, p in fil.elastic().items()}}


def eigenstrain(phys, v: dict[str, float], xi0):
    """x ↦ the eigenstrain of phase field x: Vegard ε* (h(x) − h(ξ0)) (scalar, isotropic) or growth
    ε* (h(x) − h(ξ0)) n⊗n (physics.eigenstrain)."""
    eps_v = v["vegard_strain"]

    def eigen(x):
        grown = eps_v * (pf.interpolation(x) - pf.interpolation(xi0))
        if phys.eigenstrain == "growth":
            return mech.growth_eigenstrain(grown, mech.interface_normal(ufl.grad(x)))
        return grown

    return eigen


def displacement_bcs(bundle, phys, Vu) -> list:
    """u = 0 on the anode, u_y = 0 on a roller cathode, u_x = 0 on the walls (Vu: the displacement
    space or the displacement subspace of a mixed space)."""
    bcs = []

    def add(space, name):
        bcs.append(fem.dirichletbc(0.0, boundary_dofs(bundle, space, name), space))

    for i in range(2):
        add(Vu.sub(i), "anode")
    if phys.cathode_mechanics == "roller":
        add(Vu.sub(1), "cathode")
    add(Vu.sub(0), "walls")
    return bcs


def staggered_problem(config, residual: ufl.Form, u: fem.Function, bcs: list, prefix: str):
    """The linear elasticity solve after each converged step (one KSP solve through SNES)."""
    lin = petsc_options(config.solver, symmetric=True, nonlinear=True) | {"snes_type": "ksponly"}
    lin.pop("snes_linesearch_type", None)
    return fem.petsc.NonlinearProblem(residual, u, bcs=bcs, petsc_options_prefix=prefix, petsc_options=lin)


def solve_staggered(problem) -> tuple[bool, int]:
    """(converged, Krylov iterations) of one staggered elasticity solve; a failed factorisation is
    discarded as after a failed Newton solve (sim.timestep.discard_failed_factorisation), so the
    retried step factorises afresh."""
    solve_interruptible(problem)
    its = problem.solver.getLinearSolveIterations()
    converged = problem.solver.getConvergedReason() > 0
    if not converged:
        discard_failed_factorisation(problem.solver)
    return converged, its


def phase_field_step(model, t: float, dt: float, *, predict: bool = True) -> StepOutcome:
    """One step from `t` of a phase-field problem with unknowns `model.U` (ξ at `xi_dofs`; their
    names `unknowns`), accepted state `U_n`, Newton problem `problem`, mesh `bundle` and, with
    `mechanics: staggered`, the elasticity solve after it; `change` (the largest change of ξ) and
    `error` (the estimate of ξ's time error) are its `local_error`'s (the Chen-type and
    electroneutral models). Newton starts from the extrapolated state (`LocalError.predict`) if
    `predict`, else from Uⁿ."""
    model.dt.value = dt
    if predict:
        model.local_error.predict(t, dt)
    outcome = newton_solve(model.problem, [model.U], model.unknowns, model.bundle.length_scale)
    if not outcome.converged:
        return outcome
    its, kits = outcome.newton_iterations, outcome.krylov_iterations
    if model.mechanics == "staggered":
        converged, its_m = solve_staggered(model.mech_problem)
        if not converged:
            return StepOutcome(False, its, kits + its_m, reason="mechanics solve failed")
        kits += its_m
    change, error = model.local_error.measure(t, dt)
    return StepOutcome(True, its, kits, change, error=error)


def phase_on(V: fem.FunctionSpace, state: fem.Function, dofs: np.ndarray) -> fem.Function:
    """The order parameter (ξ or η) at the entries `dofs` of `state`, on the P1 space `V`
    (sim.adaptive's phase of every phase-field model)."""
    out = fem.Function(V)
    out.x.array[:] = state.x.array[dofs]
    return out


def band_indicator(V: fem.FunctionSpace, state: fem.Function, dofs: np.ndarray) -> fem.Function:
    """ξ(1 − ξ) of `phase_on` (sim.adaptive's refinement indicator of every phase-field model)."""
    out = phase_on(V, state, dofs)
    out.x.array[:] *= 1 - out.x.array
    return out


def dof_marker(bundle, W, cells: np.ndarray) -> np.ndarray:
    """Bool per local entry of W's arrays: the ξ (sub 0) dofs of the local `cells`. A dof on their
    edge may be owned by a rank that does not see the cells, so it is marked on every rank and
    summed into the owners first."""
    marker = fem.Function(W)
    tdim = bundle.mesh.topology.dim
    bundle.mesh.topology.create_connectivity(tdim, tdim)  # (an adapted mesh may lack it)
    marker.x.array[fem.locate_dofs_topological(W.sub(0), tdim, cells)] = 1.0
    marker.x.scatter_reverse(la.InsertMode.add)
    marker.x.scatter_forward()
    return marker.x.array > 0


def filament_marker(bundle, W) -> np.ndarray:
    """`dof_marker` of the filament cells (all False without filaments)."""
    cells = region_cells(bundle, "filament") if "filament" in bundle.regions else np.zeros(0, np.int32)
    return dof_marker(bundle, W, cells)


def xi_coefficients(v: dict[str, float], ell: float) -> pf.Coefficients:
    """The scaled ξ-equation coefficients of a card's SI values `v` (mesh unit `ell`, m); growth
    along +y (θ0 = π/2). Shared by every formulation."""
    return pf.Coefficients(
        mobility=v["L_sigma"] * v["W"],
        kappa=v["kappa0"] / (v["W"] * ell**2),
        reaction=v["L_eta"],
        alpha=v["alpha"],
        beta=v["beta"],
        n=v["n"],
        anisotropy=v["delta"],
        modes=int(v["omega"]),
        theta0=math.pi / 2,
        stress_scale=v["Omega_li"] * v["W"] / (R * v["T"]),
    )


def initial_phase(phys, geometry, ell: float):
    """ξ0(x) = ½[1 − tanh(d/δ)] with d the signed distance (mesh units) to the nuclei and the Li film."""
    delta = phys.interface_width() / ell
    film = phys.li_film_thickness / ell
    nuclei = [(n.center_x / ell, n.radius / ell) for n in geometry.nuclei]

    def xi0(x):
        d = x[1] - film if film > 0 else np.full(x.shape[1], np.inf)
        for cx, r in nuclei:
            d = np.minimum(d, np.hypot(x[0] - cx, x[1]) - r)
        return 0.5 * (1 - np.tanh(d / delta))

    return xi0


class DendriteModel:
    """(ξ, c̃, ψ[, u]) on a dendrite mesh with backward-Euler steps."""

    def __init__(self, config, bundle, prefix: str = "pf_") -> None:
        phys = self.phys = config.physics
        self.bundle, self.geometry = bundle, config.geometry
        mesh, ell = bundle.mesh, bundle.length_scale
        v = self.values = phys.values()
        rt = R * v["T"]
        self.scale = {"ell": ell, "W": v["W"], "rt_f": rt / F, "c0": v["c0"]}
        self.p = xi_coefficients(v, ell)
        self.c_ratio = v["c_s"] / v["c0"]
        sigma_scale = rt / (v["n"] * F**2 * v["c_s"] * ell**2)
        self.mechanics = phys.mechanics
        gdim = mesh.geometry.dim
        cell = mesh.basix_cell()
        import basix.ufl

        P1 = basix.ufl.element("Lagrange", cell, 1)
        elements = [P1, P1, P1]
        if self.mechanics == "monolithic":
            elements.append(basix.ufl.element("Lagrange", cell, 1, shape=(gdim,)))
        self.W = fem.functionspace(mesh, basix.ufl.mixed_element(elements))
        self.U, self.U_n = fem.Function(self.W), fem.Function(self.W)
        self.unknowns = ("ξ", "c̃", "ψ", "u")[: len(elements)]
        """names of U's sub-spaces (a failed step's reason names the one with the largest residual)"""
        collapsed = [self.W.sub(i).collapse() for i in range(3)]
        self.V0 = collapsed[0][0]
        """the scalar P1 space of ξ, c̃ and ψ"""
        self.sub_dofs = [np.asarray(dofs) for _, dofs in collapsed]
        """dofs of ξ, c̃, ψ in the mixed space, each in V0's order"""
        self.xi_dofs = self.sub_dofs[0]
        self.in_filament = filament_marker(bundle, self.W)[self.xi_dofs]
        """ξ dofs on filament cells (no Li there)"""
        self.local_error = LocalError(self.U, self.U_n, self.xi_dofs)
        self.xi0 = fem.Function(self.V0)
        self.dt = fem.Constant(mesh, 1.0)
        self.dx = dx = ufl.Measure("dx", mesh, metadata={"quadrature_degree": QUADRATURE_DEGREE})
        parts, parts_n = ufl.split(self.U), ufl.split(self.U_n)
        xi, c, psi = parts[:3]
        xi_n, c_n = parts_n[:2]
        tests = ufl.TestFunctions(self.W)

        # region-wise host properties (DG0)
        Q = fem.functionspace(mesh, ("DG", 0))
        tf = phys.filament.transport_factor
        self.mask = _cell_field(bundle, Q, {"filament": 0.0}, 1.0)
        D_host = _cell_field(bundle, Q, {"filament": tf * v["D_l"] / ell**2}, v["D_l"] / ell**2)
        S_host = _cell_field(
            bundle, Q, {"filament": tf * v["sigma_l"] * sigma_scale}, v["sigma_l"] * sigma_scale
        )
        E_host, nu_host = host_stiffness(phys, bundle, Q, v)
        host = self.mask.x.array > 0
        for coat in phys.coatings:
            cells = coating_cells(bundle, coat, host)
            D_host.x.array[cells] *= coat.diffusivity_factor
            S_host.x.array[cells] *= coat.conductivity_factor
        self.host = {"D": D_host, "sigma": S_host, "E": E_host, "nu": nu_host}
        self.stiffness = mech.Stiffness(v["E_li"] / v["W"], v["nu_li"], E_host, nu_host)

        # mechanics: displacement and stress
        if self.mechanics == "staggered":
            self.Vu = fem.functionspace(mesh, ("Lagrange", 1, (gdim,)))
            self.u, self.u_n = fem.Function(self.Vu), fem.Function(self.Vu)
            u, u_stress, xi_stress = self.u_n, self.u_n, xi_n
        elif self.mechanics == "monolithic":
            u = u_stress = parts[3]
            xi_stress = xi
        self.eigen = eigenstrain(phys, v, self.xi0)

        def stress_of(x, uu):
            mu, lam = self.stiffness.at(pf.interpolation(x))
            return mech.stress(ufl.sym(ufl.grad(uu)), self.eigen(x), mu, lam)

        self.stress_of = stress_of
        full = phys.stress_coupling == "full"

        def energy(x, g):
            f = pf.chemical_energy(x, g, self.p)
            if full:
                mu, lam = self.stiffness.at(pf.interpolation(x))
                f = f + mech.elastic_energy(ufl.sym(ufl.grad(u)), self.eigen(x), mu, lam)
            return f

        eta = psi - phys.equilibrium_potential / self.scale["rt_f"]
        drive = pf.butler_volmer(c, eta, self.p)
        if phys.stress_coupling != "none":
            drive = drive * pf.stress_factor(mech.hydrostatic(stress_of(xi_stress, u_stress)), self.p)
        D = pf.mix(xi, v["D_e"] / ell**2, uniform(D_host))
        sigma = pf.mix(xi, v["sigma_e"] * sigma_scale, uniform(S_host))
        mask = uniform(self.mask)
        self.forms = {
            "xi": pf.allen_cahn_residual(xi, xi_n, self.dt, tests[0], energy, drive, self.p, mask, dx),
            "c": pf.ion_residual(c, c_n, xi, xi_n, psi, self.dt, tests[1], D, self.p.n, self.c_ratio, dx),
            "psi": pf.charge_residual(psi, xi, xi_n, self.dt, tests[2], sigma, dx),
        }
        residual = sum(self.forms.values(), ufl.Form([]))
        if self.mechanics == "monolithic":
            residual += self._equilibrium(xi, u, tests[3])
        bcs = self._bcs()
        opts = petsc_options(config.solver, symmetric=False, nonlinear=True, preconditioner="ilu")
        self.problem = fem.petsc.NonlinearProblem(
            residual, self.U, bcs=bcs, petsc_options_prefix=prefix, petsc_options=opts
        )
        if self.mechanics == "staggered":
            w = ufl.TestFunction(self.Vu)
            xi_c = ufl.split(self.U)[0]
            bcs_u = displacement_bcs(bundle, phys, self.Vu)
            self.mech_problem = staggered_problem(
                config, self._equilibrium(xi_c, self.u, w), self.u, bcs_u, prefix + "u_"
            )
        self.num_dofs = self.W.dofmap.index_map.size_global * self.W.dofmap.index_map_bs + (
            self.Vu.dofmap.index_map.size_global * gdim if self.mechanics == "staggered" else 0
        )

    def _equilibrium(self, xi, u, w) -> ufl.Form:
        mu, lam = self.stiffness.at(pf.interpolation(xi))
        eps = mech.strain_variable(u)
        return mech.equilibrium_residual(mech.elastic_energy(eps, self.eigen(xi), mu, lam), eps, w, self.dx)

    def _bcs(self) -> list:
        """ψ at the applied voltage on the anode and 0 on the cathode, ξ = 1 on a Li anode, c̃ on
        the cathode if set, and with monolithic mechanics the displacement conditions."""
        b = self.bundle
        bcs = []

        def add(sub: int, name: str, value: float) -> None:
            bcs.append(fem.dirichletbc(value, boundary_dofs(b, self.W.sub(sub), name), self.W.sub(sub)))

        add(2, "anode", self.phys.applied_voltage / self.scale["rt_f"])
        add(2, "cathode", 0.0)
        if self.phys.li_anode:
            add(0, "anode", 1.0)
        if self.phys.cathode_concentration is not None:
            add(1, "cathode", self.phys.cathode_concentration)
        if self.mechanics == "monolithic":
            bcs += displacement_bcs(b, self.phys, self.W.sub(3))
        return bcs

    # ---- initial state -------------------------------------------------------------------
    def initial_state(self) -> None:
        """ξ = ½[1 − tanh(d/δ)] with d the signed distance to the nuclei and the Li film; c̃ = 1;
        ψ linear between the electrodes; u = 0."""
        ell, g = self.bundle.length_scale, self.geometry
        height = g.height / ell
        psi_a = self.phys.applied_voltage / self.scale["rt_f"]
        xi0 = initial_phase(self.phys, g, ell)
        self.U.sub(0).interpolate(xi0)
        self.U.sub(1).interpolate(lambda x: np.ones(x.shape[1]))
        self.U.sub(2).interpolate(lambda x: psi_a * (1 - x[1] / height))
        self.U.x.scatter_forward()
        self.U.x.array[filament_marker(self.bundle, self.W)] = 0.0  # no Li in the filaments
        self.xi0.x.array[:] = self.U.x.array[self.xi_dofs]
        self.U_n.x.array[:] = self.U.x.array

    # ---- Stepper protocol ----------------------------------------------------------------
    def step(self, t: float, dt: float) -> StepOutcome:
        return phase_field_step(self, t, dt)

    def accept(self) -> None:
        self.local_error.accept()
        self.U_n.x.array[:] = self.U.x.array
        if self.mechanics == "staggered":
            self.u_n.x.array[:] = self.u.x.array

    def reject(self) -> None:
        self.U.x.array[:] = self.U_n.x.array
        if self.mechanics == "staggered":
            self.u.x.array[:] = self.u_n.x.array

    # ---- views ----------------------------------------------------------------------------
    def displacement(self):
        """The current displacement (a UFL expression, µm) or None without mechanics."""
        if self.mechanics == "staggered":
            return self.u
        if self.mechanics == "monolithic":
            return ufl.split(self.U)[3]
        return None

    def stress(self):
        """Current 3×3 stress in Pa (UFL), or None without mechanics."""
        u = self.displacement()
        if u is None:
            return None
        return self.values["W"] * self.stress_of(ufl.split(self.U)[0], u)
