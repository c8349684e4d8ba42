"""Impedance experiments in `sim compare` and `sim sweep`: two spectra overlaid (Nyquist, Bode) with
both fits side by side, the refusal to compare an impedance experiment with a plain run, and a
2-point sweep whose table collects the fit metrics and whose overlay shows every point."""

import csv
import json
from pathlib import Path

import pytest
from conftest import one_line_error

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "configs" / "lab"
# coarse mesh and few frequencies: seconds per spectrum (the fits still converge)
FAST = ["geometry.mesh.size=2.0e-6", "experiment.frequencies.points=21", "output.fields=false"]
SETS = [arg for s in FAST for arg in ("--set", s)]


def test_compare_overlays_two_spectra_and_both_fits(tmp_path, sim):
    a, b = LAB / "li_peo_li.yaml", LAB / "li_peo_mof_li.yaml"
    result = sim("compare", a, b, "--out", tmp_path, "--quiet", *SETS)
    report = json.loads((tmp_path / "comparison.json").read_text())
    fit = report["fit"]
    assert fit["circuit"] == {"li_peo_li": "p(R0,C0)-p(R1,C1)-Ws0", "li_peo_mof_li": "p(R0,C0)-p(R1,C1)-Ws0"}
    for name in ("li_peo_li", "li_peo_mof_li"):
        metrics = json.loads((tmp_path / name / "summary.json").read_text())["metrics"]
        for param in ("R0", "C0", "R1", "Ws0_0", "transference_number"):
            assert fit["parameters"][param][name] == metrics[f"fit_{param}"]
    # PEO's bulk resistance is ~20x the MOF composite's (σ 4.56e-6 vs 1e-4 S/cm)
    assert fit["parameters"]["R0"]["li_peo_li"] > 10 * fit["parameters"]["R0"]["li_peo_mof_li"]
    header = next(line for line in result.stdout.splitlines() if line.startswith("parameter"))
    assert "li_peo_li" in header and "li_peo_mof_li" in header
    assert any(line.startswith("R0 ") for line in result.stdout.splitlines()), result.stdout
    for png in ("nyquist", "bode"):
        assert (tmp_path / "figures" / f"{png}.png").stat().st_size > 20_000, png  # measured 42 / 72 kB


def test_compare_impedance_with_plain_run_is_refused(tmp_path, sim):
    plain = ROOT / "tests" / "data" / "tiny_layers.yaml"
    result = sim("compare", LAB / "li_peo_li.yaml", plain, "--out", tmp_path, check=False)
    one_line_error(result, 2, "tiny_layers.yaml: experiment:", "li_peo_li is an impedance experiment")
    assert not (tmp_path / "comparison.json").exists()


SWEEP = """\
base: {base}
set: {{geometry.mesh.size: 2.0e-6, experiment.frequencies.points: 21, output.fields: false}}
zip:
  physics.reaction.exchange_current_density: [1.0, 2.0]
"""


@pytest.mark.timeout(300)
def test_sweep_collects_fit_metrics_and_overlays_spectra(tmp_path, sim):
    (tmp_path / "sweep.yaml").write_text(SWEEP.format(base=LAB / "li_peo_li.yaml"))
    sim("sweep", "sweep.yaml", "--jobs", "2", "--out", "out", cwd=tmp_path)
    out = tmp_path / "out"
    with open(out / "sweep.csv") as f:
        table = list(csv.DictReader(f))
    assert [row["status"] for row in table] == ["ok", "ok"]
    for row in table:
        summary = json.loads((out / row["id"] / "summary.json").read_text())
        for key in ("fit_R0", "fit_R1", "fit_transference_number", "fit_rms_relative_residual"):
            assert float(row[key]) == pytest.approx(summary["metrics"][key], rel=1e-12), key
    # R_ct = 2RT/(F i0): doubling i0 halves it
    r_ct = [float(row["fit_R1"]) for row in table]
    assert r_ct[1] / r_ct[0] == pytest.approx(0.5, rel=1e-2)
    assert (out / "figures" / "nyquist_overlay.png").stat().st_size > 20_000  # measured 57 kB
