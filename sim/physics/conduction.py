"""Steady ionic conduction (DESIGN 3.1): −∇·(σ∇φ) = f with piecewise σ per region.

Mesh coordinates are in units of `length_scale` (µm); the equation is scale-free, and the current
per unit depth is ∫σ ∇̂φ·∇̂w dx̂ in those units (w = 1 on the cathode, a consistent "reaction" flux
that is exact for the discrete solution and conserves current between the electrodes).
"""

from __future__ import annotations

import itertools

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.mesh import boundary_length, region_area
from sim.solve import RunResult, SolverFailed, petsc_options

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


def boundary_indicator(V: fem.FunctionSpace, facets: np.ndarray) -> fem.Function:
    """A Lagrange function equal to 1 on the dofs of `facets` and 0 elsewhere."""
    w = fem.Function(V)
    dofs = fem.locate_dofs_topological(V, V.mesh.topology.dim - 1, facets)
    w.x.array[dofs] = 1.0
    w.x.scatter_forward()
    return w


def electrode_current(phi: fem.Function, sigma, facets: np.ndarray) -> float:
    """∫ σ∇φ·∇w dx with w the indicator of `facets`: the current leaving through them by the consistent
    flux, in A/m of depth in 2D and in A per mesh unit in 3D (× length_scale for A)."""
    w = boundary_indicator(phi.function_space, facets)
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


def run(config, bundle, ctx) -> RunResult:
    """Solve the conduction problem of `config` on `bundle` and report current and resistance."""
    phys = config.physics
    mesh, scale = bundle.mesh, bundle.length_scale
    V = fem.functionspace(mesh, ("Lagrange", phys.element_degree))
    sigma = conductivity_field(bundle, config)
    fdim = mesh.topology.dim - 1
    anode = bundle.facet_tags.find(bundle.boundaries["anode"])
    cathode = bundle.facet_tags.find(bundle.boundaries["cathode"])
    bcs = [
        fem.dirichletbc(value, fem.locate_dofs_topological(V, fdim, facets), V)
        for value, facets in ((phys.anode_potential, anode), (phys.cathode_potential, cathode))
    ]
    a, L = conduction_forms(V, sigma)
    phi = fem.Function(V, name="potential_V")
    problem = fem.petsc.LinearProblem(
        a, L, bcs=bcs, u=phi, petsc_options_prefix="conduction_", petsc_options=petsc_options(config.solver)
    )
    ctx.log(f"solving conduction: {V.dofmap.index_map.size_global} dofs, preset {config.solver.preset}")
    problem.solve()
    reason = problem.solver.getConvergedReason()
    if reason <= 0:  # type: ignore[operator]  # petsc4py's stub names the enum class; PETSc returns an int
        raise SolverFailed(f"linear solver did not converge (PETSc reason {reason})")
    its = problem.solver.getIterationNumber()

    delta_v = phys.cathode_potential - phys.anode_potential
    dim = mesh.geometry.dim
    # 2D: A per m of depth (scale-free); 3D: A (the flux integral carries one mesh length)
    i_cathode = electrode_current(phi, sigma, cathode) * scale ** (dim - 2)
    i_anode = electrode_current(phi, sigma, anode) * scale ** (dim - 2)
    electrode = boundary_length(bundle, "cathode") * scale ** (dim - 1)  # m (2D) or m² (3D)
    thickness = electrode_distance(mesh) * scale
    j = i_cathode / electrode
    metrics = {
        "current_density_A_m2": j,
        ("current_per_depth_A_m" if dim == 2 else "cell_current_A"): i_cathode,
        "effective_conductivity_S_m": j * thickness / delta_v,
        "area_specific_resistance_ohm_m2": delta_v / j,
        "current_balance_rel_error": abs(i_cathode + i_anode) / abs(i_cathode),
        "potential_drop_V": delta_v,
        "electrode_distance_m": thickness,
    }
    if phys.electrode_area is not None:
        metrics["resistance_ohm"] = delta_v / (j * phys.electrode_area)
        metrics["current_A"] = j * phys.electrode_area

    W = fem.functionspace(mesh, ("DG", max(phys.element_degree - 1, 0), (dim,)))
    current = fem.Function(W, name="current_density_A_m2")
    current.interpolate(fem.Expression(-sigma * ufl.grad(phi) / scale, W.element.interpolation_points))
    ctx.write_fields([phi], t=0.0)
    ctx.write_fields([current], t=0.0)
    ctx.write_fields([sigma], t=0.0)
    regions = {
        name: {
            "conductivity_S_m": config.material(name).conductivity_at(phys.temperature),
            ("area_m2" if dim == 2 else "volume_m3"): region_area(bundle, name) * scale**dim,
        }
        for name in bundle.regions
    }
    extra = {"regions": regions}
    if config.geometry.kind == "layers":
        extra["layers"] = layer_resistances(phi, bundle, config, j)
    return RunResult(
        metrics=metrics,
        num_dofs=V.dofmap.index_map.size_global * V.dofmap.index_map_bs,
        krylov_iterations=its,
        plots={"potential_V": phi, "current_density_A_m2": current},
        extra=extra,
    )
