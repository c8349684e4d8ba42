"""`sim compare` of two phase-field runs plots dendrite height and roughness against passed charge."""

from __future__ import annotations

import json

from sim.compare import write_comparison


def _summary(name: str, slope: float) -> dict:
    charge = [0.0, 0.05, 0.1]
    return {
        "config_name": name,
        "status": "ok",
        "metrics": {"dendrite_height_m": 2e-6 * slope},
        "history": {
            "charge_C_m": charge,
            "height_m": [1e-6 + slope * 1e-5 * q for q in charge],
            "roughness_m": [1e-7 * (1 + q) for q in charge],
        },
    }


def test_height_and_roughness_vs_charge(tmp_path):
    runs = [tmp_path / "a", tmp_path / "b"]
    write_comparison([_summary("peo", 1.0), _summary("plm", 0.5)], runs, tmp_path)
    for name in ("height_vs_charge.png", "roughness_vs_charge.png"):
        assert (tmp_path / "figures" / name).stat().st_size > 1000
    report = json.loads((tmp_path / "comparison.json").read_text())
    assert report["ratio_b_over_a"]["dendrite_height_m"] == 0.5
