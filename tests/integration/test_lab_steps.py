"""The step experiments of configs/lab (issue 12 item 2) close the seeds' loop: the virtual
Bruce–Vincent measurement at 10 mV (seed 003 Fig. S26, eq. 4) returns the card's t⁺ for a binary
salt (PEO) and an immobile-anion card (PEO/MOF); the galvanostatic step returns Sand's time
t_s = πD_amb(c0F)²/(4(J(1 − t⁺))²) and the initial ohmic drop J L/σ. Shipped settings."""

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import one_line_error, run_sim

from sim.config import load_config
from sim.materials import transport
from sim.runner import execute
from sim.units import F, R

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "configs" / "lab"
QUIET = ["output.fields=false"]


def run(name: str, out: Path, overrides=()) -> dict:
    loaded = load_config(LAB / f"{name}.yaml", [*QUIET, *overrides])
    assert execute(loaded, out, quiet=True).exit_code == 0, name
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "ok", summary.get("message")
    return summary | {"dir": out, "config": loaded.config}


@pytest.fixture(scope="module")
def bruce_vincent(tmp_path_factory) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("bv")
    return {name: run(name, out / name) for name in ("bruce_vincent_peo", "bruce_vincent_peo_mof")}


@pytest.mark.parametrize(
    ("name", "t_plus", "bound", "bound_seed003"),
    # measured: PEO 6.6e-4 (eq. 4: 1.4e-3); PEO/MOF 8.2e-3 (eq. 4: 7.9e-3), the 2 %
    [("bruce_vincent_peo", 0.2, 7e-3, 1.4e-2), ("bruce_vincent_peo_mof", 0.5, 2e-2, 2e-2)],
)
def test_bruce_vincent_returns_card_t_plus(bruce_vincent, name, t_plus, bound, bound_seed003):
    s = bruce_vincent[name]
    m = s["metrics"]
    assert abs(m["transference_number"] / t_plus - 1.0) < bound, m["transference_number"]
    assert abs(m["transference_number_seed003"] / t_plus - 1.0) < bound_seed003
    # I₀ is the current before any salt gradient: ΔV over the fitted R_b + R_i at rest (the
    # Butler–Volmer chord vs differential resistance at 10 mV: measured 1.0e-3 PEO)
    i0 = m["step_V"] / (m["bulk_resistance_before_ohm"] + m["interface_resistance_before_ohm"])
    assert m["current_initial_A"] == pytest.approx(i0, rel=1e-2)
    assert m["current_last_step_change_rel"] < 1e-5  # the window reaches the steady state
    data = np.loadtxt(s["dir"] / "chronoamperometry.csv", delimiter=",", skiprows=1)
    assert data[0, 1] == 0.0 and np.all(np.diff(data[1:, 1]) <= 1e-15 * data[1, 1])  # I(t) decays
    assert (s["dir"] / "figures" / "chronoamperometry.png").stat().st_size > 1000


@pytest.mark.parametrize("name", ["bruce_vincent_peo", "bruce_vincent_peo_mof"])
def test_currents_match_the_linear_cell(bruce_vincent, name):
    """Without the fits: I₀ = ΔV/(R_b + R_ct) and I_ss = ΔV/(R_b/t⁺ + R_ct) (the DC closure of the
    impedance tests), R_b = L/(σS), R_ct = 2RT/(F i0 S) from the card and the config; the rest is
    the Butler–Volmer nonlinearity at 10 mV (measured I₀ 2.3e-4 / 8.7e-4, I_ss 2.1e-3 / 5.3e-4)."""
    s = bruce_vincent[name]
    cfg, m = s["config"], s["metrics"]
    p = transport(cfg.material("electrolyte"), cfg.physics.temperature)
    area = cfg.experiment.electrode_area
    r_b = cfg.geometry.height / (p.conductivity * area)
    r_ct = 2.0 * R * cfg.physics.temperature / (F * cfg.physics.reaction.exchange_current_density * area)
    dv = cfg.experiment.step
    assert m["current_initial_A"] == pytest.approx(dv / (r_b + r_ct), rel=1e-2)
    assert m["current_steady_A"] == pytest.approx(dv / (r_b / p.transference_number + r_ct), rel=2e-2)


