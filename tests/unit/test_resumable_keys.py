"""The keys `sim run --resume --set` may change (sim.config.RESUMABLE_KEYS) exist in a resolved
phase-field config, and only they leave the state hash of the checkpoint identity unchanged."""

from __future__ import annotations

from pathlib import Path

import yaml

from sim.config import RESUMABLE_KEYS, load_config, resumable

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "dendrite_peo.yaml"


def test_every_resumable_key_is_a_key_of_the_resolved_config():
    resolved = yaml.safe_load(load_config(CONFIG).resolved_yaml)
    for key in RESUMABLE_KEYS:
        section = resolved
        for part in key:
            assert isinstance(section, dict) and part in section, key
            section = section[part]


def test_only_resumable_keys_keep_the_state_hash():
    base = load_config(CONFIG)
    same = load_config(CONFIG, ["solver.newton.rtol=1e-9", "physics.time.t_end=500", "output.figures=false"])
    other = load_config(CONFIG, ["physics.applied_voltage=-0.04"])
    assert same.sha256 != base.sha256 and same.state_sha256 == base.state_sha256
    assert other.state_sha256 != base.state_sha256


def test_a_section_holding_a_resumable_key_is_not_itself_resumable():
    assert resumable(("physics", "time", "t_end")) and resumable(("solver", "petsc_options", "ksp_type"))
    assert not resumable(("physics", "time")) and not resumable(("output", "formats"))
