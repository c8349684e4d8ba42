"""Manufactured solutions for the coupled steady NPP system: observed L2 order ≈ p + 1 (2 for P1,
3 for P2) in the Li⁺ and anion concentrations and the potential, with Poisson and in the
electroneutral limit."""

from sim._dolfinx import dolfinx

import numpy as np
import pytest
import ufl
from mpi4py import MPI

from sim.config.physics import NewtonConfig, SolverConfig
from sim.physics.npp import mixed_space
from sim.physics.npp_forms import concentrations, nernst_planck, poisson
from sim.solve import petsc_options

fem = dolfinx.fem


def exact(x, mode):
    c_p = 1.2 + 0.3 * ufl.sin(np.pi * x[0]) * ufl.cos(np.pi * x[1])
    fixed = 0.3 + 0.2 * x[0] * x[1]
    psi = 0.5 * x[0] * x[1] + 0.2 * ufl.sin(np.pi * x[1])
    c_m = c_p - fixed if mode == "electroneutral" else 0.9 + 0.2 * ufl.cos(np.pi * x[0] * x[1])
    return c_p, c_m, psi, fixed


def errors(n: int, mode: str, degree: int = 1) -> np.ndarray:
    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, n, n)
    x = ufl.SpatialCoordinate(mesh)
    poisson_mode = mode == "poisson"
    W = mixed_space(mesh, degree, 3 if poisson_mode else 2)
    w = fem.Function(W)
    c_p_ex, c_m_ex, psi_ex, fixed = exact(x, mode)
    mu_ex = [ufl.ln(c_p_ex) + psi_ex, ufl.ln(c_m_ex) - psi_ex] + ([psi_ex] if poisson_mode else [])
    d_p, d_m, eps = 1.0, 1.7, 0.4
    dx = ufl.Measure("dx", domain=mesh, metadata={"quadrature_degree": 8})
    unknowns = ufl.split(w)
    tests = ufl.TestFunctions(W)
    c_p, c_m, psi = concentrations(unknowns[0], unknowns[1], fixed, unknowns[2] if poisson_mode else None)
    residual = 0
    for c, c_ex, d, mu, mu_e, v in (
        (c_p, c_p_ex, d_p, unknowns[0], mu_ex[0], tests[0]),
        (c_m, c_m_ex, d_m, unknowns[1], mu_ex[1], tests[1]),
    ):
        source = -ufl.div(d * c_ex * ufl.grad(mu_e))
        residual += nernst_planck(c, None, d, mu, v, None, dx, source)
    if poisson_mode:
        g = -ufl.div(eps * ufl.grad(psi_ex)) - (c_p_ex - c_m_ex - fixed)
        residual += poisson(psi, tests[2], eps, c_p - c_m - fixed, dx) - g * tests[2] * dx
    mesh.topology.create_connectivity(1, 2)
    facets = dolfinx.mesh.exterior_facet_indices(mesh.topology)
    bcs = []
    for i, mu_e in enumerate(mu_ex):
        Vi, _ = W.sub(i).collapse()
        g_i = fem.Function(Vi)
        g_i.interpolate(fem.Expression(mu_e, Vi.element.interpolation_points))
        dofs = fem.locate_dofs_topological((W.sub(i), Vi), 1, facets)
        bcs.append(fem.dirichletbc(g_i, dofs, W.sub(i)))
    problem = fem.petsc.NonlinearProblem(
        residual,
        w,
        bcs=bcs,
        petsc_options_prefix=f"mms_{mode}_{n}_{degree}_",
        petsc_options=petsc_options(
            SolverConfig(newton=NewtonConfig(rtol=1e-12, atol=1e-12, max_iterations=30)),
            symmetric=False,
            nonlinear=True,
        ),
    )
    problem.solve()
    assert problem.solver.getConvergedReason() > 0
    c_p, c_m, psi = concentrations(w.sub(0), w.sub(1), fixed, w.sub(2) if poisson_mode else None)
    out = []
    for err in (c_p - c_p_ex, c_m - c_m_ex, psi - psi_ex):
        value = mesh.comm.allreduce(fem.assemble_scalar(fem.form(err**2 * dx)), op=MPI.SUM)
        out.append(np.sqrt(value))
    return np.array(out)


@pytest.mark.parametrize("degree", [1, 2])
@pytest.mark.parametrize("mode", ["poisson", "electroneutral"])
def test_npp_mms_order(mode, degree):
    ns = [8, 16, 32] if degree == 1 else [4, 8, 16]
    errs = [errors(n, mode, degree) for n in ns]
    rates = np.log2(errs[1] / errs[2])
    assert rates == pytest.approx([degree + 1] * 3, abs=0.15), (errs, rates)
