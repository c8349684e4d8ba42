"""Every NPP config in configs/ runs (reduced resolution) and the seed comparisons come out as the
papers state: PEO/MOF and PLM polarize less than PEO and focus less flux on a Li bump,
PLL-LFP takes more Li⁺ into the particles in 10 s than PL-LFP."""

import json
from pathlib import Path

import pytest

from sim.compare import compare
from sim.config import load_config
from sim.runner import execute

# its tests share module-scoped fixtures: one pytest-xdist worker computes them once
pytestmark = pytest.mark.xdist_group("test_npp_configs")
ROOT = Path(__file__).resolve().parents[2]
QUIET = ["output.fields=false"]


NAMES = [
    "peo_100x20",
    "peo_mof_100x20",
    "peo_20x5p6",
    "plm_20x5p6",
    "pl_lfp_cathode",
    "pll_lfp_cathode",
    "examples/peo_100x20_seed_flux",
    "examples/peo_mof_fillers_100x20",
]


@pytest.fixture(scope="module")
def load(reduced_sets):
    """A shipped NPP config at the shared reduced resolution (conftest `reduced`) with extra sets."""

    def loaded(name: str, extra: list[str] = ()):
        path = ROOT / "configs" / f"{name}.yaml"
        return load_config(path, [*reduced_sets(path), *QUIET, *extra])

    return loaded


def summary(path: Path) -> dict:
    return json.loads((path / "summary.json").read_text())


@pytest.fixture(scope="module")
def runs(tmp_path_factory, load) -> dict[str, dict]:
    out = tmp_path_factory.mktemp("npp")
    results = {}
    for a, b in (
        ("peo_100x20", "peo_mof_100x20"),
        ("peo_20x5p6", "plm_20x5p6"),
        ("pl_lfp_cathode", "pll_lfp_cathode"),
    ):
        # the comparison maps are drawn from the runs' field files
        extra = ["output.fields=true"] if a == "peo_100x20" else ["output.figures=false"]
        assert compare(load(a, extra), load(b, extra), out / a, quiet=True) == 0
        results |= {n: summary(out / a / n) for n in (a, b)}
        results[f"{a}_dir"] = out / a
    for name in ("examples/peo_100x20_seed_flux", "examples/peo_mof_fillers_100x20"):
        assert execute(load(name, ["output.figures=false"]), out / name, quiet=True).exit_code == 0
        results[name] = summary(out / name)
    return results


def test_all_configs_ok_and_balanced(runs):
    for name, s in runs.items():
        if name.endswith("_dir"):
            continue
        assert s["status"] == "ok", (name, s.get("message"))
        m = s["metrics"]
        # measured ≤ 5.8e-12 at this resolution (tests/integration/test_configs.py)
        assert m["mass_balance_rel_error"] < 5e-11, name
        assert m.get("anion_balance_rel_error", 0.0) < 5e-11, name
        assert m.get("min_concentration_mol_m3", m["min_concentration_Li_mol_m3"]) > 0, name
    assert set(NAMES) <= runs.keys()


def test_peo_mof_vs_peo_100x20(runs):
    peo, mof = runs["peo_100x20"]["metrics"], runs["peo_mof_100x20"]["metrics"]
    assert mof["anode_li_flux_cv"] < 0.5 * peo["anode_li_flux_cv"]
    assert mof["anode_li_flux_peak_to_mean"] < peo["anode_li_flux_peak_to_mean"]
    assert abs(mof["anode_li_depletion"]) < 0.5 * abs(peo["anode_li_depletion"])
    figures = runs["peo_100x20_dir"] / "figures"
    for name in (
        "maps_concentration_Li_mol_m3",
        "maps_potential_V",
        "maps_concentration_anion_mol_m3",
        "central_axis_potential",
        "anode_li_flux",
    ):
        assert (figures / f"{name}.png").stat().st_size > 1000, name


def test_plm_vs_peo_20x5p6(runs, tmp_path, load):
    peo, plm = runs["peo_20x5p6"]["metrics"], runs["plm_20x5p6"]["metrics"]
    # the same 1 µm Li bump on both anodes: in PLM it sits in the well-conducting MOF layer under the
    # resistive PE layer, which spreads the current (seed 001: more uniform Li⁺ flux)
    assert plm["anode_li_flux_cv"] < 0.5 * peo["anode_li_flux_cv"]
    assert plm["anode_li_flux_peak_to_mean"] < peo["anode_li_flux_peak_to_mean"]
    assert plm["current_density_A_m2"] > peo["current_density_A_m2"]
    # polarization against the zero-current state: in the layer stack, anions already redistribute
    # between layers of different fixed charge at ΔV = 0, so c(anode) ≠ c0 of the MOF layer there
    assert (
        execute(
            load("plm_20x5p6", ["output.figures=false", "physics.potential_difference=0.0"]),
            tmp_path / "rest",
            quiet=True,
        ).exit_code
        == 0
    )
    rest = summary(tmp_path / "rest")["metrics"]["anode_concentration_Li_mol_m3"]
    plm_polarization = 1 - plm["anode_concentration_Li_mol_m3"] / rest
    assert 0 < plm_polarization < 0.5 * peo["anode_li_depletion"]  # PEO: one layer, rest state = c0


def test_pll_inserts_more_li_than_pl(runs):
    pl, pll = runs["pl_lfp_cathode"]["metrics"], runs["pll_lfp_cathode"]["metrics"]
    assert pl["time_s"] == pll["time_s"] == pytest.approx(10.0)  # seed 003: 10 s discharge
    assert pll["li_inserted_mol_m"] > 1.1 * pl["li_inserted_mol_m"] > 0
    assert min(pl["min_particle_concentration_mol_m3"], pll["min_particle_concentration_mol_m3"]) >= -1e-9
    # the faster binder is depleted less around the particles
    assert pll["min_concentration_Li_mol_m3"] > pl["min_concentration_Li_mol_m3"]


def test_seed_flux_scaled_is_steady_and_unscaled_is_refused(runs, tmp_path, load):
    m = runs["examples/peo_100x20_seed_flux"]["metrics"]
    assert m["anode_li_flux_mean_mol_m2_s"] == pytest.approx(2.07e-6, rel=1e-12)  # imposed: 2e-16
    # 43 % of the limiting flux: c(anode) = c0 (1 − N/N_lim)
    # measured 2.6e-3 (the 1D formula on the 2D film with its bump, reduced mesh)
    assert m["anode_concentration_Li_mol_m3"] == pytest.approx(1000 * (1 - 2.07e-6 / 4.857e-6), rel=0.01)
    seed = load(
        "examples/peo_100x20_seed_flux",
        ["physics.flux_scale=1.0", "physics.time={t_end: 0.01, dt_initial: 1.0e-6}"],
    )
    assert execute(seed, tmp_path / "seed", quiet=True).exit_code == 3
    message = summary(tmp_path / "seed")["message"]
    assert "depletes" in message and "Sand" in message


def test_poisson_mode_refuses_an_unresolved_debye_layer(tmp_path, load):
    poisson = load(
        "peo_20x5p6", ["physics.mode=poisson", "physics.reaction={kind: flux}", "physics.flux_scale=1.0e-4"]
    )
    assert execute(poisson, tmp_path / "poisson", quiet=True).exit_code == 3
    message = summary(tmp_path / "poisson")["message"]
    assert "Debye length" in message and "electroneutral" in message
