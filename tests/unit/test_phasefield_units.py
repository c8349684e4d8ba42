"""Phase-field parameters and filament properties go through pint: any unit of the right dimension
is converted (the four parameters without a conversion table before accepted only their SI string),
a wrong dimension is a ValueError at load, and the filament's Poisson ratio unit is honoured."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from sim.config.phasefield import PhaseFieldPhysics

TIME = {"t_end": 0.1, "dt_initial": 1e-3}


def physics(**kw) -> PhaseFieldPhysics:
    return PhaseFieldPhysics.model_validate({"kind": "phasefield", "time": TIME} | kw)


@pytest.mark.parametrize(
    "name,value,unit,si",
    [
        ("W", 6.0, "MJ/m3", 6.0e6),
        ("W", 6.0, "MPa", 6.0e6),  # J/m³ = Pa
        ("kappa0", 1.5625, "uJ/m", 1.5625e-6),
        ("L_eta", 0.5, "1/ms", 500.0),
        ("L_sigma", 2.5, "mm3/(J s)", 2.5e-9),
        ("sigma_l", 1.0, "mS/cm", 0.1),
        ("T", 25.0, "degC", 298.15),
    ],
)
def test_deviation_in_any_unit_of_the_dimension(name, value, unit, si):
    p = physics(deviations={name: {"value": value, "unit": unit, "source": "test"}})
    assert p.values()[name] == pytest.approx(si, rel=1e-12)


@pytest.mark.parametrize(
    "name,unit",
    [("W", "J/m"), ("kappa0", "J/m3"), ("L_eta", "s"), ("L_sigma", "m3/J"), ("alpha", "V"), ("T", "J")],
)
def test_deviation_of_another_dimension_is_rejected(name, unit):
    with pytest.raises(ValidationError, match=f"{name}: unit '{unit}' has dimension"):
        physics(deviations={name: {"value": 1.0, "unit": unit, "source": "test"}})


def test_filament_units():
    p = physics(
        filament={
            "young_modulus": {"value": 1500.0, "unit": "MPa", "source": "test"},
            "poisson_ratio": {"value": 40, "unit": "%", "source": "test"},
        }
    )
    assert p.filament.young_modulus.si("Pa") == pytest.approx(1.5e9)
    assert p.filament.poisson_ratio.si("1") == pytest.approx(0.4)
    for bad in (
        {"young_modulus": {"value": 1.0, "unit": "GPA", "source": "test"}},
        {"poisson_ratio": {"value": 0.4, "unit": "MPa", "source": "test"}},
    ):
        with pytest.raises(ValidationError, match="filament"):
            physics(filament=bad)
