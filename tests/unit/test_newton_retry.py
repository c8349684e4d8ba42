"""A Newton solve whose direct factorisation fails must end as a rejected step, and the retry
must factorise afresh (sim.timestep.discard_failed_factorisation): PETSc's MUMPS interface skips
the numerical factorisation after a failed one, and the retry's solve would then raise
MUMPS INFOG(1) = -3 instead of converging."""

from __future__ import annotations

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.physics.dendrite import solve_staggered
from sim.timestep import newton_solve

fem = dolfinx.fem


def problem(**overrides) -> tuple:
    """(u² − 1) v dx = 0: the Jacobian 2u·M is exactly zero at u = 0 (MUMPS INFOG(1) = −10)."""
    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, 4, 4)
    V = fem.functionspace(mesh, ("Lagrange", 1))
    u, v = fem.Function(V), ufl.TestFunction(V)
    options = {
        "snes_type": "newtonls",
        "snes_rtol": 1e-10,
        "snes_max_it": 20,
        "ksp_type": "preonly",
        "pc_type": "lu",
        "pc_factor_mat_solver_type": "mumps",
    } | overrides
    residual = (u**2 - 1) * v * ufl.dx
    return fem.petsc.NonlinearProblem(residual, u, petsc_options_prefix="retry_", petsc_options=options), u


def test_failed_factorisation_is_a_rejection_and_the_retry_converges():
    nonlinear, u = problem()
    u.x.array[:] = 0.0
    first = newton_solve(nonlinear, [u])
    assert not first.converged
    assert "MUMPS INFOG(1) = -10" in first.reason
    u.x.array[:] = 2.0  # a retry from a good state (as after a smaller Δt)
    retry = newton_solve(nonlinear, [u])
    assert retry.converged, retry.reason
    assert np.allclose(u.x.array, 1.0, atol=1e-9)


def test_the_staggered_mechanics_solve_discards_a_failed_factorisation_too():
    """The same through sim.physics.dendrite.solve_staggered (one KSP solve through SNES ksponly):
    without the reset the second solve raises MUMPS INFOG(1) = −3."""
    linear, u = problem(snes_type="ksponly")
    u.x.array[:] = 0.0
    assert not solve_staggered(linear)[0]
    u.x.array[:] = 2.0
    assert solve_staggered(linear)[0]
    assert np.allclose(u.x.array, 1.25, atol=1e-12)  # one Newton step from 2: 2 − (4 − 1)/4
