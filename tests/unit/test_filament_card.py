"""The filaments' stiffness reads their material card (physics.filament.material, default the
`polyethylene` card of sim/data/materials.yaml: HDPE E = 1.08 GPa, ν = 0.46); explicit
young_modulus / poisson_ratio override the card's; an unknown card or one without E or ν is
refused (RunConfig.cross_check: exit 2 at physics.filament.material, tests/integration/
test_cli_capabilities.py)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sim.config import material_library
from sim.config.phasefield import FilamentProperties

PE = material_library()["polyethylene"]


def test_default_is_the_polyethylene_card():
    fil = FilamentProperties()
    e = fil.elastic()
    assert fil.material == "polyethylene"
    assert e["young_modulus"].si("Pa") == pytest.approx(1.08e9, rel=1e-12)
    assert e["poisson_ratio"].si("1") == pytest.approx(0.46, rel=1e-12)
    assert "Callister" in e["young_modulus"].source and "Callister" in e["poisson_ratio"].source
    assert e["young_modulus"] == PE.young_modulus and e["poisson_ratio"] == PE.poisson_ratio
    assert fil.problem() is None


def test_explicit_value_wins_over_the_card():
    fil = FilamentProperties.model_validate({"young_modulus": {"value": 1500, "unit": "MPa", "source": "t"}})
    e = fil.elastic()
    assert e["young_modulus"].si("Pa") == pytest.approx(1.5e9)
    assert e["poisson_ratio"].si("1") == pytest.approx(0.46)  # still the card's
    both = FilamentProperties.model_validate(
        {"material": "insulator", "poisson_ratio": {"value": 40, "unit": "%", "source": "t"}}
        | {"young_modulus": {"value": 2.0, "unit": "GPa", "source": "t"}}
    )
    assert both.problem() is None  # the card lacks E and ν, but both are given
    assert both.elastic()["poisson_ratio"].si("1") == pytest.approx(0.4)


def test_inline_card():
    card = {
        "young_modulus": {"value": 3.0, "unit": "GPa", "source": "t"},
        "poisson_ratio": {"value": 0.3, "unit": "1", "source": "t"},
    }
    e = FilamentProperties.model_validate({"material": card}).elastic()
    assert (e["young_modulus"].si("Pa"), e["poisson_ratio"].si("1")) == pytest.approx((3.0e9, 0.3))


@pytest.mark.parametrize(
    "material,message",
    [("unobtainium", "unknown material card 'unobtainium'"), ("insulator", "has no young_modulus")],
)
def test_unknown_card_or_card_without_stiffness_is_a_problem(material, message):
    key, why = FilamentProperties(material=material).problem() or ((), "")
    assert key == ("material",) and message in why, why


@pytest.mark.parametrize(
    "entry",
    [
        {"poisson_ratio": {"value": 0.5, "unit": "1", "source": "t"}},
        {"young_modulus": {"value": -1, "unit": "GPa", "source": "t"}},
    ],
)
def test_explicit_values_have_the_card_bounds(entry):
    with pytest.raises(ValidationError, match="non-physical"):
        FilamentProperties.model_validate(entry)
