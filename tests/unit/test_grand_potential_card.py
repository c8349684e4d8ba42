"""The hong2018 card of the grand-potential model: complete, unit-checked, and self-consistent where
the MOOSE input's numbers are related (values of problems/hong2018/Code/input.i)."""

from __future__ import annotations

import math

from sim._dolfinx import dolfinx

import numpy as np
import pytest
from mpi4py import MPI

from sim.config.materials import Property
from sim.physics.grand_potential import forms
from sim.physics.grand_potential.card import PARAMETERS, check_card, parameter_cards, scaled
from sim.physics.grand_potential.noise import LatticeNoise
from sim.units import F, R


def test_card_states_every_parameter_with_a_source_block() -> None:
    card = parameter_cards()["hong2018"]
    assert set(card) == set(PARAMETERS)
    assert all(prop.source.startswith("input.i [") for prop in card.values())


def test_card_values_are_consistent_with_each_other() -> None:
    card = parameter_cards()["hong2018"]
    p = scaled(card)
    # the initial profile's k is the equilibrium one, √(B/2κ)
    assert math.sqrt(p.barrier / (2 * p.kappa)) == pytest.approx(card["ic_front_k"].value, rel=1e-12)
    # AA = F/RT at 300 K
    assert p.nF_RT == pytest.approx(F / (R * 300.0), rel=1e-3)
    # the Butler–Volmer 1/c0 is 1/c_l(w = 0): the initial electrolyte is at the reference concentration
    assert p.inverse_c0 / (1 + math.exp(p.eps_electrolyte / p.thermal)) == pytest.approx(1.0, rel=1e-3)
    # ft2 = F c_s with c_s the molar density of Li metal (0.534 g/cm3 / 6.94 g/mol)
    assert card["ft2"].si("C/m3") / F == pytest.approx(534.0 / 6.94e-3, rel=5e-3)


def test_card_rejects_unknown_missing_and_wrong_units() -> None:
    card = dict(parameter_cards()["hong2018"])
    with pytest.raises(ValueError, match="missing \\['dt'\\]"):
        check_card({k: v for k, v in card.items() if k != "dt"})
    with pytest.raises(ValueError, match="unknown \\['Lx'\\]"):
        check_card({**card, "Lx": Property(value=1.0, source="x")})
    with pytest.raises(ValueError, match="M0: unit 'S/m'"):
        check_card({**card, "M0": Property(value=1.0, unit="S/m", source="x")})
    converted = scaled({**card, "M0": Property(value=3.179e-10, unit="m2/s", source="SI")})
    assert converted.diffusivity == pytest.approx(317.9)


def test_noise_is_seeded_uniform_and_partition_independent() -> None:
    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, 40, 40)
    V = dolfinx.fem.functionspace(mesh, ("DG", 0))
    zeta = dolfinx.fem.Function(V)
    cells = mesh.topology.index_map(2)
    original = np.asarray(mesh.topology.original_cell_index[: cells.size_local])
    draws = []
    for _ in range(2):
        forms.draw_noise(zeta.x.array, original, 0.04, np.random.default_rng(7), cells.size_global)
        draws.append(zeta.x.array[: cells.size_local].copy())
    np.testing.assert_array_equal(draws[0], draws[1])
    reference = 0.04 * (2 * np.random.default_rng(7).random(cells.size_global) - 1)
    np.testing.assert_array_equal(draws[0], reference[original])
    assert np.max(np.abs(draws[0])) <= 0.04
    assert np.var(draws[0]) == pytest.approx(0.04**2 / 3, rel=0.1)


def _cell_draw(values: np.ndarray, amplitude: float, seed: int) -> np.ndarray:
    forms.draw_noise(values, np.arange(len(values)), amplitude, np.random.default_rng(seed), len(values))
    return values.copy()


def test_noise_without_reference_dt_is_input_i_s_draw_at_any_dt() -> None:
    reference = 0.04 * (2 * np.random.default_rng(3).random(500) - 1)
    for dt in (0.02, 0.08, 0.5):
        assert forms.noise_amplitude(0.04, dt, None) == 0.04
        np.testing.assert_array_equal(
            _cell_draw(np.zeros(500), forms.noise_amplitude(0.04, dt, None), 3), reference
        )


def test_noise_with_reference_dt_is_unscaled_at_it_and_half_at_four_times() -> None:
    """Per cell and on the lattice: Δt = dt_ref gives the unscaled draw, Δt = 4 dt_ref half of it."""
    ref = 0.02
    mesh = dolfinx.mesh.create_rectangle(MPI.COMM_WORLD, [[0.0, 0.0], [6.0, 4.0]], [12, 8])
    lattice = LatticeNoise(dolfinx.fem.functionspace(mesh, ("DG", 0)), 0.5, (6.0, 4.0))
    zeta = np.zeros(len(lattice.dofs))

    def lattice_draw(amplitude: float) -> np.ndarray:
        lattice.draw(zeta, amplitude, np.random.default_rng(5))
        return zeta.copy()

    for draw in (lambda a: _cell_draw(np.zeros(300), a, 5), lattice_draw):
        unscaled = draw(0.04)
        assert np.abs(unscaled).max() > 0.01
        np.testing.assert_array_equal(draw(forms.noise_amplitude(0.04, ref, ref)), unscaled)
        np.testing.assert_array_equal(draw(forms.noise_amplitude(0.04, 4 * ref, ref)), 0.5 * unscaled)


def _integrated_variance(dt: float, t_end: float, reference_dt: float | None) -> tuple[float, float]:
    """Variance over 20000 cells of Σ Δt ζ over [0, t_end] (one draw per step, seeded by the step
    number as the model does) and its standard error (from the fourth moment)."""
    total = np.zeros(20000)
    for step in range(round(t_end / dt)):
        rng = np.random.default_rng([0, step + 1])
        zeta = np.zeros_like(total)
        forms.draw_noise(
            zeta, np.arange(len(total)), forms.noise_amplitude(0.04, dt, reference_dt), rng, len(total)
        )
        total += dt * zeta
    dev = total - total.mean()
    var = float(np.mean(dev**2))
    return var, float(np.sqrt((np.mean(dev**4) - var**2) / len(total)))


def test_scaled_noise_integrates_to_the_same_variance_at_dt_and_four_dt() -> None:
    """Σ Δt ζ over 0.32 s at Δt = 0.02 and 0.08 s: with dt_ref = 0.02 both have the Wiener variance
    t A² dt_ref/3; without it the variance grows with Δt (×4 here)."""
    t_end, ref = 0.32, 0.02
    expected = t_end * 0.04**2 * ref / 3
    (v1, e1), (v4, e4) = (_integrated_variance(dt, t_end, ref) for dt in (ref, 4 * ref))
    print(f"variance Δt: {v1:.4e} ± {e1:.1e}, 4Δt: {v4:.4e} ± {e4:.1e}, Wiener {expected:.4e}")
    assert abs(v4 - v1) < 5 * math.hypot(e1, e4)
    for v, e in ((v1, e1), (v4, e4)):
        assert abs(v - expected) < 5 * e
    (u1, _), (u4, _) = (_integrated_variance(dt, t_end, None) for dt in (ref, 4 * ref))
    assert u4 / u1 == pytest.approx(4.0, rel=0.1)  # unscaled: the effect depends on Δt
