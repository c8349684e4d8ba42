"""Steady binary electrolyte between electrodes that pass Li⁺ and block the anion (electroneutral):
linear concentration c = c0 + N/(2D⁺)(x − L/2), potential ψ = ln c + const, and limiting flux
4 D⁺ c0 / L (i_lim = 2F D_amb c0 / ((1 − t⁺) L) for a 1:1 salt)."""

import numpy as np
import pytest
from npp_setup import interval_bundle, problem, props

from sim.physics.npp import advance
from sim.physics.npp_output import NppOutput

LENGTH, D_PLUS, D_MINUS, C0 = 20.0, 2.4e-14, 9.6e-14, 1000.0  # µm, m²/s, m²/s, mol/m³


@pytest.mark.parametrize("fraction", [0.5, 0.9])
def test_linear_profile_and_limiting_flux(fraction):
    n_lim = 4.0 * D_PLUS * C0 / (LENGTH * 1e-6)
    bundle = interval_bundle(LENGTH, 100)
    p = problem(
        bundle,
        {"reaction": {"kind": "flux", "li_flux": fraction * n_lim}},
        {"electrolyte": props(D_PLUS, D_MINUS, c0=C0)},
    )
    out = NppOutput(p)
    advance(p, None, LENGTH * 1e-6, tolerance=1e-10)
    out.update()
    c = out.functions["concentration_Li_mol_m3"]
    dg_x = c.function_space.tabulate_dof_coordinates()[:, 0]
    exact = C0 * (1.0 + fraction * (2.0 * dg_x / LENGTH - 1.0))
    profile = np.abs(c.x.array - exact).max() / C0
    metrics = out.metrics(out.start_balance())
    c_anode = metrics["anode_concentration_Li_mol_m3"]
    measured_limit = fraction * n_lim / (1.0 - c_anode / C0)
    print(f"profile {profile:.1e}, limiting flux {measured_limit / n_lim - 1:.1e}", end=", ")
    # electroneutral binary: ψ = ln c + const, so the potential drop is (RT/F) ln(c_cathode/c_anode)
    drop = p.scales.potential * np.log(metrics["cathode_concentration_Li_mol_m3"] / c_anode)
    print(f"potential drop {metrics['potential_drop_V'] / drop - 1:.1e}")
    assert profile < 4e-4  # measured ≤ 4.4e-5
    assert measured_limit == pytest.approx(n_lim, rel=5e-4)  # measured ≤ 4.9e-5
    assert metrics["potential_drop_V"] == pytest.approx(drop, rel=1e-12)  # an identity: 5e-15


def test_depletion_at_sands_time():
    """Above the limiting flux Li⁺ runs out at the anode after Sand's time
    t_s = π D_amb c0² / (4 (N (1 − t⁺))²); the run stops there with a 'depleted' message."""
    from sim.config.time import TimeConfig
    from sim.solve import SolverFailed

    n_lim = 4.0 * D_PLUS * C0 / (LENGTH * 1e-6)
    flux = 10.0 * n_lim
    d_amb, t_plus = 2 * D_PLUS * D_MINUS / (D_PLUS + D_MINUS), D_PLUS / (D_PLUS + D_MINUS)
    sand = np.pi * d_amb * C0**2 / (4 * (flux * (1 - t_plus)) ** 2)  # ≈ 20 s
    bundle = interval_bundle(LENGTH, 200, grading=lambda s: s**2)  # 0.5 nm cells at the anode
    window = {"t_end": 2 * sand, "dt_initial": sand / 1000, "dt_max": sand / 200}
    p = problem(
        bundle,
        {"reaction": {"kind": "flux", "li_flux": flux}, "time": window, "checks": "warn"},
        {"electrolyte": props(D_PLUS, D_MINUS, c0=C0)},
    )
    out = NppOutput(p)
    times = []

    def on_step(stats):
        times.append(stats.t)
        out.check_depletion(stats.t)

    with pytest.raises(SolverFailed, match="depleted"):
        advance(p, TimeConfig(**window), LENGTH * 1e-6, on_step=on_step)
    print(f"depleted at {times[-1] / sand - 1:.1e} relative to Sand's time")
    assert times[-1] == pytest.approx(sand, rel=5e-3)  # measured 6.2e-4 (the last step's size)
