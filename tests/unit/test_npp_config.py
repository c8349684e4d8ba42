"""NppPhysics refuses boundary-condition combinations that are ill-posed, with a clear message."""

import pytest
from pydantic import ValidationError

from sim.config.npp import NppPhysics


def physics(**kw) -> NppPhysics:
    return NppPhysics.model_validate({"kind": "npp"} | kw)


def test_defaults_are_the_seed_flux_in_the_electroneutral_limit():
    p = physics()
    assert (p.mode, p.reaction.kind, p.reaction.li_flux, p.potential_difference) == (
        "electroneutral",
        "flux",
        0.01,
        None,
    )


@pytest.mark.parametrize(
    "kw, message",
    [
        (
            {
                "mode": "poisson",
                "potential_difference": 0.01,
                "reaction": {"kind": "butler_volmer", "exchange_current_density": 1.0},
            },
            "needs mode electroneutral",
        ),
        (
            {"reaction": {"kind": "butler_volmer", "exchange_current_density": 1.0}},
            "needs potential_difference",
        ),
        ({"potential_difference": 0.01}, "potential_difference must be null"),
        ({"interface": {"transfer_coefficient": 1e-7}}, "is physics.kind: cathode, not npp"),
        (
            {
                "reaction": {"kind": "butler_volmer", "exchange_current_density": 1.0, "alpha": 1.2},
                "potential_difference": 0.01,
            },
            "less than 1",
        ),
    ],
)
def test_ill_posed_combinations_are_refused(kw, message):
    with pytest.raises(ValidationError, match=message):
        physics(**kw)
