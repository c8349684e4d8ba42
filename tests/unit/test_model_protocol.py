"""The model protocol (sim.physics.model): every physics kind declares its capabilities, and
`--resume` is allowed exactly for the transient P1 runs of resumable models (one check, read from
those declarations)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.config import load_config
from sim.physics.model import CAPABILITIES, not_resumable
from sim.runner import PHYSICS

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


def test_every_physics_kind_declares_capabilities():
    assert set(CAPABILITIES) == set(PHYSICS)
    for caps in CAPABILITIES.values():
        assert caps.steady or caps.transient
        assert (caps.steady_resume != "") == caps.steady  # a steady run says why it cannot resume


@pytest.mark.parametrize(
    "config,sets,why",
    [
        ("seed002_bilayer.yaml", [], "conduction is steady"),
        ("peo_20x5p6.yaml", [], "steady NPP run"),
        (
            "peo_20x5p6.yaml",
            ["physics.time={t_end: 1.0, dt_initial: 0.01}", "physics.element_degree=2"],
            "P1 fields only",
        ),
        ("peo_20x5p6.yaml", ["physics.time={t_end: 1.0, dt_initial: 0.01}"], None),
        ("pl_lfp_cathode.yaml", [], None),
        ("dendrite_peo.yaml", [], None),
    ],
)
def test_resume_is_refused_where_the_capabilities_say(config, sets, why):
    reason = not_resumable(load_config(CONFIGS / config, sets).config)
    if why is None:
        assert reason is None
    else:
        assert reason is not None and why in reason


def test_a_model_runs_only_in_the_dimensions_it_declares():
    from sim.config import ConfigError

    box = load_config(CONFIGS / "examples" / "conduction_box_sphere.yaml").config
    assert box.physics.kind == "conduction" and 3 in CAPABILITIES["conduction"].dims
    with pytest.raises(ConfigError, match=r"geometry\.kind: the 3D box geometry runs conduction only"):
        load_config(
            CONFIGS / "peo_20x5p6.yaml",
            ["geometry={kind: box, width: 2.0e-5, depth: 2.0e-5, height: 2.0e-5}"],
        )


def test_every_kind_declares_the_geometries_it_runs_on():
    """Capabilities.geometries names real geometry kinds, every geometry kind runs some physics,
    and a kind off its geometries is refused at physics.kind naming the kinds that run there."""
    from types import SimpleNamespace

    from sim.geometry import KINDS
    from sim.physics.model import unsupported

    for kind, caps in CAPABILITIES.items():
        assert caps.geometries is not None and set(caps.geometries) <= set(KINDS), kind
    assert set(KINDS) == {g for caps in CAPABILITIES.values() for g in caps.geometries or ()}
    refused = 0
    for kind, caps in CAPABILITIES.items():
        for geometry in KINDS:
            config = SimpleNamespace(
                physics=SimpleNamespace(kind=kind), geometry=SimpleNamespace(kind=geometry)
            )
            why = unsupported(config)
            dim_ok = (3 if geometry == "box" else 2) in caps.dims
            assert (why is None) == (geometry in (caps.geometries or ()) and dim_ok), (kind, geometry)
            if why is not None and dim_ok:
                refused += 1
                runs = [k for k, c in CAPABILITIES.items() if geometry in (c.geometries or ())]
                assert why[0] == ("physics", "kind") and f"use physics.kind {' or '.join(runs)}" in why[1]
    assert refused == 10  # npp: particles, dendrite; cathode: 4 others; phasefield: 4 others (box is 3D)
