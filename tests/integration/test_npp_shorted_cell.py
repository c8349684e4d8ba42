"""The issue-14 cell through `sim run`: Li | A | B | Li, one salt at c0 = 1600 and 320 mol/m³,
shorted (ΔV = 0), Butler–Volmer, electroneutral, 2D. In equilibrium the salt is uniform at the
inventory mean (l_A c_A + l_B c_B)/(l_A + l_B) = 960 mol/m³ and no current flows (the per-layer
reference gave −0.29 A/m² here, forever)."""

import json
from pathlib import Path

from sim.config import load_config
from sim.runner import execute

CONFIG = """
name: shorted_two_layer
description: Li | A (c0 1600) | B (c0 320) | Li, one salt, shorted
geometry:
  kind: layers
  width: 20.0e-6
  layers:
    - {name: a, thickness: 2.5e-6}
    - {name: b, thickness: 2.5e-6}
  mesh: {size: 1.0e-6, min_size: 0.25e-6}
materials:
  a:
    description: the salt at 1600 mol/m3
    conductivity: {value: 4.56e-6, unit: S/cm, source: "test"}
    transference_number: {value: 0.2, unit: "1", source: "test"}
    salt_concentration: {value: 1600, unit: mol/m3, source: "test"}
  b:
    description: the same salt at 320 mol/m3 (σ ∝ c0)
    conductivity: {value: 0.912e-6, unit: S/cm, source: "test"}
    transference_number: {value: 0.2, unit: "1", source: "test"}
    salt_concentration: {value: 320, unit: mol/m3, source: "test"}
physics:
  kind: npp
  mode: electroneutral
  potential_difference: 0.0
  reaction: {kind: butler_volmer, exchange_current_density: 1.0, alpha: 0.5}
output: {fields: false, figures: false}
"""


def test_shorted_two_layer_cell_carries_no_current(tmp_path: Path):
    file = tmp_path / "shorted.yaml"
    file.write_text(CONFIG)
    assert execute(load_config(file), tmp_path / "run", quiet=True).exit_code == 0
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["status"] == "ok"
    m = summary["metrics"]
    assert abs(m["current_density_A_m2"]) / 1.0 < 1e-12  # relative to i0 = 1 A/m²
    for key in ("anode_concentration_Li_mol_m3", "cathode_concentration_Li_mol_m3"):
        assert abs(m[key] / 960.0 - 1.0) < 2e-13, (key, m[key])
