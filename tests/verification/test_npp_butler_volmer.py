"""Butler–Volmer electrodes with one standard state for the cell (electroneutral, 1D stacks).

1. Zero current in equilibrium: two Li electrodes at ΔV = 0 with any stack of layers between them
   (c0, t⁺, σ, immobile fraction differ) relax to μ̂⁺ uniform and carry no current, |i| / i0 < 1e-12.
2. Concentration cell: binary-salt layers of one t⁺ at different c0. With no current, i = 0 in
   every cross-section, so D⁺ ∇μ̂⁺ = D⁻ ∇μ̂⁻ and μ̂⁺ + μ̂⁻ = 2 ln ĉ give ∇μ̂⁺ = 2 (1 − t⁺) ∇ ln ĉ for
   any profile; both electrodes sit at φ̂_e = μ̂⁺, so the zero-current voltage is
       ΔV = φ_cathode − φ_anode = 2 (1 − t⁺) (RT/F) ln(c_cathode / c_anode)
   (Nernst voltage of a concentration cell with transference, Bard & Faulkner §2.3; (RT/F) ln(c2/c1)
   at t⁺ = 1/2). It is measured on the start state after one short implicit-Euler step, while the
   junction has not reached the electrodes: ΔV is found where the current changes sign.
"""

import numpy as np
import pytest
from npp_setup import layers_bundle, problem, props

from sim.config.physics import NewtonConfig, SolverConfig
from sim.physics.npp import advance
from sim.units import F

I0 = 1.0  # A/m², the exchange current density: the reference current scale of both tests


def random_stack(rng, n_layers: int, binary: bool, t_plus: float | None = None):
    """Layers with random c0 (200–2000 mol/m³), D⁺ (σ), t⁺ and immobile fraction (0 when binary)."""
    materials, lengths = {}, []
    for i in range(n_layers):
        d_plus = 10 ** rng.uniform(-14, -12)
        t = t_plus if t_plus is not None else rng.uniform(0.15, 0.85)
        f = 0.0 if binary else rng.uniform(0.0, 0.8)
        d_minus = d_plus * (1 - t) / (t * (1 - f))  # t⁺ = D⁺/(D⁺ + D⁻ (1 − f))
        materials[f"layer{i}"] = props(d_plus, d_minus, fixed_fraction=f, c0=rng.uniform(200.0, 2000.0))
        lengths.append(float(rng.uniform(1.0, 5.0)))
    return lengths, materials


def bv_problem(lengths, materials, cells_per_layer=20, dv=0.0, **physics):
    bundle = layers_bundle(lengths, [cells_per_layer] * len(lengths))
    physics = {
        "reaction": {"kind": "butler_volmer", "exchange_current_density": I0, "alpha": 0.5},
        "potential_difference": dv,
    } | physics
    return problem(
        bundle, physics, materials, solver=SolverConfig(newton=NewtonConfig(rtol=1e-14, atol=1e-16))
    )


def current(p) -> float:
    """Current density into the anode, A/m² (Li⁺ plating flux × F)."""
    anode = p.bundle.boundaries["anode"]
    return -F * p.integral(p.influx["anode"], p.ds(anode)) * p.scales.flux


def test_issue_example_and_random_stacks_carry_no_current_at_zero_voltage():
    """The issue's cell (one salt, c0 = 1600 | 320 mol/m³; was −0.843 A/m² forever) and four random
    stacks of 2–4 layers with immobile anions: steady state at ΔV = 0 carries |i| < 1e-12 i0."""
    rng = np.random.default_rng(14)
    salt = {"layer0": props(2.4e-14, 9.6e-14, c0=1600.0), "layer1": props(2.4e-14, 9.6e-14, c0=320.0)}
    cases = [([2.0, 3.0], salt)] + [random_stack(rng, n, binary=False) for n in (2, 3, 3, 4)]
    for lengths, materials in cases:
        p = bv_problem(lengths, materials)
        start = p.w.x.array.copy()
        advance(p, None, sum(lengths) * 1e-6, tolerance=1e-13)
        i = current(p)
        assert abs(i) / I0 < 1e-12, (i, lengths, materials)
        assert np.abs(p.w.x.array - start).max() > 0.1  # the cell relaxed: it did not start at rest


def zero_current_voltage(p, dt: float) -> float:
    """ΔV (V) at which the current after one implicit-Euler step of `dt` s from the start state is
    zero (secant iteration on i(ΔV))."""
    start = p.w.x.array.copy()
    cathode = p.electrode_psi["cathode"]

    def i_of(dv: float) -> float:
        p.w.x.array[:] = start
        cathode.value = dv / p.scales.potential
        outcome = p.step(0.0, dt)
        assert outcome.converged, outcome.reason
        return current(p)

    a, b = 0.0, 0.02
    ia, ib = i_of(a), i_of(b)
    for _ in range(30):
        c = b - ib * (b - a) / (ib - ia)
        a, ia, b, ib = b, ib, c, i_of(c)
        if abs(b - a) < 1e-15:
            break
    return b


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_concentration_cell_gives_the_nernst_voltage(seed):
    rng = np.random.default_rng(seed)
    t_plus = rng.uniform(0.2, 0.8)
    lengths, materials = random_stack(rng, 2 + seed % 2, binary=True, t_plus=t_plus)
    lengths = [10.0 * x for x in lengths]  # the junction stays far from the electrodes
    p = bv_problem(lengths, materials, cells_per_layer=40)
    c_anode = materials["layer0"].salt_concentration
    c_cathode = materials[f"layer{len(lengths) - 1}"].salt_concentration
    nernst = 2.0 * (1.0 - t_plus) * p.scales.potential * np.log(c_cathode / c_anode)
    slowest = min(
        (x * 1e-6) ** 2 / max(m.d_cation, m.d_anion) for x, m in zip(lengths, materials.values(), strict=True)
    )
    dv = zero_current_voltage(p, dt=1e-3 * slowest)
    assert abs(dv - nernst) < 1e-11 * abs(nernst), (dv, nernst, t_plus, c_anode, c_cathode)
