"""`sim compare` maps: both runs on one colour scale, concentrations as c / c̄ − 1, B − A."""

from __future__ import annotations

import numpy as np
import pytest

from sim.compare_maps import comparison_maps
from sim.files import atomic_write as write_text
from sim.vtu import Grid, pvd_text, vtu_text


def _run(directory, name, values):
    """A run directory with one field file: a unit-square (µm) mesh of two triangles, values at its points."""
    points = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], dtype=float) * 1e-6
    grid = Grid(points, np.array([[0, 1, 2], [0, 2, 3]]), 5, point_data={name: np.asarray(values, float)})
    (directory / "fields" / name).mkdir(parents=True)
    write_text(directory / "fields" / name / f"{name}_000000.vtu", vtu_text(grid))
    write_text(directory / "fields" / f"{name}.pvd", pvd_text([(0.0, f"{name}/{name}_000000.vtu")]))
    return directory


def test_concentration_maps_share_a_symmetric_deviation_scale(tmp_path):
    name = "concentration_Li_mol_m3"
    a = _run(tmp_path / "a", name, [990, 1010, 1010, 990])  # mean 1000: deviation ±1 %
    b = _run(tmp_path / "b", name, [999, 1001, 1001, 999])  # ±0.1 %
    summaries = [{"config_name": "a"}, {"config_name": "b"}]
    lo, hi = comparison_maps(name, summaries, [a, b], tmp_path / "maps.png")
    assert (lo, hi) == pytest.approx((-0.01, 0.01), rel=1e-12)  # the wider run sets both
    assert (tmp_path / "maps.png").stat().st_size > 10_000


def test_potential_maps_span_both_runs(tmp_path):
    name = "potential_V"
    a = _run(tmp_path / "a", name, [0.0, 0.01, 0.01, 0.0])
    b = _run(tmp_path / "b", name, [0.002, 0.004, 0.004, 0.002])
    lo, hi = comparison_maps(name, [{"config_name": "a"}, {"config_name": "b"}], [a, b], tmp_path / "m.png")
    assert (lo, hi) == (0.0, 0.01)
