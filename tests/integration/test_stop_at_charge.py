"""`physics.stop_at_charge` (electroneutral phase field): the run ends at the first accepted step
whose passed charge reaches the limit (the ablation's equal-charge comparison, benchmarks/ablation.py),
with the snapshot of that last state; other formulations refuse the key. A phase field on the
counter electrode ends an electroneutral or chen2015 run as failed."""

from __future__ import annotations

import pytest
from conftest import one_line_error, read_summary

CONFIG = "configs/dendrite_peo_electroneutral.yaml"
STRIP = [
    "geometry.width=0.6e-6",
    "geometry.height=8.0e-6",
    "geometry.nuclei=[]",
    "materials={electrolyte: peo_litfsi_vs_t}",
    "geometry.refine_height=5.0e-6",
    "physics.li_film_thickness=3.0e-6",
    "geometry.mesh={size: 0.3e-6, min_size: 0.12e-6, refine_distance: 0.3e-6}",
    "physics.max_width_fraction=2.0",  # a strip narrower than the interface: a 1D front
    "output.fields=false",
]
LIMIT = 2.0e-5
"""C/m: reached at step 15 (t = 0.56 s) of the strip at −20 mV (measured: 19.3 then 21.7 µC/m)"""


def test_run_ends_at_the_charge(sim_run, tmp_path):
    sets = [*STRIP, "physics.time.t_end=5.0", f"physics.stop_at_charge={LIMIT}"]
    summary = sim_run(CONFIG, tmp_path, sets)
    charge = summary["history"]["charge_C_m"]
    print(f"stopped at t = {summary['metrics']['time_s']:.4g} s, step {summary['num_steps']}: {charge[-2:]}")
    assert summary["status"] == "ok"
    assert summary["metrics"]["time_s"] < 5.0
    assert charge[-2] < LIMIT <= charge[-1] == pytest.approx(summary["metrics"]["passed_charge_C_m"])
    shots = sorted(p.name for p in (tmp_path / "figures").glob("xi_t*s.png"))
    assert shots and shots[-1] == f"xi_t{summary['metrics']['time_s']:.4g}s.png", shots


@pytest.mark.parametrize("config", ["dendrite_peo.yaml", "dendrite_hong2018.yaml"])
def test_refused_by_the_other_formulations(sim, config):
    result = sim("validate", f"configs/{config}", "--set", "physics.stop_at_charge=1.0", check=False)
    one_line_error(result, 2, "stop_at_charge applies to formulation electroneutral only")


@pytest.mark.parametrize(
    ("config", "film", "ends"),
    [
        (CONFIG, 6.2e-6, "ok"),
        (CONFIG, 7.2e-6, "failed"),
        ("configs/dendrite_peo.yaml", 5.2e-6, "ok"),
        ("configs/dendrite_peo.yaml", 7.2e-6, "failed"),
    ],
    ids=[
        "electroneutral-1.8um-below",
        "electroneutral-0.8um-below",
        "chen2015-2.8um-below",
        "chen2015-0.8um-below",
    ],
)
def test_a_phase_field_on_the_counter_electrode_ends_the_run(sim, tmp_path, config, film, ends):
    """ξ > 0.05 on the counter electrode (sim.physics.phasefield_front.COUNTER_ELECTRODE_PHASE)
    ends the run as failed, exit 3, with the reason, instead of a collapse of Δt: the film's tanh
    tail 0.8 µm below the counter electrode has ξ = 0.11 there at the first step (measured,
    both formulations); electroneutral 1.8 µm below (ξ ≈ 0.007) goes on to 0.1 s. chen2015's film
    grows faster at its −50 mV (6.2 µm reached 0.05 at 0.066 s), so it starts 2.8 µm below."""
    sets = [*STRIP, f"physics.li_film_thickness={film}", "geometry.refine_height=8.0e-6"]
    sets += ["physics.time.t_end=0.1", "output.figures=false"]
    if config != CONFIG:  # chen2015: Table S1's PEO card, no nucleus region
        sets.append("materials={electrolyte: peo_litfsi}")
    result = sim(
        "run", config, "--out", tmp_path, "--quiet", *[a for s in sets for a in ("--set", s)], check=False
    )
    summary = read_summary(tmp_path)
    assert summary["status"] == ends, summary.get("message")
    if ends == "failed":
        assert result.returncode == 3
        assert "the phase field reached the counter electrode at t = " in summary["message"]
        # a failed run's totals are those of its last accepted state (they used to read 0)
        assert summary["num_steps"] == summary["time_stepping"]["num_steps"] > 0
        assert summary["num_dofs"] > 0 and summary["newton_iterations"] > 0
        assert "> 0.05" in summary["message"]
        print(summary["message"])
