"""Steady ionic conduction (DESIGN 3.1): −∇·(σ∇φ) = f with piecewise σ per region, run as a
`SteadyModel` (sim.physics.model) by sim.loop: one linear solve.

Mesh coordinates are in units of `length_scale` (µm); the equation is scale-free, and the current
per unit depth is ∫σ ∇̂φ·∇̂w dx̂ in those units (w = 1 on the cathode, a consistent "reaction" flux
that is exact for the discrete solution and conserves current between the electrodes).
"""

from __future__ import annotations

import itertools
from typing import Any, TypedDict

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.mesh import boundary_dofs, boundary_facets, boundary_length, facet_indicator, region_area
from sim.physics.model import CAPABILITIES, Capabilities, ModelResult, SteadyModel, TimeStats
from sim.solve import SolverFailed, petsc_options

fem = dolfinx.fem


def conductivity_field(bundle, config) -> fem.Function:
    """σ as a DG0 function: each region's card evaluated at the physics temperature (S/m)."""
    Q = fem.functionspace(bundle.mesh, ("DG", 0))
    sigma = fem.Function(Q, name="conductivity_S_m")
    for region, tag in bundle.regions.items():
        cells = bundle.cell_tags.find(tag)
        sigma.x.array[cells] = config.material(region).conductivity_at(config.physics.temperature)
    sigma.x.scatter_forward()
    return sigma


def conduction_forms(V: fem.FunctionSpace, sigma, source=None) -> tuple[ufl.Form, ufl.Form]:
    """Bilinear and linear forms of −∇·(σ∇φ) = source."""
    phi, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    a = ufl.inner(sigma * ufl.grad(phi), ufl.grad(v)) * ufl.dx
    f = source if source is not None else fem.Constant(V.mesh, 0.0)
    return a, f * v * ufl.dx


def electrode_current(phi: fem.Function, sigma, facets: np.ndarray) -> float:
    """∫ σ∇φ·∇w dx with w the indicator of `facets`: the current leaving through them by the consistent
    flux, in A/m of depth in 2D and in A per mesh unit in 3D (× length_scale for A)."""
    w = facet_indicator(phi.function_space, facets)
    form = fem.form(ufl.inner(sigma * ufl.grad(phi), ufl.grad(w)) * ufl.dx)
    return phi.function_space.mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)


def mean_on_interface(u: fem.Function, bundle, name: str) -> float:
    """Mean of `u` over an interior facet group (e.g. the interface `spe__lagp`)."""
    dS = ufl.Measure("dS", domain=u.function_space.mesh, subdomain_data=bundle.facet_tags)
    tag = bundle.boundaries[name]
    comm = u.function_space.mesh.comm
    total = comm.allreduce(fem.assemble_scalar(fem.form(u("+") * dS(tag))), op=MPI.SUM)
    length = comm.allreduce(fem.assemble_scalar(fem.form(1.0 * dS(tag))), op=MPI.SUM)
    return total / length


def layer_resistances(phi: fem.Function, bundle, config, j: float) -> dict[str, dict[str, float]]:
    """Potential drop and resistance of each layer of a `layers` stack (anode → cathode)."""
    phys, layers = config.physics, [layer.name for layer in config.geometry.layers]
    levels = [phys.anode_potential]
    levels += [mean_on_interface(phi, bundle, f"{a}__{b}") for a, b in itertools.pairwise(layers)]
    levels += [phys.cathode_potential]
    out = {}
    for name, lo, hi in zip(layers, levels, levels[1:], strict=False):
        out[name] = {"potential_drop_V": hi - lo, "area_specific_resistance_ohm_m2": (hi - lo) / j}
        if phys.electrode_area is not None:
            out[name]["resistance_ohm"] = (hi - lo) / (j * phys.electrode_area)
    return out


def electrode_distance(mesh) -> float:
    """Distance between the anode and cathode planes (the extent along the last axis: y in 2D,
    z in 3D), in mesh units."""
    y = mesh.geometry.x[:, mesh.geometry.dim - 1]
    lo = mesh.comm.allreduce(y.min() if y.size else np.inf, op=MPI.MIN)
    hi = mesh.comm.allreduce(y.max() if y.size else -np.inf, op=MPI.MAX)
    return hi - lo


class ConductionMetrics(TypedDict, total=False):
    """The metrics of a conduction run (SI): in 2D per metre of depth (`current_per_depth_A_m`),
    in 3D the cell current (`cell_current_A`); with physics.electrode_area also Ω and A."""

    current_density_A_m2: float
    current_per_depth_A_m: float
    cell_current_A: float
    effective_conductivity_S_m: float
    area_specific_resistance_ohm_m2: float
    current_balance_rel_error: float
    potential_drop_V: float
    electrode_distance_m: float
    resistance_ohm: float
    current_A: float


