"""Figure labels name the quantity (Li⁺, ξ, σ_h) with its SI unit; maps on one colour scale."""

from __future__ import annotations

import numpy as np
import pytest

from sim.compare_maps import _mean
from sim.figures import Tri, label, norm_for


@pytest.mark.parametrize(
    "name,expected",
    [
        ("concentration_Li_mol_m3", "Li⁺ concentration (mol/m³)"),
        ("phase_field_xi", "phase field ξ (1)"),
        ("phase_field_eta", "phase field η (1)"),
        ("li_ion_fraction_c_c0", "Li⁺ concentration (c₀)"),  # the grand-potential fields
        ("chemical_potential_RT", "chemical potential w (RT)"),
        ("hydrostatic_stress_Pa", r"hydrostatic stress $\sigma_\mathrm{h}$ (Pa)"),
        ("current_density_A_m2", "current density |i| (A/m²)"),
        ("li_flux_into_electrolyte_mol_m2_s", "li flux into electrolyte (mol/(m² s))"),
        ("ξ at t = 0.1 s", "ξ at t = 0.1 s"),
    ],
)
def test_label(name, expected):
    assert label(name) == expected


def test_diverging_norm_is_centred_on_zero():
    cmap, norm = norm_for(-1.0, 3.0, diverging=True)
    assert cmap == "RdBu_r" and norm(0.0) == pytest.approx(0.5) and norm(-3.0) == pytest.approx(0.0)
    assert norm_for(1.0, 3.0, diverging=True)[0] == "viridis"  # one sign: a sequential map


def test_area_weighted_mean_of_a_linear_field():
    # unit square in two triangles, c = 1 + x: mean 1.5 (exact for linear point values)
    x = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    tri = Tri(x, np.array([[0, 1, 2], [0, 2, 3]]), 1.0 + x[:, 0], "point")
    assert _mean(tri) == pytest.approx(1.5, rel=1e-14)
