"""Shared set-up for the phase-field verification tests: a ξ-only Allen–Cahn solve with a
prescribed (uniform) overpotential, concentration and stress, on DOLFINx built-in meshes."""

from __future__ import annotations

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.physics import phasefield as pf

fem = dolfinx.fem


class XiProblem:
    """Backward-Euler Allen–Cahn for ξ with the model's forms; `drive` is R × stress factor."""

    def __init__(self, mesh, coeffs: pf.Coefficients, drive=0.0, dt: float = 0.1) -> None:
        self.V = fem.functionspace(mesh, ("Lagrange", 1))
        self.xi, self.xi_n = fem.Function(self.V), fem.Function(self.V)
        self.dt = fem.Constant(mesh, dt)
        v = ufl.TestFunction(self.V)

        def energy(x, g):
            return pf.chemical_energy(x, g, coeffs)

        F = pf.allen_cahn_residual(self.xi, self.xi_n, self.dt, v, energy, drive, coeffs)
        opts = {
            "snes_type": "newtonls",
            "snes_linesearch_type": "bt",
            "snes_rtol": 1e-12,
            "snes_atol": 1e-13,
            "ksp_type": "preonly",
            "pc_type": "lu",
        }
        self.problem = fem.petsc.NonlinearProblem(
            F, self.xi, petsc_options_prefix="pfxi_", petsc_options=opts
        )

    def set(self, fn) -> None:
        self.xi.interpolate(fn)
        self.xi_n.x.array[:] = self.xi.x.array

    def advance(self, steps: int) -> None:
        for _ in range(steps):
            self.problem.solve()
            assert self.problem.solver.getConvergedReason() > 0
            self.xi_n.x.array[:] = self.xi.x.array

    def integral(self, expr) -> float:
        value = fem.assemble_scalar(fem.form(expr * ufl.dx(domain=self.V.mesh)))
        return self.V.mesh.comm.allreduce(value, op=MPI.SUM)


def front_position(x: np.ndarray, xi: np.ndarray) -> float:
    """x where a monotone decreasing 1D profile crosses 0.5 (linear interpolation)."""
    order = np.argsort(x)
    x, xi = x[order], xi[order]
    i = np.nonzero((xi[:-1] >= 0.5) & (xi[1:] < 0.5))[0][0]
    return x[i] + (xi[i] - 0.5) / (xi[i] - xi[i + 1]) * (x[i + 1] - x[i])


def tanh_profile(x0: float, width: float):
    return lambda x: 0.5 * (1 - np.tanh((x[0] - x0) / width))
