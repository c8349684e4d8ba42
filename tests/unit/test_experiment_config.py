"""The `experiment` section: what the impedance experiment cannot do is rejected at validation
with file, line and key (exit 2 from the CLI), not accepted and ignored."""

from pathlib import Path

import pytest

from sim.config import load_config
from sim.config.loader import ConfigError

ROOT = Path(__file__).resolve().parents[2]
LI = ROOT / "configs" / "lab" / "li_peo_li.yaml"
FILM = ROOT / "configs" / "lab" / "blocking_peo.yaml"

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
    (LI, ["experiment.kind=chronoamperometry"], "experiment", "kind"),
    (FILM, ["experiment.electrode_area=1.0e-4"], "experiment.electrode_area", "once"),
    (FILM, ["materials.electrolyte=peo_litfsi_vs_t"], "experiment", "relative_permittivity"),
]


@pytest.mark.parametrize(("file", "overrides", "key", "message"), BAD)
def test_bad_experiment_rejected(file, overrides, key, message):
    with pytest.raises(ConfigError) as err:
        load_config(file, overrides)
    assert err.value.line is not None
    assert str(err.value.key).startswith(key), err.value
    assert message in str(err.value)


def test_lab_configs_validate():
    for path in sorted((ROOT / "configs" / "lab").glob("*.yaml")):
        assert load_config(path).config.experiment.kind == "impedance"
