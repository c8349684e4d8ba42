"""The `experiment` section: what the impedance, chronoamperometry and galvanostatic experiments
cannot do is rejected at validation with file, line and key (exit 2 from the CLI), not ignored."""

from pathlib import Path

import pytest

from sim.config import load_config
from sim.config.loader import ConfigError

ROOT = Path(__file__).resolve().parents[2]
LI = ROOT / "configs" / "lab" / "li_peo_li.yaml"
FILM = ROOT / "configs" / "lab" / "blocking_peo.yaml"
BV = ROOT / "configs" / "lab" / "bruce_vincent_peo.yaml"
SAND = ROOT / "configs" / "lab" / "sand_peo.yaml"
CATHODE = ROOT / "configs" / "lab" / "cathode_eis_ceramic.yaml"
LFP = ROOT / "configs" / "pl_lfp_cathode.yaml"

BAD = [
    (LI, ["experiment.frequencies.min=1.0e10"], "experiment.frequencies", "must be below max"),
    (LI, ["experiment.double_layer_capacitance.unit=uF"], "experiment", "not that of 'F/m2'"),
    (LI, ["experiment.fit.circuit=p(R0,C0)"], "experiment.fit", "circuit length"),
    (LI, ["experiment.fit.bulk_resistance=R7"], "experiment.fit", "not in the circuit"),
    (
        LI,
        [
            "physics.reaction={kind: blocking}",
            "physics.potential_difference=null",
            "experiment.double_layer_capacitance=null",
        ],
        "experiment.double_layer_capacitance",
        "double layer",
    ),
    (LI, ["experiment.kind=chronoamperometry"], "experiment.spectra", "required"),
    (BV, ["physics.potential_difference=0.01"], "physics.potential_difference", "at rest"),
    (
        BV,
        ["physics.reaction={kind: flux}", "physics.potential_difference=null"],
        "physics.reaction.kind",
        "butler_volmer",
    ),
    (BV, ["physics.time=null"], "physics.time", "needs physics.time"),
    (BV, ["physics.time.checkpoint_every=5"], "physics.time.checkpoint_every", "no checkpoint"),
    (BV, ["experiment.step=0.0"], "experiment", "must not be 0"),
    (BV, ["experiment.spectra.fit.charge_transfer_resistance=null"], "experiment.spectra", "interfacial"),
    (BV, ["materials.electrolyte=peo_litfsi_vs_t"], "experiment.spectra.dielectric", "relative_permittivity"),
    (
        BV,
        ["physics.mode=poisson", "physics.reaction={kind: blocking}", "physics.potential_difference=null"],
        "physics.mode",
        "electroneutral",
    ),
    (SAND, ["experiment.current_density.unit=mA"], "experiment.current_density", "dimension"),
    (SAND, ["experiment.current_density.value=-1.0"], "experiment", "positive"),
    (SAND, ["physics.reaction={kind: flux, li_flux: 0.02}"], "physics.reaction", "current_density"),
    (SAND, ["physics.flux_scale=2.0"], "physics.reaction", "current_density"),
    (SAND, ["physics.checks=warn"], "physics.checks", "no effect"),
    (SAND, ["physics.kind=conduction"], "physics", ""),
    (
        SAND,
        [
            "geometry={kind: layers, width: 5.0e-6, layers: [{name: a, thickness: 1.0e-5}]}",
            "materials={a: peo_litfsi}",
            "geometry.kind=particles",
        ],
        "geometry",
        "",
    ),
    (FILM, ["experiment.electrode_area=1.0e-4"], "experiment.electrode_area", "once"),
    (FILM, ["output.fields=true"], "output.fields", "no field files"),
    (LI, ["output.formats=[vtx]"], "output.formats", "no field files"),
    (FILM, ["materials.electrolyte=peo_litfsi_vs_t"], "experiment", "relative_permittivity"),
    (CATHODE, ["physics.time={t_end: 1.0, dt_initial: 0.1}"], "physics.time", "at rest"),
    (CATHODE, ["physics.element_degree=2"], "physics.element_degree", "P1"),
    (CATHODE, ["physics.interface.particle_initial_concentration=0.0"], "physics.interface", "positive"),
    (CATHODE, ["experiment.warburg_region=[0.1, 1.0]"], "experiment.warburg_region", "composite"),
    (CATHODE, ["materials.ceramic=peo_litfsi"], "materials.ceramic", "single-ion"),
    (CATHODE, ["materials.ceramic=lfp"], "materials.ceramic", "conductivity"),
    (CATHODE, ["materials.binder.relative_permittivity=null"], "experiment.dielectric", "binder"),
    (CATHODE, ["physics.kind=conduction"], "physics", ""),
    (
        LFP,
        ["geometry.ceramic={volume_fraction: 0.05, semi_axes: [1.0e-6, 1.0e-6]}", "materials.ceramic=latp"],
        "geometry.ceramic",
        "impedance experiment only",
    ),
]


@pytest.mark.parametrize(("file", "overrides", "key", "message"), BAD)
def test_bad_experiment_rejected(file, overrides, key, message):
    with pytest.raises(ConfigError) as err:
        load_config(file, overrides)
    assert err.value.line is not None
    assert str(err.value.key).startswith(key), err.value
    assert message in str(err.value)


def test_lab_configs_validate():
    kinds = {load_config(p).config.experiment.kind for p in sorted((ROOT / "configs" / "lab").glob("*.yaml"))}
    assert kinds == {"impedance", "chronoamperometry", "galvanostatic"}


def test_resolved_impedance_config_reloads(tmp_path):
    """config.resolved.yaml and a sweep point's config of an impedance experiment load again, with
    the same hash: they leave out output.fields/formats, which the experiment refuses."""
    loaded = load_config(ROOT / "configs" / "lab" / "li_peo_li.yaml")
    assert "formats" not in loaded.resolved_yaml and "fields:" not in loaded.resolved_yaml
    (tmp_path / "resolved.yaml").write_text(loaded.resolved_yaml)
    assert load_config(tmp_path / "resolved.yaml").sha256 == loaded.sha256
