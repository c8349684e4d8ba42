"""Composite cathode (seed 003, DESIGN 3.2, `physics.kind: cathode`): Li⁺ transport in the binder
(electroneutral Nernst–Planck, unknowns μ̂±, the residual of sim.physics.npp_forms) and Li diffusion
in the active particles, on two sub-meshes coupled across the particle surface by a thin-interface
transfer flux j = k (c_binder − c_particle/K).

Both fields live on sub-meshes of the parent mesh (the concentration jumps at the particle
surface); every measure is on the parent mesh and the interface integral uses packed
(cell, local facet) pairs with the binder always on the "+" side (ENVIRONMENT.md, DOLFINx 0.11).
The anode side (separator) is a salt reservoir, the current collector and pores block all species.
"""

from __future__ import annotations

from typing import Any, TypedDict

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.materials import transport
from sim.mesh import boundary_facets
from sim.physics.model import CAPABILITIES, Capabilities, ModelResult, TransientModel
from sim.physics.npp_forms import Scales, concentrations, nernst_planck
from sim.physics.npp_output import check_depletion
from sim.solve import petsc_options
from sim.timestep import StepOutcome, TimeStats, newton_solve

fem = dolfinx.fem
INTERFACE = 1
"""dS subdomain id of the particle surface"""


def interface_data(bundle, binder: int, particle: int) -> np.ndarray:
    """[binder cell, local facet, particle cell, local facet] per owned particle-surface facet."""
    mesh = bundle.mesh
    tdim, fdim = mesh.topology.dim, mesh.topology.dim - 1
    mesh.topology.create_connectivity(fdim, tdim)
    mesh.topology.create_connectivity(tdim, fdim)
    f2c, c2f = mesh.topology.connectivity(fdim, tdim), mesh.topology.connectivity(tdim, fdim)
    cell_tag = np.zeros(
        mesh.topology.index_map(tdim).size_local + mesh.topology.index_map(tdim).num_ghosts, dtype=np.int32
    )
    cell_tag[bundle.cell_tags.indices] = bundle.cell_tags.values
    facets = boundary_facets(bundle, "particle_surface")
    facets = facets[facets < mesh.topology.index_map(fdim).size_local]
    rows = []
    for f in facets:
        cells = f2c.links(f)
        if len(cells) != 2:
            continue
        a, b = cells if cell_tag[cells[0]] == binder else cells[::-1]
        if cell_tag[a] != binder or cell_tag[b] != particle:
            continue
        rows.append([a, np.flatnonzero(c2f.links(a) == f)[0], b, np.flatnonzero(c2f.links(b) == f)[0]])
    return np.asarray(rows, dtype=np.int32).reshape(-1)


