"""`physics.stop_at_tip` (every phase-field formulation): the run ends, status ok, at the first
accepted step whose tip reaches the height (a time to short circuit without running into the
counter electrode), with the same history as the run without the limit up to that step; resumed,
it takes no further step."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import read_summary, run_sim
from test_stop_at_charge import CONFIG as STRIP_CONFIG
from test_stop_at_charge import STRIP

ROOT = Path(__file__).resolve().parents[2]


def _case(formulation: str, reduced) -> tuple[str, list[str]]:
    if formulation == "electroneutral":  # a 1D front, 15 steps
        return STRIP_CONFIG, [*STRIP, "physics.time.t_end=0.56"]
    config = {"chen2015": "configs/dendrite_peo.yaml", "grand_potential": "configs/dendrite_hong2018.yaml"}
    return config[formulation], reduced(ROOT / config[formulation])


@pytest.mark.parametrize("formulation", ["chen2015", "electroneutral", "grand_potential"])
def test_run_ends_when_the_tip_reaches_the_height(sim_run, reduced_sets, tmp_path, formulation):
    config, sets = _case(formulation, reduced_sets)
    full = sim_run(config, tmp_path / "full", sets)
    heights = full["history"]["height_m"]
    k = len(heights) // 2  # the limit lies between steps k − 1 and k: the stop is at step k
    assert max(heights[:k]) < heights[k], heights
    limit = 0.5 * (max(heights[:k]) + heights[k])
    stopped = sim_run(config, tmp_path / "stop", [*sets, f"physics.stop_at_tip={limit!r}"])
    steps = full["num_steps"], stopped["num_steps"]
    print(f"{formulation}: {steps[0]} steps; limit {limit:.6g} m: stopped at step {steps[1]}")
    assert full["stopped_early"] is None
    assert stopped["status"] == "ok" and stopped["num_steps"] == k
    assert stopped["stopped_early"].startswith("stop_at_tip: the tip reached")
    assert stopped["history"]["height_m"] == heights[: k + 1] and heights[k] >= limit
    assert stopped["metrics"]["time_s"] == full["history"]["t_s"][k]


def test_resume_at_the_stop_takes_no_step(sim_run, reduced_sets, tmp_path):
    """A run that ended at `stop_at_tip`, resumed, stays as it is (it took one more step before)."""
    config, sets = _case("chen2015", reduced_sets)
    full = sim_run(config, tmp_path / "full", sets)
    heights = full["history"]["height_m"]
    k = len(heights) // 2
    limit = 0.5 * (max(heights[:k]) + heights[k])
    out = tmp_path / "stop"
    stop = [*sets, "physics.time.checkpoint_every=1", f"physics.stop_at_tip={limit!r}"]
    stopped = sim_run(config, out, stop)
    assert stopped["num_steps"] == k
    run_sim("run", "--resume", str(out), "--quiet")
    again = read_summary(out)
    assert again["status"] == "ok" and again["num_steps"] == k and again["history"] == stopped["history"]
    assert again["stopped_early"] == stopped["stopped_early"]
    assert "no step to take" in (out / "log.txt").read_text()
