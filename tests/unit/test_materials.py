"""Material model: Nernst–Einstein, immobile-anion fraction, σ(T) fits, seed measurement formulas."""

import numpy as np
import pytest

from sim.config import material_library
from sim.config.materials import MaterialCard
from sim.materials import (
    cation_diffusivity,
    fit_arrhenius,
    fit_vft,
    immobile_fraction,
    nernst_einstein_conductivity,
    transport,
)
from sim.units import bruce_vincent, conductivity_from_resistance, vft, warburg_diffusivity

# seed 003 Table S2: T (°C), σ (S/cm)
TABLE_S2 = [(25, 4.56e-6), (45, 2.11e-4), (60, 4.21e-4), (80, 1.24e-3)]


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


def test_arrhenius_fit_matches_library_card():
    t = np.array([T + 273.15 for T, _ in TABLE_S2[1:]])  # 45–80 °C: the amorphous branch
    sigma = np.array([s * 100.0 for _, s in TABLE_S2[1:]])
    _, ea = fit_arrhenius(t, sigma)
    model = material_library()["peo_litfsi_vs_t"].conductivity_model
    assert ea == pytest.approx(model.activation_energy.value, abs=0.005)
    assert model.sigma(333.15) == pytest.approx(4.21e-2)


def test_arrhenius_fit_recovers_exact_data():
    t = np.linspace(290.0, 360.0, 6)
    sigma = 3.0 * np.exp(-0.42 * 11604.518 / t)
    a, ea = fit_arrhenius(t, sigma)
    assert (a, ea) == (pytest.approx(3.0, rel=1e-6), pytest.approx(0.42, rel=1e-5))


def test_vft_fit_recovers_exact_data_and_seed002():
    t = np.linspace(280.0, 360.0, 8)
    sigma = np.array([vft(50.0, 0.08, 180.0, T) for T in t])
    a, b, t0 = fit_vft(t, sigma)
    assert (a, b, t0) == (
        pytest.approx(50.0, rel=1e-3),
        pytest.approx(0.08, rel=1e-3),
        pytest.approx(180.0, abs=0.2),
    )
    # seed 002 SPE: 1.25e-3 (25 °C), ~2e-3 (40 °C), ~5e-3 S/cm (80 °C)
    t2, s2 = np.array([298.15, 313.15, 353.15]), np.array([0.125, 0.2, 0.5])
    a, b, t0 = fit_vft(t2, s2)
    assert [vft(a, b, t0, T) for T in t2] == pytest.approx(s2, rel=0.02)


def test_measurement_formulas_by_hand():
    # σ = l/(R A): 110 µm, 1200 Ω, 2 cm²
    assert conductivity_from_resistance(110e-6, 1200.0, 2e-4) == pytest.approx(4.5833e-4, rel=1e-4)
    # t+ = I_ss (ΔV − I0 R0) / (I0 (ΔV − I_ss R_ss)) = 4e-6 · 0.009 / (1e-5 · 0.0094)
    assert bruce_vincent(0.01, 1e-5, 4e-6, 100.0, 150.0) == pytest.approx(0.382979, rel=1e-5)
    # D = (RT)² / (2 (A F² C σ_w)²), T = 298 K, A = 1 cm², C = 1 mol/L, σ_w = 100 Ω s^-1/2
    assert warburg_diffusivity(100.0, 1e-4, 1000.0, 298.0) == pytest.approx(3.5418e-16, rel=1e-4)
