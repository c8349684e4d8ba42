"""Allen–Cahn part of the phase-field model without reaction (L_η = 0): the equilibrium profile,
its energy, and curvature-driven shrinkage of a disk."""

from __future__ import annotations

from sim._dolfinx import dolfinx

import numpy as np
import ufl
from mpi4py import MPI

from sim.physics import phasefield as pf
from tests.verification.pf_helpers import XiProblem, tanh_profile

KAPPA = 0.5  # κ/W in mesh units², so δ = √(2κ/W) = 1


def test_equilibrium_profile_and_energy():
    """A too-wide tanh relaxes to ½[1 − tanh(x/δ)], δ = √(2κ/W); energy √(κW/18) within 2 %."""
    mesh = dolfinx.mesh.create_interval(MPI.COMM_WORLD, 300, [-10.0, 10.0])
    coeffs = pf.Coefficients(mobility=1.0, kappa=KAPPA, reaction=0.0)
    prob = XiProblem(mesh, coeffs, dt=0.5)
    prob.set(tanh_profile(0.0, 3.0))
    prob.advance(60)
    delta = np.sqrt(2 * KAPPA)
    x = prob.V.tabulate_dof_coordinates()[:, 0]
    exact = 0.5 * (1 - np.tanh(x / delta))
    err = np.max(np.abs(prob.xi.x.array - exact))
    print(f"profile max error {err:.2e}, energy ratio", end=" ")
    assert err < 4e-4  # measured 4.2e-5
    xi = prob.xi
    energy = prob.integral(pf.chemical_energy(xi, ufl.grad(xi), coeffs))
    gamma = np.sqrt(KAPPA * 1.0 / 18)  # √(κW/18) with W = 1
    print(energy / gamma)
    assert abs(energy / gamma - 1) < 1.5e-3, energy / gamma  # measured 1.5e-4


def test_disk_shrinkage():
    """R² = R0² − 2 L_σ κ t for a disk (quarter domain with symmetry), within 3 %."""
    n, size, r0, t_end, dt = 80, 16.0, 10.0, 20.0, 0.5
    mesh = dolfinx.mesh.create_rectangle(
        MPI.COMM_WORLD, [[0, 0], [size, size]], [n, n], dolfinx.mesh.CellType.quadrilateral
    )
    coeffs = pf.Coefficients(mobility=1.0, kappa=KAPPA, reaction=0.0)
    prob = XiProblem(mesh, coeffs, dt=dt)
    delta = np.sqrt(2 * KAPPA)
    prob.set(lambda x: 0.5 * (1 - np.tanh((np.hypot(x[0], x[1]) - r0) / delta)))

    def radius() -> float:  # from the Li area of the quarter disk
        return np.sqrt(4 * prob.integral(prob.xi) / np.pi)

    r_start = radius()
    prob.advance(int(t_end / dt))
    expected = np.sqrt(r_start**2 - 2 * 1.0 * KAPPA * t_end)
    shrink, shrink_expected = r_start**2 - radius() ** 2, r_start**2 - expected**2
    print("shrinkage ratio", shrink / shrink_expected)
    assert abs(shrink / shrink_expected - 1) < 0.03, (shrink, shrink_expected)  # measured 9.0e-3
