"""Nernst–Planck–Poisson transport run (DESIGN 3.2): materials → scaled fields → SNES → metrics.

Forms are in sim.physics.npp_forms (unknowns: scaled electrochemical potentials, so concentrations
stay positive); the run (a `Model`) is sim.physics.npp_model, the composite cathode (particles
geometry) sim.physics.npp_cathode.
Electrodes: Li⁺ leaves at the anode and enters at the cathode by a fixed flux or Butler–Volmer
kinetics (or a reservoir / no reaction); free anions are blocked; walls are insulating.
Steady runs use pseudo-transient continuation (implicit Euler with growing Δt until nothing
changes), which keeps the anion amount of a closed cell fixed, the constraint a direct steady
solve would lack. Depletion is caught a priori (limiting flux, Sand's time) and a posteriori
(concentration below `depletion_threshold` × c0), never returned as a result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sim._dolfinx import dolfinx

import basix.ufl
import numpy as np
import ufl
from mpi4py import MPI

from sim.config import RunConfig
from sim.config.npp import NppPhysics
from sim.config.time import TimeConfig
from sim.materials import Transport, transport
from sim.mesh import MeshBundle, boundary_dofs, boundary_facets, boundary_length
from sim.physics.npp_forms import Scales, butler_volmer, concentrations, nernst_planck, poisson
from sim.physics.npp_initial import initial_potentials
from sim.solve import SolverFailed, petsc_options
from sim.timestep import StepOutcome, TimeStats, integrate, newton_solve
from sim.units import F

fem = dolfinx.fem
QUADRATURE = {"quadrature_degree": 6}
"""one fixed rule for residuals and balances, so the discrete conservation identity is exact"""


def mixed_space(mesh, degree: int, n: int) -> fem.FunctionSpace:
    """n Lagrange fields of `degree` on `mesh` (μ⁺, μ⁻[, ψ])."""
    element = basix.ufl.element("Lagrange", mesh.basix_cell(), degree)
    return fem.functionspace(mesh, basix.ufl.mixed_element([element] * n))


def region_transport(config) -> dict[str, Transport]:
    """Transport properties of every region's card at the run temperature (SolverFailed names
    the region whose card cannot be used, e.g. t⁺ below the filler-free value)."""
    out = {}
    for region in config.materials:
        try:
            out[region] = transport(config.material(region), config.physics.temperature)
        except ValueError as exc:
            raise SolverFailed(f"material of region '{region}': {exc}") from None
    return out


def cell_field(bundle, values: dict[str, float]) -> fem.Function:
    """A DG0 function with one value per region."""
    f = fem.Function(fem.functionspace(bundle.mesh, ("DG", 0)))
    for region, tag in bundle.regions.items():
        f.x.array[bundle.cell_tags.find(tag)] = values[region]
    f.x.scatter_forward()
    return f


@dataclass
class NppProblem:
    """The discrete NPP problem of one config on one mesh, stepping in time (a `Stepper`)."""

    config: RunConfig
    bundle: MeshBundle
    scales: Scales
    props: dict[str, Transport]
    w: fem.Function = field(init=False)
    w_old: fem.Function = field(init=False)

    @property
    def phys(self) -> NppPhysics:
        """The physics section (the run loop chose this model by its kind: an NppPhysics)."""
        assert isinstance(self.config.physics, NppPhysics)
        return self.config.physics

    def __post_init__(self) -> None:
        phys, bundle, s = self.phys, self.bundle, self.scales
        mesh = bundle.mesh
        self.poisson_mode = phys.mode == "poisson"
        W = mixed_space(mesh, phys.element_degree, 3 if self.poisson_mode else 2)
        self.W = W
        self.w, self.w_old = fem.Function(W), fem.Function(W)
        props = self.props
        self.d_p = cell_field(bundle, {r: p.d_cation / s.diffusivity for r, p in props.items()})
        self.d_m = cell_field(bundle, {r: p.d_anion / s.diffusivity for r, p in props.items()})
        self.fixed = cell_field(
            bundle,
            {r: p.immobile_fraction * p.salt_concentration / s.concentration for r, p in props.items()},
        )
        self.c0 = cell_field(bundle, {r: p.salt_concentration / s.concentration for r, p in props.items()})
        self.dx = ufl.Measure("dx", domain=mesh, subdomain_data=bundle.cell_tags, metadata=QUADRATURE)
        self.ds = ufl.Measure("ds", domain=mesh, subdomain_data=bundle.facet_tags, metadata=QUADRATURE)
        self.dt = fem.Constant(mesh, 1.0)
        u, u_old = ufl.split(self.w), ufl.split(self.w_old)
        psi, psi_old = (u[2], u_old[2]) if self.poisson_mode else (None, None)
        self.c_p, self.c_m, self.psi = concentrations(u[0], u[1], self.fixed, psi)
        c_p_old, c_m_old, _ = concentrations(u_old[0], u_old[1], self.fixed, psi_old)
        v = ufl.TestFunctions(W)
        self.lengths = {name: boundary_length(bundle, name) for name in ("anode", "cathode")}
        """anode and cathode lengths in mesh units"""
        self.influx = self._influx()
        F_ = nernst_planck(self.c_p, c_p_old, self.d_p, u[0], v[0], self.dt, self.dx) + nernst_planck(
            self.c_m, c_m_old, self.d_m, u[1], v[1], self.dt, self.dx
        )
        for name, j in self.influx.items():
            F_ -= j * v[0] * self.ds(bundle.boundaries[name])
        if self.poisson_mode:
            eps = cell_field(bundle, {r: s.permittivity(self._eps_r(r)) for r in props})
            F_ += poisson(self.psi, v[2], eps, self.c_p - self.c_m - self.fixed, self.dx)
        self._initial_state()
        solver = self.config.solver
        self.problem = fem.petsc.NonlinearProblem(
            F_,
            self.w,
            bcs=self._bcs(),
            petsc_options_prefix="npp_",
            petsc_options=petsc_options(solver, symmetric=False, nonlinear=True),
        )

    # -- set-up ---------------------------------------------------------------------------------
    def _eps_r(self, region: str) -> float:
        eps = self.props[region].relative_permittivity
        if eps is None:
            raise SolverFailed(f"poisson mode needs relative_permittivity on the card of '{region}'")
        return eps

    def _influx(self) -> dict:
        """Scaled Li⁺ flux into the electrolyte at each electrode (UFL; numbers are Constants so a
        sweep over them does not recompile the forms)."""
        phys, s, mesh = self.phys, self.scales, self.bundle.mesh
        reaction = phys.reaction
        if reaction.kind == "blocking" or reaction.kind == "reservoir":  # (`in` does not narrow the type)
            return {"anode": fem.Constant(mesh, 0.0), "cathode": fem.Constant(mesh, 0.0)}
        if reaction.kind == "flux":
            n_out = reaction.li_flux * phys.flux_scale / s.flux
            self.flux_in = fem.Constant(mesh, n_out * self.lengths["anode"] / self.lengths["cathode"])
            self.flux_out = fem.Constant(mesh, n_out)
            return {"anode": -self.flux_out, "cathode": self.flux_in}
        assert phys.potential_difference is not None  # the config requires it with butler_volmer
        rate = fem.Constant(mesh, reaction.exchange_current_density / F / s.flux)
        alpha = fem.Constant(mesh, reaction.alpha)
        self.electrode_psi = {
            "anode": fem.Constant(mesh, 0.0),
            "cathode": fem.Constant(mesh, phys.potential_difference / s.potential),
        }
        return {
            name: butler_volmer(self.c_p, self.c0, value - self.psi, rate, alpha)
            for name, value in self.electrode_psi.items()
        }

    def _initial_state(self) -> None:
        """Uniform salt c0 per region, no potential, with the exact Li⁺ and anion amounts
        Σ lᵢ c0ᵢ, Σ lᵢ (1 − fᵢ) c0ᵢ (sim.physics.npp_initial)."""
        mu = initial_potentials(self.bundle, self.dx, self.c0, self.fixed, self.poisson_mode, cell_field)
        for i, nodal in enumerate(mu):
            self.w.sub(i).interpolate(nodal)
        self.w.x.scatter_forward()
        self.w_old.x.array[:] = self.w.x.array

    def _bcs(self) -> list:
        """Poisson: φ = 0 at the anode (and ΔV at the cathode); reservoir: initial μ± at the anode;
        electroneutral otherwise without Butler–Volmer: μ⁻ pinned at one anode node (the potential
        is defined up to a constant)."""
        phys, bundle, mesh = self.phys, self.bundle, self.bundle.mesh
        fdim = mesh.topology.dim - 1
        mesh.topology.create_connectivity(fdim, fdim + 1)
        bcs = []
        if self.poisson_mode:
            values = {"anode": 0.0}
            if phys.potential_difference is not None:
                values["cathode"] = phys.potential_difference / self.scales.potential
            for name, value in values.items():
                bcs.append(fem.dirichletbc(value, boundary_dofs(bundle, self.W.sub(2), name), self.W.sub(2)))
        if phys.reaction.kind == "reservoir":
            for i in (0, 1):
                Vi, _ = self.W.sub(i).collapse()
                held = fem.Function(Vi)
                held.interpolate(self.w.sub(i))
                dofs = boundary_dofs(bundle, (self.W.sub(i), Vi), "anode")
                bcs.append(fem.dirichletbc(held, dofs, self.W.sub(i)))
        elif not self.poisson_mode and phys.reaction.kind != "butler_volmer":
            V1, _ = self.W.sub(1).collapse()
            dofs = boundary_dofs(bundle, (self.W.sub(1), V1), "anode")
            pin = fem.Function(V1)
            pin.interpolate(self.w.sub(1))
            # a (sub-space, collapsed space) pair has a pair of dof arrays; dolfinx annotates one array
            pair = self._one_global_dof(dofs)  # type: ignore[arg-type]
            bcs.append(fem.dirichletbc(pin, pair, self.W.sub(1)))  # type: ignore[arg-type]
        return bcs

    def _one_global_dof(self, dofs: list[np.ndarray]) -> list[np.ndarray]:
        """Keep one dof (the owned one with the smallest global index) of the (W.sub, V) pair."""
        imap = self.W.dofmap.index_map
        bs = self.W.dofmap.index_map_bs
        parent = dofs[0]
        owned = parent[parent < imap.size_local * bs]
        glob = imap.local_to_global(owned // bs) * bs + owned % bs if owned.size else np.array([], np.int64)
        best = self.bundle.mesh.comm.allreduce(int(glob.min()) if glob.size else 2**62, op=MPI.MIN)
        keep = np.flatnonzero(glob == best)
        return [dofs[0][keep].astype(np.int32), dofs[1][keep].astype(np.int32)]

    # -- Stepper ---------------------------------------------------------------------------------
    def step(self, t: float, dt: float) -> StepOutcome:
        self.dt.value = dt / self.scales.time  # type: ignore[assignment]  # setter takes any array-like
        outcome = newton_solve(self.problem, [self.w])
        if not outcome.converged:
            return outcome
        its, kits = outcome.newton_iterations, outcome.krylov_iterations
        diff = np.abs(self.w.x.array - self.w_old.x.array)
        change = self.bundle.mesh.comm.allreduce(float(diff.max()) if diff.size else 0.0, op=MPI.MAX)
        return StepOutcome(True, its, kits, change)

    def accept(self) -> None:
        self.w_old.x.array[:] = self.w.x.array

    def reject(self) -> None:
        self.w.x.array[:] = self.w_old.x.array

    # -- integrals -------------------------------------------------------------------------------
    def integral(self, expr, measure) -> float:
        return self.bundle.mesh.comm.allreduce(fem.assemble_scalar(fem.form(expr * measure)), op=MPI.SUM)

    def net_influx(self) -> float:
        """Scaled Li⁺ entering through both electrodes per unit scaled time (per unit depth)."""
        return sum(
            (self.integral(j, self.ds(self.bundle.boundaries[n])) for n, j in self.influx.items()), 0.0
        )

    def totals(self) -> dict[str, float]:
        """Scaled amounts of Li⁺ and free anions and the net charge."""
        return {
            "li": self.integral(self.c_p, self.dx),
            "anion": self.integral(self.c_m, self.dx),
            "charge": self.integral(self.c_p - self.c_m - self.fixed, self.dx),
        }


def _refuse(problem: NppProblem, ctx, message: str) -> None:
    if problem.phys.checks == "refuse":
        raise SolverFailed(message)
    if ctx is not None:
        ctx.logger.warning(message)


def electrode_cells(bundle, names: tuple[str, ...]) -> np.ndarray:
    """Local cells with a facet on the named boundaries."""
    mesh = bundle.mesh
    tdim = mesh.topology.dim
    mesh.topology.create_connectivity(tdim - 1, tdim)
    f2c = mesh.topology.connectivity(tdim - 1, tdim)
    facets = np.concatenate([boundary_facets(bundle, n) for n in names])
    cells = [f2c.links(f) for f in facets]
    return np.unique(np.concatenate(cells)).astype(np.int32) if cells else np.zeros(0, np.int32)


def check_debye(problem: NppProblem, ctx) -> None:
    """Poisson mode: refuse (or warn) when cells at the electrodes are larger than the Debye length."""
    bundle, s = problem.bundle, problem.scales
    mesh = bundle.mesh
    cells = electrode_cells(bundle, ("anode", "cathode"))
    h_local = float(mesh.h(mesh.topology.dim, cells).max()) if cells.size else 0.0
    h = mesh.comm.allreduce(h_local, op=MPI.MAX)
    debye = min(
        s.debye_length(
            problem._eps_r(r), (p.salt_concentration * (2.0 - p.immobile_fraction)) / s.concentration
        )
        for r, p in problem.props.items()
    )
    if h > debye:
        _refuse(
            problem,
            ctx,
            f"the mesh does not resolve the Debye length at the electrodes: cells "
            f"of {h * s.length:.3g} m vs λ_D = {debye * s.length:.3g} m; grade the mesh to "
            f"~λ_D/2 at the electrodes or use mode: electroneutral",
        )


def depletion_estimate(problem: NppProblem, height: float) -> tuple[float, float] | None:
    """(limiting flux 4D⁺c0/L, Sand time at the imposed flux) for the binary salt next to the anode,
    or None when it has immobile anions (then the electroneutral model has no limiting flux)."""
    bundle = problem.bundle
    cells = electrode_cells(bundle, ("anode",))
    local = {name for name, tag in bundle.regions.items() if np.isin(cells, bundle.cell_tags.find(tag)).any()}
    names = set().union(*bundle.mesh.comm.allgather(local))
    binary = [problem.props[n] for n in sorted(names) if problem.props[n].immobile_fraction == 0.0]
    if not binary:
        return None
    p = min(binary, key=lambda q: q.d_cation)
    phys = problem.phys
    n = phys.reaction.li_flux * phys.flux_scale if phys.reaction.kind == "flux" else math.nan
    d_amb = 2.0 * p.d_cation * p.d_anion / (p.d_cation + p.d_anion)
    sand = math.pi * d_amb * p.salt_concentration**2 / (4.0 * (n * (1.0 - p.transference_number)) ** 2)
    return 4.0 * p.d_cation * p.salt_concentration / height, sand


def check_depletion(problem: NppProblem, height: float, ctx) -> str:
    """Refuse (or warn about) a fixed flux that the estimate says depletes Li⁺; returns a hint."""
    estimate = depletion_estimate(problem, height)
    if estimate is None:
        return "no limiting-flux estimate (immobile anions next to the anode)"
    n_lim, sand = estimate
    hint = f"limiting Li⁺ flux 4D⁺c0/L ≈ {n_lim:.3g} mol m⁻² s⁻¹ (L = {height:.3g} m)"
    phys = problem.phys
    if phys.reaction.kind != "flux":
        return hint
    n = phys.reaction.li_flux * phys.flux_scale
    hint += (
        f"; imposed {n:.3g} mol m⁻² s⁻¹ = {n / n_lim:.3g} × limiting; Sand time "
        f"πD_amb c0²/(4(N(1 − t⁺))²) ≈ {sand:.3g} s"
    )
    advice = "lower flux_scale, raise the temperature, or shorten the window"
    if phys.time is None and n >= n_lim:
        _refuse(
            problem,
            ctx,
            f"no steady state: the imposed Li⁺ flux exceeds the limiting flux, Li⁺ "
            f"depletes at the anode ({hint}); {advice}",
        )
    elif phys.time is not None and phys.time.t_end >= sand:
        _refuse(
            problem,
            ctx,
            f"Li⁺ depletes at the anode at t ≈ {sand:.3g} s < t_end = "
            f"{phys.time.t_end:.3g} s ({hint}); beyond it the electrolyte cannot carry the "
            f"imposed current; {advice}",
        )
    return hint


class Monitor:
    """A Stepper wrapper that remembers the change of the last accepted step."""

    def __init__(self, problem: NppProblem) -> None:
        self.problem, self.pending, self.last_change = problem, np.inf, np.inf

    def step(self, t: float, dt: float) -> StepOutcome:
        outcome = self.problem.step(t, dt)
        self.pending = outcome.change
        return outcome

    def accept(self) -> None:
        self.problem.accept()
        self.last_change = self.pending

    def reject(self) -> None:
        self.problem.reject()


def advance(
    problem: NppProblem,
    time_cfg: TimeConfig | None,
    height: float,
    *,
    tolerance: float = 1e-9,
    stats: TimeStats | None = None,
    on_step=None,
    on_output=None,
    on_checkpoint=None,
    progress=None,
) -> TimeStats:
    """Integrate over `time_cfg` (from `stats`, e.g. a resumed run's), or (None) to the steady state
    by pseudo-transient continuation: implicit Euler from 1e-4 to 1e4 of the slowest diffusion time
    L²/D⁺ over the film, until a step of at least that time changes no unknown by more than
    `tolerance` (not resumable: pseudo-time is no physical trajectory)."""
    monitor = Monitor(problem)
    if time_cfg is not None:
        return integrate(
            monitor,
            time_cfg,
            stats=stats,
            on_step=on_step,
            on_output=on_output,
            on_checkpoint=on_checkpoint,
            progress=progress,
        )
    tau = height**2 / min(p.d_cation for p in problem.props.values())
    cfg = TimeConfig(
        t_end=1e8 * tau,
        dt_initial=1e-4 * tau,
        dt_max=1e4 * tau,
        growth=2.0,
        target_newton_iterations=8,
        max_steps=400,
    )

    def steady(stats: TimeStats) -> bool:
        if on_step is not None:
            on_step(stats)
        return stats.dt >= tau and monitor.last_change < tolerance

    stats = integrate(monitor, cfg, on_step=steady)
    if not monitor.last_change < tolerance:
        raise SolverFailed(
            f"no steady state after {stats.steps} pseudo-time steps (last change {monitor.last_change:.3g})"
        )
    return stats
