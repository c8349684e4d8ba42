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