def test_immobile_anions_keep_the_current(bruce_vincent):
    """I_ss/I₀ = (R_b + R_i)/(R_b/t⁺ + R_i): the diffusion share of PEO's cell is much larger."""
    peo, mof = (bruce_vincent[n]["metrics"] for n in ("bruce_vincent_peo", "bruce_vincent_peo_mof"))
    assert peo["current_steady_A"] / peo["current_initial_A"] < 0.4  # measured 0.351
    assert mof["current_steady_A"] / mof["current_initial_A"] > 0.8  # measured 0.86 (110 µm, R_i ≫ R_b)


@pytest.fixture(scope="module")
def sand(tmp_path_factory) -> dict:
    return run("sand_peo", tmp_path_factory.mktemp("sand"))


def test_sand_time_of_a_binary_salt(sand):
    m, cfg = sand["metrics"], sand["config"]
    p = transport(cfg.material("electrolyte"), cfg.physics.temperature)
    d_amb = 2.0 * p.d_cation * p.d_anion / (p.d_cation + p.d_anion)
    j = 0.15e-3 / 1e-4  # 0.15 mA/cm² in A/m²
    t_s = math.pi * d_amb * (p.salt_concentration * F) ** 2 / (4.0 * (j * (1.0 - p.transference_number)) ** 2)
    assert m["sand_time_formula_s"] == pytest.approx(t_s, rel=1e-12)
    assert abs(m["sand_time_s"] / t_s - 1.0) < 2e-2  # measured 4.7e-3 (dt_max 2 s, 0.1 µm cells at the anode)
    # at t = 0+ the voltage is the ohmic drop J L/σ (measured 6e-4 off: the first 1 ms of gradient)
    assert m["voltage_initial_V"] == pytest.approx(j * cfg.geometry.height / p.conductivity, rel=6e-3)
    data = np.loadtxt(sand["dir"] / "galvanostatic.csv", delimiter=",", skiprows=1)
    assert np.all(np.diff(data[:, 1]) > 0) and np.all(np.diff(data[:, 2]) < 0)  # V rises, c⁺ falls
    assert data[-1, 2] < cfg.physics.depletion_threshold < data[-2, 2]  # stopped at depletion
    assert (sand["dir"] / "figures" / "galvanostatic.png").stat().st_size > 1000


def test_immobile_anions_do_not_deplete(tmp_path):
    """With 75 % of the anions immobile, c⁺ ≥ c_fixed: no Sand time, the voltage levels off."""
    s = run("sand_peo", tmp_path, ["materials.electrolyte=peo_mof", "physics.time.t_end=100.0"])
    m = s["metrics"]
    assert "sand_time_s" not in m and "sand_time_formula_s" not in m and not s["experiment"]["depleted"]
    assert 0.75 < m["anode_concentration_final_rel"] < 1.0


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("  depletion_threshold: 1.0e-3", "  checks: warn", "physics.checks"),
        ("  kind: galvanostatic", "  kind: galvanostatic\n  step: 0.01", "experiment.step"),
    ],
)
def test_refused_keys_exit_2_with_file_line_key(tmp_path, old, new, key):
    """A key the step experiments do not use is exit 2, `error: FILE:LINE: key: message`."""
    text = (LAB / "sand_peo.yaml").read_text()
    assert old in text
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace(old, new))
    line = one_line_error(
        run_sim("run", path, "--out", tmp_path / "out", check=False), 2, "error: ", "bad.yaml:", key
    )
    assert line.split("bad.yaml:")[1].split(":")[0].isdigit(), line
    assert not (tmp_path / "out" / "summary.json").exists()
