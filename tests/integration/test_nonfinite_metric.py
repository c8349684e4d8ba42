"""No `ok` summary with a non-finite metric (issue 14): the run loop turns a NaN or infinite metric
into status `failed`, exit 3, with a message naming the metric."""

import json
import math
import sys
import types
from dataclasses import replace
from pathlib import Path

import pytest

import sim.runner
from sim.config import load_config
from sim.physics.model import CAPABILITIES
from sim.solve import RunResult

TINY = Path(__file__).resolve().parents[1] / "data" / "tiny_layers.yaml"


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_metric_fails_the_run(tmp_path, monkeypatch, bad):
    fake = types.ModuleType("fake_nan_physics")
    fake.run = lambda config, bundle, ctx: RunResult(metrics={"current": 1.0, "resistance": bad}, num_dofs=1)
    monkeypatch.setitem(sys.modules, "fake_nan_physics", fake)
    monkeypatch.setitem(
        CAPABILITIES, "conduction", replace(CAPABILITIES["conduction"], module="fake_nan_physics")
    )
    code = sim.runner.execute(load_config(TINY), tmp_path / "out", quiet=True).exit_code
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert code == 3
    assert summary["status"] == "failed"
    assert "non-finite metric" in summary["message"] and "resistance" in summary["message"]
    assert "current" not in summary["message"]


def test_finite_metrics_stay_ok(tmp_path, monkeypatch):
    fake = types.ModuleType("fake_ok_physics")
    fake.run = lambda config, bundle, ctx: RunResult(metrics={"current": 1.0, "count": 3}, num_dofs=1)
    monkeypatch.setitem(sys.modules, "fake_ok_physics", fake)
    monkeypatch.setitem(
        CAPABILITIES, "conduction", replace(CAPABILITIES["conduction"], module="fake_ok_physics")
    )
    assert sim.runner.execute(load_config(TINY), tmp_path / "out", quiet=True).exit_code == 0
    assert json.loads((tmp_path / "out" / "summary.json").read_text())["status"] == "ok"
