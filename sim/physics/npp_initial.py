"""The NPP start state: uniform salt c0 per region, no potential, with the exact salt inventory.

Each region starts at ĉ⁺ = ĉ0, ĉ⁻ = (1 − f) ĉ0, ψ = 0, i.e. μ̂⁺ = ln ĉ0, μ̂⁻ = ln((1 − f) ĉ0).
The unknowns are continuous, so at nodes shared by regions the piecewise-constant state has no
value: they get the lumped-mass (area-weighted) mean, the same on any number of ranks. That mean
alone would give a closed cell a salt inventory off by O(h) from Σ lᵢ (1 − fᵢ) c0ᵢ, and the steady
(Donnan) state of a closed cell is fixed by its inventory, so it would converge only at O(h). The
values at those shared nodes are therefore shifted by one constant s per species, solved for (Newton)
so that the discrete amounts equal the exact ones:

    ∫ ĉ⁻(μ̂⁺, μ̂⁻ + s⁻ m) dx = ∫ (1 − f) ĉ0 dx   (and in poisson mode ∫ ĉ⁺(μ̂⁺ + s⁺ m) dx = ∫ ĉ0 dx),

m the P1 indicator of the shared nodes. Nodes inside a region keep the exact c0. In the
electroneutral limit ĉ⁺ = ĉ⁻ + ĉ_f pointwise, so the Li⁺ amount is then exact as well.
"""

from __future__ import annotations

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.physics.npp_forms import concentrations
from sim.solve import SolverFailed

fem = dolfinx.fem


def _lumped(expr, v, dx, mass) -> fem.Function:
    """P1 nodal values ∫ expr v / ∫ v (the lumped-mass projection)."""
    space = v.ufl_function_space()
    nodal = fem.Function(space)
    b = fem.assemble_vector(fem.form(expr * v * dx))
    b.scatter_reverse(dolfinx.la.InsertMode.add)
    owned = space.dofmap.index_map.size_local
    nodal.x.array[:owned] = b.array[:owned] / mass.array[:owned]
    nodal.x.scatter_forward()
    return nodal


def _shared_nodes(bundle, v, dx, mass, cell_field) -> fem.Function:
    """P1 function that is 1 at nodes touching cells of more than one region, 0 elsewhere."""
    space = v.ufl_function_space()
    shared = fem.Function(space)
    for region in bundle.regions:
        share = _lumped(cell_field(bundle, {r: float(r == region) for r in bundle.regions}), v, dx, mass)
        inside = (share.x.array > 1e-12) & (share.x.array < 1.0 - 1e-12)
        shared.x.array[inside] = 1.0
    return shared


def _solve_shift(amount, rate, s: fem.Constant, comm, what: str) -> float:
    """Newton for the scalar s with ∫ amount(s) = 0 (increasing in s, derivative ∫ rate); returns s."""

    def total(form) -> float:
        return comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    s.value = 0.0  # type: ignore[assignment]  # the setter takes any array-like
    if total(rate) <= 0.0:
        return 0.0  # no node is shared by two regions: the start state is exact already
    for _ in range(50):
        step = float(np.clip(total(amount) / total(rate), -2.0, 2.0))
        s.value = float(s.value) - step  # type: ignore[assignment]
        if abs(step) < 1e-14:
            return float(s.value)
    raise SolverFailed(f"initial {what} inventory: the shift at the shared nodes did not converge")


def initial_potentials(bundle, dx, c0, fixed, poisson_mode: bool, cell_field) -> list[fem.Function]:
    """P1 nodal (μ̂⁺, μ̂⁻) of the start state with the exact Li⁺ and anion amounts."""
    mesh = bundle.mesh
    P1 = fem.functionspace(mesh, ("Lagrange", 1))
    v = ufl.TestFunction(P1)
    mass = fem.assemble_vector(fem.form(v * dx))
    mass.scatter_reverse(dolfinx.la.InsertMode.add)
    mu = [_lumped(ufl.ln(c0), v, dx, mass), _lumped(ufl.ln(c0 - fixed), v, dx, mass)]
    shared = _shared_nodes(bundle, v, dx, mass, cell_field)
    s = fem.Constant(mesh, 0.0)
    sv = ufl.variable(s)
    if poisson_mode:
        species = [
            (0, ufl.exp(mu[0] + sv * shared), c0, "Li⁺"),
            (1, ufl.exp(mu[1] + sv * shared), c0 - fixed, "anion"),
        ]
    else:
        species = [(1, concentrations(mu[0], mu[1] + sv * shared, fixed)[1], c0 - fixed, "anion")]
    for index, c, target, what in species:
        shift = _solve_shift(fem.form((c - target) * dx), fem.form(ufl.diff(c, sv) * dx), s, mesh.comm, what)
        mu[index].x.array[:] += shift * shared.x.array
        mu[index].x.scatter_forward()
    return mu