class CathodeProblem:
    """Binder μ̂⁺, μ̂⁻ and particle ĉ_p on sub-meshes, implicit Euler (a `Stepper`,
    sim.physics.model)."""

    def __init__(self, config, bundle) -> None:
        phys, mesh = config.physics, bundle.mesh
        tdim = mesh.topology.dim
        binder = transport(config.material("binder"), phys.temperature)
        d_particle = config.material("particle").si("diffusivity")
        self.binder, self.bundle, self.config = binder, bundle, config
        s = self.scales = Scales(
            bundle.length_scale, binder.salt_concentration, binder.d_cation, phys.temperature
        )
        tags = bundle.regions
        subs = {
            name: dolfinx.mesh.create_submesh(mesh, tdim, bundle.cell_tags.find(tags[name]))
            for name in ("binder", "particle")
        }
        self.meshes = {name: sub[0] for name, sub in subs.items()}
        entity_maps = [sub[1] for sub in subs.values()]
        spaces = [
            fem.functionspace(self.meshes[name], ("Lagrange", phys.element_degree))
            for name in ("binder", "binder", "particle")
        ]  # one space per block (BCs find theirs)
        self.u = [
            fem.Function(V, name=name)
            for V, name in zip(spaces, ("mu_Li", "mu_anion", "particle_c"), strict=False)
        ]
        self.u_old = [fem.Function(f.function_space) for f in self.u]
        f = binder.immobile_fraction
        init = [np.log(1.0), np.log(1.0 - f), phys.interface.particle_initial_concentration / s.concentration]
        for fn, old, value in zip(self.u, self.u_old, init, strict=False):
            fn.x.array[:] = value
            old.x.array[:] = value
        self.fixed = fem.Constant(mesh, f)
        self.dt = fem.Constant(mesh, 1.0)
        dx = ufl.Measure(
            "dx", domain=mesh, subdomain_data=bundle.cell_tags, metadata={"quadrature_degree": 6}
        )
        self.dx_b, self.dx_p = dx(tags["binder"]), dx(tags["particle"])
        # lumped particle mass (vertex rule): keeps the linear particle concentration non-negative
        # where its thin diffusion layer (√(D t) ≈ 0.1 µm in 10 s) is not resolved by the mesh
        self.dx_lumped = ufl.Measure(
            "dx",
            domain=mesh,
            subdomain_data=bundle.cell_tags,
            metadata={"quadrature_rule": "vertex", "quadrature_degree": 1},
        )(tags["particle"])
        self.dS = ufl.Measure(
            "dS",
            domain=mesh,
            metadata={"quadrature_degree": 6},
            subdomain_data=[(INTERFACE, interface_data(bundle, tags["binder"], tags["particle"]))],
        )
        self.c, self.c_m, self.psi = concentrations(self.u[0], self.u[1], self.fixed)
        c_m = self.c_m
        c_old, c_m_old, _ = concentrations(self.u_old[0], self.u_old[1], self.fixed)
        k = fem.Constant(mesh, phys.interface.transfer_coefficient * s.length / s.diffusivity)
        partition = fem.Constant(mesh, phys.interface.partition_coefficient)
        cp, cp_old = self.u[2], self.u_old[2]
        self.j = k * (self.c("+") - cp("-") / partition)
        v = [ufl.TestFunction(fn.function_space) for fn in self.u]
        d_plus, d_m, d_p = 1.0, binder.d_anion / s.diffusivity, d_particle / s.diffusivity  # D_ref = D⁺
        self.li_residual = lambda w: (
            nernst_planck(self.c, c_old, d_plus, self.u[0], w, self.dt, self.dx_b)
            + self.j * w("+") * self.dS(INTERFACE)
        )
        forms = [
            self.li_residual(v[0]),
            nernst_planck(c_m, c_m_old, d_m, self.u[1], v[1], self.dt, self.dx_b),
            (cp - cp_old) / self.dt * v[2] * self.dx_lumped
            + d_p * ufl.inner(ufl.grad(cp), ufl.grad(v[2])) * self.dx_p
            - self.j * v[2]("-") * self.dS(INTERFACE),
        ]
        self.entity_maps = entity_maps
        self.problem = fem.petsc.NonlinearProblem(
            forms,
            self.u,
            bcs=self._reservoir(spaces[:2], init[:2]),
            entity_maps=entity_maps,
            kind="mpi",
            petsc_options_prefix="npp_cathode_",
            petsc_options=petsc_options(config.solver, symmetric=False, nonlinear=True),
        )
        self.entered_total, self.pending = 0.0, 0.0
        """scaled Li⁺ that entered from the reservoir over the accepted steps"""
        self.indicator = fem.Function(spaces[0])
        self.indicator.x.array[self._anode_dofs] = 1.0

    def _reservoir(self, spaces: list, values: list[float]) -> list:
        """μ̂± fixed at their initial values on the anode (separator) side of the binder."""
        sub = self.meshes["binder"]
        fdim = sub.topology.dim - 1
        sub.topology.create_connectivity(fdim, fdim + 1)
        y0 = self.bundle.mesh.comm.allreduce(float(self.bundle.mesh.geometry.x[:, 1].min()), op=MPI.MIN)
        facets = dolfinx.mesh.locate_entities_boundary(sub, fdim, lambda x: np.isclose(x[1], y0))
        self._anode_dofs = fem.locate_dofs_topological(spaces[0], fdim, facets)
        return [fem.dirichletbc(value, self._anode_dofs, V) for V, value in zip(spaces, values, strict=False)]

    # -- Stepper ---------------------------------------------------------------------------------
    def step(self, t: float, dt: float) -> StepOutcome:
        self.dt.value = dt / self.scales.time  # type: ignore[assignment]  # setter takes any array-like
        outcome = newton_solve(self.problem, list(self.u))
        if not outcome.converged:
            return outcome
        its, kits = outcome.newton_iterations, outcome.krylov_iterations
        arrays = [fn.x.array for fn in self.u]
        comm = self.bundle.mesh.comm
        change = max(
            (np.abs(a - o.x.array).max() if a.size else 0.0) for a, o in zip(arrays, self.u_old, strict=False)
        )
        self.pending = self.dt.value * self.entered()
        return StepOutcome(True, its, kits, comm.allreduce(float(change), op=MPI.MAX))

    def accept(self) -> None:
        self.entered_total += self.pending
        for fn, old in zip(self.u, self.u_old, strict=False):
            old.x.array[:] = fn.x.array

    def reject(self) -> None:
        for fn, old in zip(self.u, self.u_old, strict=False):
            fn.x.array[:] = old.x.array

    # -- reports -----------------------------------------------------------------------------
    def integral(self, expr) -> float:
        form = fem.form(expr, entity_maps=self.entity_maps)
        return self.bundle.mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    def totals(self) -> dict[str, float]:
        return {
            "binder": self.integral(self.c * self.dx_b),
            "particle": self.integral(self.u[2] * self.dx_lumped),
        }

    def entered(self) -> float:
        """Scaled Li⁺ per scaled time entering from the reservoir in the last solved step: the
        Dirichlet reaction of the Li⁺ equation (its residual tested with the anode-node indicator)."""
        return self.integral(self.li_residual(self.indicator))


