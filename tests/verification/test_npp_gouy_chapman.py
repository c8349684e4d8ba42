"""Equilibrium double layer (Poisson mode, blocking electrodes) vs Gouy–Chapman on a graded mesh.

A closed 1:1 cell relaxes to c± = c_b exp(∓(ψ − ψ_b)) with −ε∇²ψ = F(c⁺ − c⁻); near the electrode
held at ψ0 the profile is tanh((ψ − ψ_b)/4) = tanh((ψ0 − ψ_b)/4) exp(−x/λ_D), λ_D = √(εRT/(2F²c_b)).
Bulk values c_b, ψ_b are read at the cell centre (the cell is 40 λ_D long)."""

import numpy as np
import pytest
from npp_setup import interval_bundle, problem, props

from sim.physics.npp import advance
from sim.physics.npp_forms import Scales
from sim.units import EPS0, F, R

T, C0, EPS_R, PSI0 = 298.15, 1000.0, 5.0, 4.0  # K, mol/m³, -, anode potential in RT/F
DEBYE = np.sqrt(EPS0 * EPS_R * R * T / (2 * F**2 * C0))  # m, ≈ 0.077 nm
LENGTH = 40.0  # in Debye lengths (the mesh unit is λ_D)


def test_gouy_chapman_double_layer():
    bundle = interval_bundle(LENGTH, 240, grading=lambda s: 0.5 * (1 - np.cos(np.pi * s)), length_scale=DEBYE)
    material = props(1e-12, 1e-12, c0=C0, eps_r=EPS_R)
    scales = Scales(DEBYE, C0, 1e-12, T)
    p = problem(
        bundle,
        {
            "mode": "poisson",
            "reaction": {"kind": "blocking"},
            "potential_difference": -PSI0 * scales.potential,
        },
        {"electrolyte": material},
        scales,
    )
    assert scales.debye_length(EPS_R, 2.0) == pytest.approx(1.0)
    advance(p, None, LENGTH * DEBYE, tolerance=1e-10)
    V, psi_dofs = p.W.sub(2).collapse()
    x = V.tabulate_dof_coordinates()[:, 0]
    psi = p.w.x.array[np.ravel(psi_dofs)]
    mu_p = p.w.x.array[np.ravel(p.W.sub(0).collapse()[1])]
    mid = np.argmin(np.abs(x - LENGTH / 2))
    psi_b, c_b = psi[mid], np.exp(mu_p[mid] - psi[mid])
    lam = 1.0 / np.sqrt(c_b)
    near = x < LENGTH / 2
    drop0 = -psi_b  # ψ(0) − ψ_b with ψ(0) = 0
    exact = psi_b + 4 * np.arctanh(np.tanh(drop0 / 4) * np.exp(-x[near] / lam))
    err = np.abs(psi[near] - exact).max() / abs(drop0)
    assert abs(drop0) > 1.0  # a nonlinear double layer
    print(f"Gouy-Chapman max error {err:.1e}, ptp(mu+) {np.ptp(mu_p):.1e}")
    assert err < 1e-3, err  # measured 1.2e-4
    # Li⁺ and anion are Boltzmann-distributed: μ± uniform
    assert np.ptp(mu_p) < 1e-12  # measured 8e-15
