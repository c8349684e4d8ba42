"""Manufactured solution for −∇·(σ∇φ) = f with variable σ: observed L2 order ≈ p + 1."""

from sim._dolfinx import dolfinx

import numpy as np
import pytest
import ufl
from mpi4py import MPI

from sim.physics.conduction import conduction_forms

fem = dolfinx.fem


def l2_error(n: int, degree: int) -> float:
    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, n, n)
    x = ufl.SpatialCoordinate(mesh)
    sigma = 1.0 + 0.5 * x[0] ** 2 + x[1]
    exact = ufl.sin(np.pi * x[0]) * ufl.cos(np.pi * x[1]) + x[0] * x[1]
    f = -ufl.div(sigma * ufl.grad(exact))
    V = fem.functionspace(mesh, ("Lagrange", degree))
    mesh.topology.create_connectivity(1, 2)
    boundary = dolfinx.mesh.exterior_facet_indices(mesh.topology)
    g = fem.Function(V)
    g.interpolate(fem.Expression(exact, V.element.interpolation_points))
    bc = fem.dirichletbc(g, fem.locate_dofs_topological(V, 1, boundary))
    a, L = conduction_forms(V, sigma, f)
    problem = fem.petsc.LinearProblem(
        a,
        L,
        bcs=[bc],
        petsc_options_prefix="mms_",
        petsc_options={"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"},
    )
    phi = problem.solve()
    err = fem.form((phi - exact) ** 2 * ufl.dx(metadata={"quadrature_degree": 2 * degree + 4}))
    return np.sqrt(mesh.comm.allreduce(fem.assemble_scalar(err), op=MPI.SUM))


@pytest.mark.parametrize("degree", [1, 2])
def test_observed_l2_order(degree):
    ns = [8, 16, 32]
    errors = [l2_error(n, degree) for n in ns]
    rates = [np.log2(errors[i] / errors[i + 1]) for i in range(len(ns) - 1)]
    assert rates[-1] == pytest.approx(degree + 1, abs=0.15), (errors, rates)
