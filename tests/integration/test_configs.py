"""Every shipped config (configs/**/*.yaml except sweeps/, which tests/unit/test_sweep_spec.py
loads) runs at reduced resolution (conftest `reduced`; transient NPP for 2 s) on 1 and 2 MPI
ranks: status ok, its own balances closed, and the two runs agree."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.config import load_config

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = sorted(p for p in (ROOT / "configs").rglob("*.yaml") if "sweeps" not in p.parts)
BALANCE = {"conduction": 5e-13, "npp": 5e-11, "cathode": 5e-12, "phasefield": 5e-9}
"""bound on every *_rel_error metric except the phase field's faraday_rel_error (which compares
with the cathode current and is reported, not bounded); measured ≤ 3.7e-14 (conduction), 5.8e-12
(NPP, plm_20x5p6), 4.4e-13 (composite cathode, pll_lfp_cathode), 4.3e-10 (phase-field charge
balance: its Newton tolerance; electroneutral Faraday 3.5e-11)"""
RANKS_REL = {"conduction": 1e-13, "npp": 1e-11, "cathode": 5e-13, "phasefield": 2e-11}
"""1 vs 2 ranks, relative, every metric (absolute 1e-12 for values at round-off); measured
≤ 9.4e-15 (conduction), 9.9e-13 (NPP), 3.7e-14 (composite cathode), 1.7e-12 (phase field: Newton
on rank-dependent round-off)"""
IMPEDANCE_REL = 1e-4
"""1 vs 2 ranks for the summary metrics of configs/lab (Z' at the highest frequency, the fit's
parameters): Z' at 1 GHz is ~1e-5 of |Z| there, so it carries the spectrum's round-off (below)
magnified: measured 2.0e-5 (li_peo_mof_li, Z' at 1 GHz), ≤ 2.6e-5 worst metric of
bruce_vincent_peo; the fitted parameters agree to ≤ 4.1e-7 (li_peo_mof_li fit_Ws0_1): they average
over the spectrum, so they sit far below the bound set by Z' at f_max"""
IMPEDANCE_Z_REL = 2e-5
"""1 vs 2 ranks, raw spectrum, every frequency: |Z₁ − Z₂|/|Z₁|; measured ≤ 1.7e-6 (li_peo_li at
18 MHz; conduction configs ≤ 2.6e-11). Not the 1e-10 of issue 12: two direct solvers on ONE rank
(MUMPS vs SuperLU_dist) differ by 3.2e-6 at the same frequency, and MUMPS iterative refinement
moves the answer as much, so it is the LU round-off of the NPP block system (ωM ≫ J in scaled
units above the bulk arc), not a rank-dependent state or bug"""
IMPEDANCE_Z_REL_LOW = 1e-9
"""the same at f ≤ 100 Hz (where the diffusion and interface arcs live): measured ≤ 8.2e-11"""


def _spectrum(out: Path):
    """(f, Z) from a run's impedance.csv, or None if the run wrote none."""
    path = out / "impedance.csv"
    if not path.exists():
        return None
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, 0], data[:, 1] + 1j * data[:, 2]


@pytest.mark.mpi
@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(ROOT / "configs")))
def test_config_runs_on_one_and_two_ranks(config, tmp_path, sim_run, reduced_sets):
    sets = reduced_sets(config, npp_t_end=2.0)
    one, two = (sim_run(config, tmp_path / f"n{n}", sets, ranks=n) for n in (1, 2))
    assert one["status"] == two["status"] == "ok"
    assert two["mpi_ranks"] == 2 and one["num_dofs"] == two["num_dofs"]
    worst = balance = 0.0
    # the electroneutral phase field makes Faraday exact (its counter-electrode charge is the
    # deposited Li): there faraday_rel_error is a balance; chen2015 reports its ohmic share
    exact_faraday = getattr(load_config(config).config.physics, "formulation", "") == "electroneutral"
    for key, value in one["metrics"].items():
        if "solve_time" in key or key == "spectrum_time_s":  # wall-clock, not physics
            continue
        if key.endswith("rel_error") and (key != "faraday_rel_error" or exact_faraday):
            balance = max(balance, value, two["metrics"][key])
            bound = BALANCE[one["physics"]]
            assert value < bound and two["metrics"][key] < bound, key
            continue
        diff = abs(two["metrics"][key] - value) / max(abs(value), 1e-300)
        worst = max(worst, diff if abs(value) > 1e-12 else 0.0)
        rel = IMPEDANCE_REL if "lab" in config.parts else RANKS_REL[one["physics"]]
        # a fit's rms residual moves with the spectra's own 1-vs-2-rank difference (the optimiser
        # ends elsewhere on a flat minimum): measured 1.9e-7 on a 8e-5 residual (bruce_vincent_peo_mof,
        # the fit under the step); the fitted resistances themselves agree to ≤ 2.4e-7 relative
        floor = 2e-6 if "residual" in key else 1e-12
        assert two["metrics"][key] == pytest.approx(value, rel=rel, abs=floor), key
    spectra = [_spectrum(tmp_path / f"n{n}") for n in (1, 2)]
    if spectra[0] is not None and spectra[1] is not None:
        (f, z1), (_, z2) = spectra
        z_rel = np.abs(z2 - z1) / np.abs(z1)
        assert z_rel.max() < IMPEDANCE_Z_REL, (f[np.argmax(z_rel)], z_rel.max())
        assert z_rel[f <= 100.0].max(initial=0.0) < IMPEDANCE_Z_REL_LOW
        print(f"{config.name}: raw Z 1 vs 2 ranks ≤ {z_rel.max():.3g} relative")
    print(f"{config.name}: 1 vs 2 ranks ≤ {worst:.3g} relative, balances ≤ {balance:.3g}")
