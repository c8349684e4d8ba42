"""The phase-field ξ/η snapshot plan (sim.physics.phasefield_front.Snapshots): one snapshot per
output step serves every time that has passed, and a resume with a later t_end adds its times."""

from __future__ import annotations

import pytest

from sim.physics.phasefield_front import Snapshots


def _written(snaps: Snapshots, outputs: list[float]) -> list[float]:
    return [t for t in outputs if snaps.due(t, None, "ξ", "xi")]


def test_one_output_serves_every_time_that_passed():
    """Times 0.075, 0.15, 0.225, 0.3 and outputs at 0.17, 0.27, 0.3: 0.225 and 0.3 are both due at
    0.3, and nothing is left due after it (a resume used to write a stale snapshot at its first
    output)."""
    snaps = Snapshots(0.3, 4)
    assert _written(snaps, [0.05, 0.17, 0.27, 0.3]) == [0.17, 0.27, 0.3]
    assert snaps.times == []


def test_a_resume_with_a_later_t_end_gets_the_new_plan_after_the_checkpoint():
    first = Snapshots(0.3, 4)
    _written(first, [0.17, 0.27, 0.3])
    resumed = Snapshots(0.4, 4)  # the model rebuilt with t_end = 0.4: times 0.1, 0.2, 0.3, 0.4
    resumed.restore(first.times, 0.3)
    assert resumed.times == pytest.approx([0.4])
    same = Snapshots(0.3, 4)
    saved = same.times[2:]  # same t_end, checkpoint at 0.2: 0.225 and 0.3 still due
    same.restore(saved, 0.2)
    assert same.times == pytest.approx([0.225, 0.3])
