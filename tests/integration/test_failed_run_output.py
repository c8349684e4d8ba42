"""A phase-field run that fails keeps what a finished run writes, of its last accepted state: the
front history in summary.json, the growth curve, the final field maps and a field snapshot at the
failure time (a long dendrite run usually ends in a Newton failure near the counter electrode, and
its history is the result)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conftest import read_summary
from test_stop_at_charge import CONFIG, STRIP

STEPS = 4


def test_a_failed_run_keeps_its_history_and_figures(sim, tmp_path):
    sets = [*STRIP, "output.fields=true", "physics.time.t_end=5.0", f"physics.time.max_steps={STEPS}"]
    result = sim(
        "run", CONFIG, "--out", tmp_path, "--quiet", *[a for s in sets for a in ("--set", s)], check=False
    )
    assert result.returncode == 3, result.stderr[-2000:]
    summary = read_summary(tmp_path)
    assert summary["status"] == "failed" and f"max_steps = {STEPS}" in summary["message"]
    history = summary["history"]
    assert len(history["t_s"]) == STEPS + 1  # t = 0 and each accepted step
    assert history["t_s"][-1] == summary["metrics"]["time_s"] > 0
    figures = {p.name for p in (tmp_path / "figures").glob("*.png")}
    assert {"dendrite_growth.png", "phase_field_xi.png"} <= figures, figures
    times = [
        float(d.get("timestep")) for d in ET.parse(tmp_path / "fields" / "phase_field_xi.pvd").iter("DataSet")
    ]
    assert times[0] == 0.0 and times[-1] == summary["metrics"]["time_s"], times
