"""Material model: Nernst–Einstein, immobile-anion fraction, σ(T) laws; units through pint."""

import numpy as np
import pytest

from sim.config import material_library
from sim.config.materials import MaterialCard
from sim.materials import cation_diffusivity, immobile_fraction, transport
from sim.units import F, R, activation_energy_ev, to_si, vft

# seed 003 Table S2: T (°C), σ (S/cm)
TABLE_S2 = [(25, 4.56e-6), (45, 2.11e-4), (60, 4.21e-4), (80, 1.24e-3)]


def nernst_einstein_conductivity(d_cation, d_anion, c0, f, temperature):
    """σ = F²/(RT) (D⁺ c0 + D⁻ (1 − f) c0): the inverse of `transport`."""
    return F**2 / (R * temperature) * c0 * (d_cation + d_anion * (1.0 - f))


def card(**kw) -> MaterialCard:
    base = {
        "conductivity": {"value": 4.56e-4, "unit": "S/m"},
        "transference_number": {"value": 0.2},
        "salt_concentration": {"value": 1000, "unit": "mol/m3"},
    }
    cards = {k: v | {"source": "assumed"} for k, v in (base | kw).items()}
    return MaterialCard.model_validate(cards)


def test_peo_diffusivity_by_hand():
    # D+ = σ R T t+ / (F² c0) = 4.56e-4 · 8.314462618 · 298.15 · 0.2 / (96485.33212² · 1000)
    assert cation_diffusivity(4.56e-4, 0.2, 1000.0, 298.15) == pytest.approx(2.4285e-14, rel=1e-4)


def test_binary_card_has_no_immobile_anions():
    tr = transport(card(), 298.15)
    assert tr.immobile_fraction == 0.0
    assert tr.d_anion == pytest.approx(4.0 * tr.d_cation)  # r = (1 − t+)/t+ = 4
    assert nernst_einstein_conductivity(tr.d_cation, tr.d_anion, 1000.0, 0.0, 298.15) == pytest.approx(
        4.56e-4, rel=1e-12
    )


@pytest.mark.parametrize("t_plus", [0.2, 0.35, 0.5, 0.8])
def test_nernst_einstein_round_trip(t_plus):
    tr = transport(
        card(transference_number={"value": t_plus}, anion_cation_mobility_ratio={"value": 4.0}), 310.0
    )
    f = tr.immobile_fraction
    assert f == pytest.approx(1.0 - (1.0 / t_plus - 1.0) / 4.0)
    sigma = nernst_einstein_conductivity(tr.d_cation, tr.d_anion, tr.salt_concentration, f, 310.0)
    assert sigma == pytest.approx(4.56e-4, rel=1e-12)
    t_back = tr.d_cation / (tr.d_cation + tr.d_anion * (1.0 - f))
    assert t_back == pytest.approx(t_plus, rel=1e-12)


def test_immobile_fraction_bounds():
    assert immobile_fraction(0.5, 4.0) == pytest.approx(0.75)
    assert immobile_fraction(0.2, 4.0) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="below the filler-free value"):
        immobile_fraction(0.1, 4.0)
    with pytest.raises(ValueError, match="no free anions"):
        immobile_fraction(1.0, 4.0)


def test_arrhenius_card_matches_seed_table():
    """The card's Ea is the least-squares slope of ln σ vs 1/T over 45–80 °C of seed 003 Table S2."""
    t = np.array([T + 273.15 for T, _ in TABLE_S2[1:]])  # 45–80 °C: the amorphous branch
    sigma = np.array([s * 100.0 for _, s in TABLE_S2[1:]])
    slope = np.polyfit(1.0 / t, np.log(sigma), 1)[0]
    ea = -slope * 1.380649e-23 / 1.602176634e-19
    model = material_library()["peo_litfsi_vs_t"].conductivity_model
    assert ea == pytest.approx(model.activation_energy.value, abs=0.005)
    assert model.sigma(333.15) == pytest.approx(4.21e-2)


def test_vft_law_by_hand():
    # σ = A exp(−B/(k(T − T0))): A = 50 S/m, B = 0.08 eV, T0 = 180 K at 300 K
    assert vft(50.0, 0.08, 180.0, 300.0) == pytest.approx(50.0 * np.exp(-0.08 / (8.617333262e-5 * 120.0)))
    with pytest.raises(ValueError, match="VFT undefined"):
        vft(50.0, 0.08, 180.0, 170.0)


@pytest.mark.parametrize(
    "value,unit,si_unit,expected",
    [
        (1.0, "S/cm", "S/m", 100.0),
        (2.0, "mS/cm", "S/m", 0.2),
        (1.0, "mol/L", "mol/m3", 1000.0),
        (1.0, "M", "mol/m3", 1000.0),
        (3.0, "cm2/s", "m2/s", 3e-4),
        (1.0, "GPa", "Pa", 1e9),
        (12.6, "MPa", "Pa", 12.6e6),
        (13.0, "cm3/mol", "m3/mol", 13e-6),
        (25.0, "degC", "K", 298.15),
        (0.4, "", "1", 0.4),
        (0.4, "1", "1", 0.4),
        (40.0, "%", "1", 0.4),
        (1.0, "m3/(J s)", "m3/(J s)", 1.0),
    ],
)
def test_units_convert_to_si(value, unit, si_unit, expected):
    assert to_si(value, unit, si_unit) == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(
    "unit,si_unit,message",
    [
        ("GPA", "Pa", "unknown unit 'GPA'"),
        ("S", "S/m", "has dimension"),
        ("MPa", "1", "not that of '1'"),
        ("m/s", "", "not that of '1'"),
        ("mol/m3", "S/m", "has dimension"),
    ],
)
def test_units_reject_unknown_and_wrong_dimension(unit, si_unit, message):
    with pytest.raises(ValueError, match=message):
        to_si(1.0, unit, si_unit)


def test_activation_energy_per_particle_or_per_mole():
    assert activation_energy_ev(0.49, "eV") == 0.49
    assert activation_energy_ev(47.28, "kJ/mol") == pytest.approx(0.49002, rel=1e-4)  # / (e N_A)
    with pytest.raises(ValueError, match="not an energy"):
        activation_energy_ev(1.0, "K")


@pytest.mark.parametrize(
    "prop,unit",
    [("young_modulus", "S/m"), ("poisson_ratio", "MPa"), ("transference_number", "mol/m3")],
)
def test_card_properties_check_their_dimension(prop, unit):
    with pytest.raises(ValueError, match="has dimension"):
        card(**{prop: {"value": 0.3, "unit": unit}})
