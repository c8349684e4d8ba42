"""Phase-field dendrite runs through the CLI: PLM (PE filaments) grows a shorter dendrite than PEO
at equal charge (1 vs 2 ranks: test_configs.py; interrupt + --resume: test_resume.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = [
    "geometry.width=8.0e-6",
    "geometry.nuclei=[{center_x: 4.0e-6, radius: 1.6e-6}]",
    "output.figures=false",
]


@pytest.mark.slow
def test_plm_dendrite_is_shorter_at_equal_charge(tmp_path, sim_run):
    """Seed 001: with the PE skeleton the dendrite is shorter at the same passed charge."""
    sets = ["output.fields=false", "output.figures=false"]
    runs = {name: sim_run(f"configs/dendrite_{name}.yaml", tmp_path / name, sets) for name in ("peo", "plm")}
    charge = min(r["history"]["charge_C_m"][-1] for r in runs.values())
    height = {
        name: np.interp(charge, r["history"]["charge_C_m"], r["history"]["height_m"])
        for name, r in runs.items()
    }
    rough = {
        name: np.interp(charge, r["history"]["charge_C_m"], r["history"]["roughness_m"])
        for name, r in runs.items()
    }
    print(
        f"at {charge:.4g} C/m: height PEO {height['peo'] * 1e6:.3f} µm, PLM {height['plm'] * 1e6:.3f} µm; "
        f"roughness PEO {rough['peo'] * 1e6:.3f} µm, PLM {rough['plm'] * 1e6:.3f} µm"
    )
    assert height["plm"] < height["peo"]
    growth = {name: height[name] - r["history"]["height_m"][0] for name, r in runs.items()}
    assert growth["plm"] < growth["peo"]  # measured at default resolution: ~3 % less growth at 0.14 C/m
    assert rough["plm"] < rough["peo"]  # measured: ~6 % smoother
