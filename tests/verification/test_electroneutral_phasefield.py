"""The electroneutral phase-field formulation (sim.physics.electroneutral) on 1D-like strips of the
dendrite geometry: Faraday (counter-electrode charge / F = deposited Li), Li, anion and charge
balances per step, positivity, Nernst equilibrium and the planar front velocity against the
sharp-interface Butler–Volmer rate. Measured values are in the comments and in README."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from mpi4py import MPI

from sim.config import ConfigError, load_config
from sim.mesh import build_mesh
from sim.physics.electroneutral.model import Balances
from sim.physics.electroneutral.problem import ElectroneutralProblem
from sim.timestep import TimeStats
from sim.units import F, R

CONFIG = Path(__file__).parents[2] / "configs" / "dendrite_peo_electroneutral.yaml"
STRIP = [
    "geometry.width=0.6e-6",
    "geometry.height=8.0e-6",  # 7 widths above the front: no pull to the Neumann top (∝ e^{-2d/δ})
    "geometry.nuclei=[]",
    "materials={electrolyte: peo_litfsi_vs_t}",
    "geometry.refine_height=5.0e-6",
    "physics.li_film_thickness=3.0e-6",  # 4 widths: the front feels neither the ξ = 1 anode nor the top
    "geometry.mesh={size: 0.3e-6, min_size: 0.12e-6, refine_distance: 0.3e-6}",
]
MOF = "materials.electrolyte=peo_mof"  # t⁺ = 0.5, r = 4: immobile anion fraction 0.75
CONDUCTIVE = (
    "materials.electrolyte={conductivity: {value: 1.0e4, unit: S/m, source: test}, "
    "transference_number: {value: 0.5, unit: '1', source: test}, "
    "salt_concentration: {value: 1000, unit: mol/m3, source: test}}"
)
"""a verification card: transport so fast that the interface overpotential is the applied voltage"""


def _run(overrides: list[str], steps: int, dt: float, growth: float = 1.0):
    cfg = load_config(CONFIG, STRIP + overrides).config
    problem = ElectroneutralProblem(cfg, build_mesh(cfg.geometry, MPI.COMM_WORLD))
    problem.initial_state()
    balances = Balances(problem)
    t = 0.0
    for _ in range(steps):
        outcome = problem.step(t, dt)
        while not outcome.converged and dt > 1e-6:  # as the run loop: retry with a smaller step
            problem.reject()
            dt /= 4
            outcome = problem.step(t, dt)
        assert outcome.converged, outcome.reason
        problem.accept()
        t += dt
        balances.record(t, dt)
        dt *= growth
    return problem, balances, balances.metrics(TimeStats(t=t, steps=steps))


@pytest.mark.parametrize("card", ["peo_litfsi_vs_t", "peo_mof"])
def test_faraday_and_balances(card):
    """Counter-electrode charge / F = deposited Li; Li, anions and charge balanced every step, with
    and without immobile anions (they are released as free anions where the metal grows)."""
    _, _, m = _run([f"materials.electrolyte={card}", "physics.applied_voltage=-0.02"], 8, 5e-3, 1.5)
    print(
        f"{card}: f = {m['immobile_anion_fraction']:.2f}, deposited {m['deposited_li_mol_m']:.3e} mol/m, "
        f"Faraday {m['faraday_rel_error']:.1e}, Li {m['li_balance_rel_error']:.1e}, "
        f"anion {m['anion_balance_rel_error']:.1e}, charge {m['charge_balance_rel_error']:.1e}"
    )
    assert m["deposited_li_mol_m"] > 0
    assert m["faraday_rel_error"] < 2e-11  # measured 2.3e-13 (PEO), 3.3e-12 (MOF): Newton tolerance
    assert m["li_balance_rel_error"] < 1e-13  # measured 7.0e-15, 5.7e-15 per step: round-off
    assert m["anion_balance_rel_error"] < 3e-13  # measured 2.7e-14, 2.2e-15
    assert m["charge_balance_rel_error"] < 5e-14  # measured 4.4e-15, 6.1e-15


def test_concentrations_positive_under_depletion():
    """A drive far above the limiting current depletes Li⁺ at the front: it stays positive."""
    _, _, m = _run(["physics.applied_voltage=-0.3"], 30, 2e-3, 1.2)
    c_min = m["min_electrolyte_concentration_mol_m3"]
    print(f"min Li⁺ {c_min:.3g} mol/m³ (ξ < ½); Faraday {m['faraday_rel_error']:.1e}")
    assert 0 < c_min < 30  # measured 2.4 mol/m³: depleted to 0.2 % of c0, never negative
    assert m["faraday_rel_error"] < 1e-11  # measured 1.1e-14


def _front(overrides: list[str], steps: int = 6, dt: float = 0.05) -> tuple[float, float]:
    """(velocity, Li⁺/c0 at the interface) of the planar front over the last half of the steps:
    v = d∫h(ξ)/dt per unit width (m/s); ĉ⁺ averaged over the nodes with 0.3 < ξ < 0.7, at the
    window's start and end (the growing metal takes electrolyte volume: the salt concentrates)."""
    cfg = load_config(CONFIG, [*STRIP, CONDUCTIVE, *overrides]).config
    problem = ElectroneutralProblem(cfg, build_mesh(cfg.geometry, MPI.COMM_WORLD))
    problem.initial_state()
    balances = Balances(problem)
    metal, c_front = [], []
    for k in range(steps):
        assert problem.step(k * dt, dt).converged
        problem.accept()
        balances.record((k + 1) * dt, dt)
        if k + 1 in (steps // 2, steps):
            xi = problem.U.x.array[problem.xi_dofs]
            c_front.append(float(balances._nodal_c()[(xi > 0.3) & (xi < 0.7)].mean()))
            metal.append(balances.history["metal"][-1] * 1e-12 / 0.6e-6)  # µm² → m², per strip width
    return (metal[1] - metal[0]) / (dt * (steps - steps // 2)), float(np.mean(c_front))


def test_nernst_equilibrium():
    """No motion at the metal's Nernst potential (φ_s = μ⁺ = 0 for the uniform salt at c0); opposite
    motion either side of it."""
    v0, _ = _front(["physics.applied_voltage=0.0"])
    v_minus, _ = _front(["physics.applied_voltage=-0.001"])
    v_plus, _ = _front(["physics.applied_voltage=0.001"])
    print(f"front velocity at 0: {v0:.2e}, at ∓1 mV: {v_minus:.3e}, {v_plus:.3e} m/s")
    assert abs(v0) < 7e-4 * abs(v_minus)  # measured 8.8e-5 (6.8e-12 vs 7.7e-8 m/s)
    assert v_minus > 0 > v_plus


def test_planar_front_velocity_vs_butler_volmer():
    """A random small cathodic drive: v = 3δ L_η |R|, the sharp-interface rate of the shared ξ
    equation (tests/verification/test_phasefield_kinetics.py; δ the width normal to the front),
    R = ĉ^{1−α}[e^{(1−α)η_s} − e^{−αη_s}] the Butler–Volmer rate at the interface concentration ĉ,
    η_s = φ_s − μ⁺ the applied voltage (the verification card's transport is fast: μ⁺ ≈ 0)."""
    volts = -float(np.random.default_rng(10).uniform(0.5e-3, 2e-3))
    cfg = load_config(CONFIG, STRIP).config
    v = cfg.physics.values()
    eta = volts * F / (R * v["T"])
    measured, c = _front([f"physics.applied_voltage={volts}"])
    rate = math.sqrt(c) * (math.exp(0.5 * eta) - math.exp(-0.5 * eta))
    # the front faces the preferred direction θ0: κ = κ0 (1 + δ_a), width √(2κ/W)
    width = cfg.physics.interface_width() * math.sqrt(1 + v["delta"])
    expected = 3 * width * v["L_eta"] * abs(rate)
    print(f"η = {volts * 1e3:.3f} mV, ĉ = {c:.4f}: v = {measured:.5e} m/s, sharp-interface BV {expected:.5e}")
    assert measured == pytest.approx(expected, rel=0.01)  # measured 1.1e-3


@pytest.mark.parametrize(
    ("overrides", "key"),
    [
        (["physics.mechanics=monolithic"], "mechanics"),
        (["physics.mechanics=staggered", "physics.stress_coupling=full"], "stress_coupling"),
        (["physics.deviations.D_l={value: 1e-10, unit: m2/s, source: why}"], "D_l"),
        (["physics.cathode_concentration=0.5"], "cathode_concentration"),
        (["physics.equilibrium_potential=0.1"], "equilibrium_potential"),
    ],
)
def test_refused_keys(overrides, key):
    """Keys without effect in this formulation are validation errors (exit 2)."""
    with pytest.raises(ConfigError, match=key) as error:
        load_config(CONFIG, overrides)
    assert "electroneutral" in str(error.value)
