"""The grand-potential model as a `sim run` model (configs/dendrite_hong2018.yaml, reduced to a few
µm and a few steps): a noise-free planar front stays planar and moves as the 1D forms' front
(test_grand_potential_kinetics.py) at the same uniform potential; no motion at the Nernst
potential; deposited Li = the charge the model consumes / F; 1 vs 2 ranks with noise on; the
config's refusals (exit 2, file:line:key). Resume: tests/integration/test_resume.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from conftest import one_line_error
from test_grand_potential_kinetics import equilibrium_potential, front_velocity, predicted_velocity

CONFIG = Path("configs/dendrite_hong2018.yaml")
QUIET = ["output.fields=false", "output.figures=false"]
DT, STEPS = 2.0, 6


def _planar(phi0: float) -> list[str]:
    """The 1D kinetics test's set-up on a 1 µm wide strip: front at 10 µm in 20 µm, φ = φ0 at both
    electrodes, no noise, Δt = 2 s."""
    dev = (
        f"{{pot_left: {{value: {phi0!r}, unit: V, source: test}}, "
        f"pot_right: {{value: {phi0!r}, unit: V, source: test}}, "
        "ic_pot_amplitude: {value: 0.0, unit: V, source: test}, "
        "ic_front_x: {value: 10.0, unit: um, source: test}, "
        "noise_amplitude: {value: 0.0, unit: 1/s, source: test}}"
    )
    return [
        *QUIET,
        "geometry.width=1.0e-6",
        "geometry.height=20.0e-6",
        "geometry.mesh={size: 0.1e-6, min_size: 0.1e-6}",
        "physics.min_elements_per_width=4",
        "physics.max_width_fraction=0.5",
        "solver.newton.rtol=1e-11",  # the drive is small: balances close to the Newton residual
        f"physics.deviations={dev}",
        f"physics.time={{t_end: {DT * STEPS}, dt_initial: {DT}, dt_max: {DT}}}",
    ]


def _velocity(summary: dict) -> float:
    """d/dt ∫η dA / width (µm/s) after two relaxation steps, as the 1D test measures it."""
    area = np.array(summary["history"]["li_area_m2"][2:]) * 1e12
    return (area[-1] - area[0]) / (DT * (len(area) - 1)) / 1.0


@pytest.fixture(scope="module")
def planar_runs(tmp_path_factory) -> dict[float, dict]:
    """Noise-free planar runs at φ_eq and φ_eq ∓ 30 mV (deposition below, stripping above)."""
    from conftest import run_config

    out = tmp_path_factory.mktemp("planar")
    return {
        d: run_config(CONFIG, out / f"d{d}", _planar(equilibrium_potential() + d)) for d in (0.0, -0.03, 0.03)
    }


def test_planar_front_stays_planar_and_moves_as_the_1d_front(planar_runs) -> None:
    """The drift of the front at φ_eq on gmsh's mesh (the same forms on a structured or jittered
    2D mesh: none) is subtracted; what is left is the 1D front's velocity."""
    v_eq = _velocity(planar_runs[0.0])
    for d, run in planar_runs.items():
        if d == 0.0:
            continue
        m, v = run["metrics"], _velocity(run)
        v1d, sharp = (
            front_velocity(equilibrium_potential() + d, steps=STEPS - 2, dt=DT),
            predicted_velocity(equilibrium_potential() + d),
        )
        print(
            f"{d * 1e3:+.0f} mV: 2D {v:.6e} (− drift at φ_eq {v - v_eq:.6e}), 1D {v1d:.6e}, sharp "
            f"{sharp:.6e} µm/s; excess height {m['dendrite_excess_height_m']:.3e} m, tip velocity "
            f"{m['tip_velocity_m_s']:.6e} m/s"
        )
        assert abs(v / v1d - 1) < 5e-2
        assert abs((v - v_eq) / v1d - 1) < 5e-3
        assert abs(m["dendrite_excess_height_m"]) < 1e-9
        assert m["tip_velocity_m_s"] == pytest.approx(v * 1e-6, rel=2e-2)
        assert m["faraday_rel_error"] < 1e-6 and m["li_balance_rel_error"] < 1e-10


def test_nernst_potential_does_not_move_the_front(planar_runs) -> None:
    v = {d: _velocity(run) for d, run in planar_runs.items()}
    print(f"φ_eq: {v[0.0]:.3e} µm/s; −30 mV: {v[-0.03]:.3e}; +30 mV: {v[0.03]:.3e}")
    assert v[-0.03] > 0 > v[0.03]  # deposition below φ_eq, stripping above
    assert abs(v[0.0]) < 5e-2 * abs(v[-0.03])


def _driven() -> list[str]:
    """The shipped drive (−0.45 V) and noise on a 6 × 30 µm strip for 0.2 s."""
    return [
        *QUIET,
        "geometry.width=6.0e-6",
        "geometry.height=30.0e-6",
        "physics.time.t_end=0.2",
    ]