def build(config: Any, bundle: Any, ctx: Any) -> ConductionModel:
    """The conduction problem of `config` on `bundle` (ready to solve)."""
    return ConductionModel(config, bundle, ctx)


class ConductionModel(SteadyModel):
    """φ with Dirichlet electrodes and insulating walls; reports current and resistance."""

    label = "conduction"

    def __init__(self, config: Any, bundle: Any, ctx: Any) -> None:
        self.config, self.bundle, self.phys = config, bundle, config.physics
        phys, mesh = self.phys, bundle.mesh
        V = fem.functionspace(mesh, ("Lagrange", phys.element_degree))
        self.sigma = conductivity_field(bundle, config)
        self.facets = {name: boundary_facets(bundle, name) for name in ("anode", "cathode")}
        bcs = [
            fem.dirichletbc(value, boundary_dofs(bundle, V, name), V)
            for name, value in (("anode", phys.anode_potential), ("cathode", phys.cathode_potential))
        ]
        a, L = conduction_forms(V, self.sigma)
        self.phi = fem.Function(V, name="potential_V")
        self.problem = fem.petsc.LinearProblem(
            a,
            L,
            bcs=bcs,
            u=self.phi,
            petsc_options_prefix="conduction_",
            petsc_options=petsc_options(config.solver),
        )
        dim = mesh.geometry.dim
        W = fem.functionspace(mesh, ("DG", max(phys.element_degree - 1, 0), (dim,)))
        self.current = fem.Function(W, name="current_density_A_m2")
        self.current_expr = fem.Expression(
            -self.sigma * ufl.grad(self.phi) / bundle.length_scale, W.element.interpolation_points
        )
        ctx.log(f"solving conduction: {V.dofmap.index_map.size_global} dofs, preset {config.solver.preset}")

    @property
    def capabilities(self) -> Capabilities:
        return CAPABILITIES["conduction"]

    def state(self) -> list:
        return [self.phi]

    def solve_steady(self) -> TimeStats:
        self.problem.solve()
        reason = self.problem.solver.getConvergedReason()
        if reason <= 0:  # type: ignore[operator]  # petsc4py's stub names the enum class; PETSc returns an int
            raise SolverFailed(f"linear solver did not converge (PETSc reason {reason})")
        self.current.interpolate(self.current_expr)
        return TimeStats(steps=1, krylov_iterations=self.problem.solver.getIterationNumber())

    def metrics(self, stats: TimeStats) -> ConductionMetrics:
        phys, bundle, scale = self.phys, self.bundle, self.bundle.length_scale
        mesh = bundle.mesh
        delta_v = phys.cathode_potential - phys.anode_potential
        dim = mesh.geometry.dim
        # 2D: A per m of depth (scale-free); 3D: A (the flux integral carries one mesh length)
        i_cathode = electrode_current(self.phi, self.sigma, self.facets["cathode"]) * scale ** (dim - 2)
        i_anode = electrode_current(self.phi, self.sigma, self.facets["anode"]) * scale ** (dim - 2)
        electrode = boundary_length(bundle, "cathode") * scale ** (dim - 1)  # m (2D) or m² (3D)
        thickness = electrode_distance(mesh) * scale
        j = i_cathode / electrode
        metrics = ConductionMetrics(current_density_A_m2=j)
        metrics["current_per_depth_A_m" if dim == 2 else "cell_current_A"] = i_cathode
        metrics |= ConductionMetrics(
            effective_conductivity_S_m=j * thickness / delta_v,
            area_specific_resistance_ohm_m2=delta_v / j,
            current_balance_rel_error=abs(i_cathode + i_anode) / abs(i_cathode),
            potential_drop_V=delta_v,
            electrode_distance_m=thickness,
        )
        if phys.electrode_area is not None:
            metrics["resistance_ohm"] = delta_v / (j * phys.electrode_area)
            metrics["current_A"] = j * phys.electrode_area
        return metrics

    def output_fields(self) -> list[dict]:
        return [{f.name: f} for f in (self.phi, self.current, self.sigma)]

    def result(self, stats: TimeStats) -> ModelResult:
        phys, bundle, config = self.phys, self.bundle, self.config
        dim = bundle.mesh.geometry.dim
        regions = {
            name: {
                "conductivity_S_m": config.material(name).conductivity_at(phys.temperature),
                ("area_m2" if dim == 2 else "volume_m3"): region_area(bundle, name)
                * bundle.length_scale**dim,
            }
            for name in bundle.regions
        }
        extra: dict[str, Any] = {"regions": regions}
        if config.geometry.kind == "layers":
            j = self.metrics(stats)["current_density_A_m2"]
            extra["layers"] = layer_resistances(self.phi, bundle, config, j)
        return ModelResult(plots={"potential_V": self.phi, "current_density_A_m2": self.current}, extra=extra)
