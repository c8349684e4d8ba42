"""Grand-potential model, zero drive: the 1D equilibrium η profile and the interface energy.

With L_η = 0 the η equation is stationary where B g′(η) = κ η″; on the line its solution is
η0 = ½(1 − tanh kx), k = √(B/2κ) (= 2 µm⁻¹ for the hong2018 card, as its initial condition
tanh((x − 20)·2)), and the interface energy is γ = ∫ (κ/2 η0′² + B g(η0)) dx = √(2κB)/6 (first
integral κ/2 η0′² = B g). The half line x ≥ 0 with η(0) = ½ is solved (on the whole line the front
position is a near-null mode and Newton stalls); its energy is γ/2. Linear elements: L2 error and
energy error both O(h²).
"""

from __future__ import annotations

import dataclasses
import math

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.physics.grand_potential import forms
from sim.physics.grand_potential.card import parameter_cards, scaled

fem = dolfinx.fem
LENGTH = 8.0  # µm; tanh tail e^{-2kX} = e^{-32} is below round-off


def _solve_profile(cells: int) -> tuple[float, float]:
    """(L2 error of η vs η0, interface energy − γ) of the stationary η equation on `cells` cells."""
    p = dataclasses.replace(scaled(parameter_cards()["hong2018"]), reaction=0.0)
    k = math.sqrt(p.barrier / (2 * p.kappa))
    mesh = dolfinx.mesh.create_interval(MPI.COMM_WORLD, cells, [0.0, LENGTH])
    V = fem.functionspace(mesh, ("Lagrange", 1))
    eta = fem.Function(V)
    eta.interpolate(lambda x: 0.5 * (1 - np.tanh(0.7 * k * x[0])))  # a wrong width: Newton must find k
    zero = fem.Constant(mesh, 0.0)
    F = forms.eta_residual(eta, eta, zero, zero, ufl.TestFunction(V), fem.Constant(mesh, 1.0), p)
    ends = dolfinx.mesh.locate_entities_boundary(
        mesh, 0, lambda x: np.isclose(x[0], 0.0) | np.isclose(x[0], LENGTH)
    )
    dofs = fem.locate_dofs_topological(V, 0, ends)
    left = fem.Function(V)
    left.interpolate(lambda x: np.where(x[0] < 1.0, 0.5, 0.0))
    opts = {
        "snes_type": "newtonls",
        "snes_rtol": 1e-12,
        "snes_atol": 1e-13,
        "ksp_type": "preonly",
        "pc_type": "lu",
    }
    problem = fem.petsc.NonlinearProblem(
        F, eta, bcs=[fem.dirichletbc(left, dofs)], petsc_options_prefix="gpeq_", petsc_options=opts
    )
    problem.solve()
    assert problem.solver.getConvergedReason() > 0
    x = ufl.SpatialCoordinate(mesh)
    exact = 0.5 * (1 - ufl.tanh(k * x[0]))
    energy = 0.5 * p.kappa * ufl.inner(ufl.grad(eta), ufl.grad(eta)) + p.barrier * forms.double_well(eta)

    def integral(expr) -> float:
        form = fem.form(expr * ufl.dx(metadata={"quadrature_degree": 8}))
        return mesh.comm.allreduce(fem.assemble_scalar(form), op=MPI.SUM)

    gamma = math.sqrt(2 * p.kappa * p.barrier) / 6 / 2  # half line
    return math.sqrt(integral((eta - exact) ** 2)), integral(energy) - gamma


def test_equilibrium_profile_and_interface_energy_converge_at_second_order() -> None:
    results = [_solve_profile(cells) for cells in (32, 64, 128, 256)]
    l2 = np.array([r[0] for r in results])
    energy = np.abs([r[1] for r in results])
    order_l2 = np.log2(l2[:-1] / l2[1:])
    order_energy = np.log2(energy[:-1] / energy[1:])
    print(f"L2 {l2}, order {order_l2}; energy error {energy} (γ/2 = 0.1), order {order_energy}")
    assert l2[-1] < 8e-4
    assert energy[-1] < 1.5e-4
    assert np.all(np.abs(order_l2[1:] - 2) < 0.07)
    assert np.all(np.abs(order_energy[1:] - 2) < 0.07)