@pytest.mark.mpi
def test_noisy_run_is_the_same_on_one_and_two_ranks(tmp_path, sim_run) -> None:
    one, two = (sim_run(CONFIG, tmp_path / f"n{n}", _driven(), ranks=n) for n in (1, 2))
    m1, m2 = one["metrics"], two["metrics"]
    print({k: (m1[k], m2[k]) for k in ("dendrite_height_m", "dendrite_excess_height_m", "faraday_rel_error")})
    assert m1["faraday_rel_error"] < 1e-6 and m2["faraday_rel_error"] < 1e-6
    assert m1["li_balance_rel_error"] < 1e-10
    assert m1["consumed_charge_C_m"] > 0 and m1["deposited_li_mol_m"] > 0
    assert m1["dendrite_excess_height_m"] > 0  # the noise roughens the front
    keys = [k for k in m1 if not k.endswith("rel_error")]  # those: round-off, bounded above
    worst = max(abs(m2[k] - m1[k]) / abs(m1[k]) for k in keys if abs(m1[k]) > 1e-14)
    print(f"1 vs 2 ranks: worst metric {worst:.2e} relative")
    for key in keys:
        assert m2[key] == pytest.approx(m1[key], rel=2e-13, abs=1e-14), key  # measured 1.3e-14


@pytest.mark.parametrize(
    "sets,key,fragment",
    [
        (["physics.mechanics=monolithic"], "physics.mechanics", "does not apply to formulation"),
        (["physics.applied_voltage=-0.1"], "physics.applied_voltage", "pot_left"),
        (
            ["geometry.nuclei=[{center_x: 5.0e-6, radius: 1.0e-6}]", "materials.nucleus=peo_litfsi"],
            "geometry.nuclei",
            "planar front",
        ),
        (["physics.parameters=table_s1"], "physics.parameters", "unknown grand-potential card"),
        (
            ["physics.deviations={dt: {value: 0.1, unit: s, source: x}}"],
            "physics.deviations",
            "changes nothing",
        ),
        (
            ["physics.deviations={kappa0: {value: 0.1, unit: um2, source: x}}"],
            "physics.deviations",
            "unknown grand-potential parameter",
        ),
    ],
)
def test_keys_that_do_not_apply_are_refused(sim, sets, key, fragment) -> None:
    args = [a for s in sets for a in ("--set", s)]
    result = sim("validate", CONFIG, *args, check=False)
    line = one_line_error(result, 2, fragment)
    assert "dendrite_hong2018.yaml:" in line and key in line, line


def test_noise_seed_is_refused_by_chen2015(sim) -> None:
    result = sim("validate", "configs/dendrite_peo.yaml", "--set", "physics.noise_seed=3", check=False)
    one_line_error(result, 2, "noise_seed applies to formulation grand_potential only")


@pytest.mark.parametrize("config", ["dendrite_peo.yaml", "dendrite_peo_electroneutral.yaml"])
def test_noise_reference_dt_is_refused_by_the_other_formulations(sim, config) -> None:
    result = sim("validate", f"configs/{config}", "--set", "physics.noise_reference_dt=0.02", check=False)
    line = one_line_error(result, 2, "noise_reference_dt applies to formulation grand_potential only")
    assert f"{config}:" in line and "physics" in line, line


def test_detail_tolerance_is_refused_by_the_other_formulations(sim) -> None:
    sets = ["physics.adaptivity={levels: 1, detail_tolerance: 0.05}"]
    result = sim(
        "validate", "configs/dendrite_peo.yaml", *(a for s in sets for a in ("--set", s)), check=False
    )
    line = one_line_error(
        result, 2, "adaptivity.detail_tolerance applies to formulation grand_potential only"
    )
    assert "dendrite_peo.yaml:" in line, line


def test_noise_reference_dt_scales_the_model_s_draw(tmp_path, sim_run) -> None:
    """At Δt = 0.01 s = 4 × noise_reference_dt each draw is half the card's: the run is exactly the
    one with the amplitude halved (0.02/s) and no reference Δt; the full amplitude would differ."""
    sets = [*_driven(), "physics.time={t_end: 0.03, dt_initial: 0.01, dt_max: 0.01}"]
    half = "{noise_amplitude: {value: 0.02, unit: 1/s, source: test}}"
    runs = {
        "scaled": sim_run(CONFIG, tmp_path / "scaled", [*sets, "physics.noise_reference_dt=0.0025"]),
        "halved": sim_run(CONFIG, tmp_path / "halved", [*sets, f"physics.deviations={half}"]),
        "card": sim_run(CONFIG, tmp_path / "card", sets),
    }
    m = {name: run["metrics"] for name, run in runs.items()}
    assert m["scaled"]["num_steps"] == 3
    assert m["scaled"] == m["halved"]
    assert m["card"]["dendrite_excess_height_m"] != m["scaled"]["dendrite_excess_height_m"]
