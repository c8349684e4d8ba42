"""Conduction against exact answers: layers in series, Maxwell-Garnett, seed 002 bilayer."""

import json
import math
from pathlib import Path

import pytest
from mpi4py import MPI

from sim.config import load_config
from sim.runner import execute

ROOT = Path(__file__).resolve().parents[2]


def run_config(tmp_path: Path, text: str, name: str = "case", overrides=()) -> dict:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text)
    loaded = load_config(path, list(overrides))
    out = tmp_path / name
    assert execute(loaded, out, MPI.COMM_WORLD, quiet=True).exit_code == 0
    return json.loads((out / "summary.json").read_text())


THREE_LAYERS = """
geometry:
  kind: layers
  width: 30.0e-6
  layers:
    - {name: l1, thickness: 4.0e-6}
    - {name: l2, thickness: 10.0e-6}
    - {name: l3, thickness: 6.0e-6}
  mesh: {size: 3.0e-6, min_size: 1.0e-6, refine_distance: 2.0e-6}
materials:
  l1: {conductivity: {value: 1.0e-2, unit: S/m, source: assumed}}
  l2: {conductivity: {value: 2.5e-4, unit: S/m, source: assumed}}
  l3: {conductivity: {value: 3.0e-3, unit: S/m, source: assumed}}
physics: {kind: conduction, anode_potential: 0.0, cathode_potential: 0.05, electrode_area: 2.0e-6}
output: {fields: false, figures: false}
"""


@pytest.mark.parametrize("degree", [1, 2])
def test_three_layer_series_resistance(tmp_path, degree):
    summary = run_config(tmp_path, THREE_LAYERS, overrides=[f"physics.element_degree={degree}"])
    area = 2.0e-6
    expected = (4e-6 / 1e-2 + 10e-6 / 2.5e-4 + 6e-6 / 3e-3) / area
    m = summary["metrics"]
    print(
        f"P{degree}: R {m['resistance_ohm'] / expected - 1:.1e}, "
        f"balance {m['current_balance_rel_error']:.1e}, "
        f"l2 {summary['layers']['l2']['resistance_ohm'] / (10e-6 / 2.5e-4 / area) - 1:.1e}"
    )
    assert m["resistance_ohm"] == pytest.approx(expected, rel=2e-13)  # measured ≤ 1.2e-14 (round-off)
    assert m["current_balance_rel_error"] < 2e-13  # measured ≤ 1.3e-14
    layer_r = summary["layers"]
    assert layer_r["l2"]["resistance_ohm"] == pytest.approx(10e-6 / 2.5e-4 / area, rel=2e-13)


INCLUSION = """
geometry:
  kind: slab
  width: 20.0e-6
  height: 20.0e-6
  inclusions: [{shape: circle, center: [10.0e-6, 10.0e-6], radius: RADIUS}]
  mesh: {size: 1.0e-6, min_size: 0.15e-6, refine_distance: 1.0e-6}
materials:
  electrolyte: {conductivity: {value: 1.0, unit: S/m, source: assumed}}
  filler: {conductivity: {value: 10.0, unit: S/m, source: assumed}}
physics: {kind: conduction, cathode_potential: 1.0, element_degree: 2}
output: {fields: false, figures: false}
"""


def maxwell_garnett_2d(sigma_m: float, sigma_i: float, f: float) -> float:
    beta = (sigma_i - sigma_m) / (sigma_i + sigma_m)
    return sigma_m * (1 + 2 * f * beta / (1 - f * beta))


def test_dilute_inclusion_maxwell_garnett(tmp_path):
    """A circle between equipotential plates and insulating walls is, by mirror images, a square
    array: Maxwell-Garnett is exact to O(f²) there (Rayleigh's correction is O(f⁴))."""
    errors = []
    for radius in (2.0e-6, 4.0e-6):
        f = math.pi * radius**2 / (20e-6) ** 2
        summary = run_config(tmp_path, INCLUSION.replace("RADIUS", repr(radius)), f"r{radius}")
        sigma = summary["metrics"]["effective_conductivity_S_m"]
        mg = maxwell_garnett_2d(1.0, 10.0, f)
        errors.append((f, abs(sigma - mg) / mg, sigma - 1.0))
    print("MG 2D: " + ", ".join(f"f={f:.3g}: err {err:.2e} = {err / f**2:.3f} f²" for f, err, _ in errors))
    for f, err, excess in errors:
        assert err < 0.1 * f**2, errors  # agreement to the expected order (measured ≤ 0.010 f²)
        assert excess > 0.8 * 2 * f * (9 / 11)  # and the O(f) enhancement itself is captured


def test_seed002_bilayer_resistances(tmp_path):
    """Seed 002: SPE 1.59 Ω and LAGP 329.2 Ω with the inferred area and SPE thickness."""
    loaded = load_config(
        ROOT / "configs" / "seed002_bilayer.yaml", ["output.figures=false", "output.fields=false"]
    )
    out = tmp_path / "seed002"
    assert execute(loaded, out, MPI.COMM_WORLD, quiet=True).exit_code == 0
    summary = json.loads((out / "summary.json").read_text())
    layers = summary["layers"]
    print(f"seed002 SPE {layers['spe']['resistance_ohm']:.4g}, LAGP {layers['lagp']['resistance_ohm']:.5g}")
    # the paper's values are rounded (1.59: ±3e-3); measured 1.591 and 329.2
    assert layers["spe"]["resistance_ohm"] == pytest.approx(1.59, rel=5e-3)
    assert layers["lagp"]["resistance_ohm"] == pytest.approx(329.2, rel=5e-3)
    assert summary["metrics"]["resistance_ohm"] == pytest.approx(1.59 + 329.2, rel=5e-3)