class CathodeMetrics(TypedDict):
    """The metrics of a composite-cathode run (SI; amounts per metre of depth)."""

    li_inserted_mol_m: float
    particle_mean_concentration_mol_m3: float
    li_from_separator_mol_m: float
    min_concentration_Li_mol_m3: float
    max_concentration_Li_mol_m3: float
    min_particle_concentration_mol_m3: float
    mass_balance_rel_error: float
    time_s: float


def build(config: Any, bundle: Any, ctx: Any) -> CathodeModel:
    """The composite-cathode model of `config` on `bundle` (logged, ready to run)."""
    return CathodeModel(config, bundle, ctx)


class CathodeModel(CathodeProblem, TransientModel):
    """The 10 s discharge-type transfer of Li⁺ from the binder into the particles (seed 003) as a
    `TransientModel` (sim.physics.model): the problem's step/accept/reject, with observers, metrics
    and fields."""

    label = "cathode"
    fields_on_failure = False

    def __init__(self, config: Any, bundle: Any, ctx: Any) -> None:
        super().__init__(config, bundle)
        self.phys = config.physics
        for name, entity_map in zip(("binder", "particle"), self.entity_maps, strict=True):
            ctx.fields.add_submesh(self.meshes[name], entity_map)
        s = self.scales
        ctx.log(
            f"binder: D⁺ = {self.binder.d_cation:.4g}, D⁻ = {self.binder.d_anion:.4g} m²/s; particle D = "
            f"{config.material('particle').si('diffusivity'):.3g} m²/s"
        )
        deg = self.phys.element_degree
        out = {
            "concentration_Li_mol_m3": (self.meshes["binder"], self.c * s.concentration),
            "potential_V": (self.meshes["binder"], self.psi * s.potential),
            "particle_concentration_Li_mol_m3": (self.meshes["particle"], self.u[2] * s.concentration),
        }
        self.fields: dict[str, tuple[fem.Function, fem.Expression]] = {}
        for name, (mesh, expr) in out.items():
            fn = fem.Function(fem.functionspace(mesh, ("DG", deg)), name=name)
            self.fields[name] = (fn, fem.Expression(expr, fn.function_space.element.interpolation_points))
        self.anion = fem.Function(self.fields["concentration_Li_mol_m3"][0].function_space)
        self.anion_expr = fem.Expression(
            self.c_m * s.concentration, self.anion.function_space.element.interpolation_points
        )
        self.initial = self.totals()

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES["cathode"]

    def state(self) -> list:
        return list(self.u)

    def checkpoint_state(self) -> dict:
        return {f"u{i}": fn for i, fn in enumerate(self.u_old)}

    def checkpoint_data(self) -> dict[str, Any]:
        return {"initial": self.initial, "entered": self.entered_total}

    def restore(self, data: dict[str, Any], stats: TimeStats) -> None:
        self.initial, self.entered_total = data["initial"], data["entered"]

    def _lowest(self, fn: fem.Function) -> float:
        comm = self.bundle.mesh.comm
        return comm.allreduce(float(fn.x.array.min()) if fn.x.array.size else np.inf, op=MPI.MIN)

    def observe(self, stats: TimeStats) -> None:
        """Stop when Li⁺ or anions in the binder fall below depletion_threshold × c0."""
        li, expr = self.fields["concentration_Li_mol_m3"]
        li.interpolate(expr)
        self.anion.interpolate(self.anion_expr)
        lows = {"Li": self._lowest(li), "anion": self._lowest(self.anion)}
        check_depletion(lows, self.phys.depletion_threshold * self.scales.concentration, stats.t)

    def output_fields(self) -> list[dict]:
        for fn, expr in self.fields.values():
            fn.interpolate(expr)
        binder = ("concentration_Li_mol_m3", "potential_V")
        return [
            {n: self.fields[n][0] for n in binder},
            {n: fn for n, (fn, _) in self.fields.items() if n not in binder},
        ]

    def metrics(self, stats: TimeStats) -> CathodeMetrics:
        """Li inserted into the particles, from the separator, extreme concentrations and the Li
        balance of the accepted state."""
        fields, initial = self.fields, self.initial
        bundle, s = self.bundle, self.scales
        for fn, expr in fields.values():
            fn.interpolate(expr)
        totals = self.totals()
        volume = self.integral(fem.Constant(bundle.mesh, 1.0) * self.dx_p)
        c_b = fields["concentration_Li_mol_m3"][0].x.array
        c_p = fields["particle_concentration_Li_mol_m3"][0].x.array
        comm = bundle.mesh.comm
        amount = s.concentration * s.length**2
        gained = totals["binder"] + totals["particle"] - initial["binder"] - initial["particle"]
        return CathodeMetrics(
            li_inserted_mol_m=(totals["particle"] - initial["particle"]) * amount,
            particle_mean_concentration_mol_m3=totals["particle"] / volume * s.concentration,
            li_from_separator_mol_m=self.entered_total * amount,
            min_concentration_Li_mol_m3=comm.allreduce(float(c_b.min()) if c_b.size else np.inf, op=MPI.MIN),
            max_concentration_Li_mol_m3=comm.allreduce(float(c_b.max()) if c_b.size else -np.inf, op=MPI.MAX),
            min_particle_concentration_mol_m3=comm.allreduce(
                float(c_p.min()) if c_p.size else np.inf, op=MPI.MIN
            ),
            mass_balance_rel_error=abs(gained - self.entered_total) / initial["binder"],
            time_s=stats.t,
        )

    def result(self, stats: TimeStats) -> ModelResult:
        # what the particles hold in equilibrium with the binder at c0 (K c0: the site density)
        capacity = self.phys.interface.partition_coefficient * self.scales.concentration
        return ModelResult(
            plots={name: fn for name, (fn, _) in self.fields.items()},
            plot_options={
                "particle_concentration_Li_mol_m3": {
                    "divide_by": capacity,
                    "quantity": "particle filling c / (K c₀) (1)",
                }
            },
            extra={"particle_capacity_mol_m3": capacity},
        )
