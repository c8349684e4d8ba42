"""Discrete conservation: a closed cell keeps its Li⁺, anions and charge to 1e-10 per step; with
electrode fluxes the Li⁺ balance (amount change − inflow) closes below 1e-8."""

import pytest
from npp_setup import box_bundle, problem, props

from sim.physics.npp_output import NppOutput

D = 2.4e-14
# two regions with different immobile-anion fractions: the cell is out of equilibrium at t = 0
MATERIALS = {
    "lower": props(D, 4 * D, fixed_fraction=0.0, eps_r=8500.0),
    "upper": props(2 * D, 8 * D, fixed_fraction=0.6, eps_r=8500.0),
}  # λ_D ≈ 0.1 box


def steps(p, dt_s: float, n: int):
    """Yield (totals, net influx × Δt̂, change) after each of n accepted steps of dt_s seconds."""
    for _ in range(n):
        outcome = p.step(0.0, dt_s)
        assert outcome.converged, outcome.reason
        p.accept()
        yield p.totals(), dt_s / p.scales.time * p.net_influx(), outcome.change


BOUND = 1e-12
"""relative conservation error per step and over the run (measured ≤ 5.6e-14: round-off, which
grows with the dof count and differs between platforms, hence ~20x)"""


@pytest.mark.parametrize(
    "physics",
    [
        {"mode": "poisson", "reaction": {"kind": "blocking"}, "potential_difference": 0.05},
        {"mode": "electroneutral", "reaction": {"kind": "blocking"}},
    ],
)
def test_closed_cell_conserves_li_anions_charge(physics):
    p = problem(box_bundle(12), physics, MATERIALS)
    before = p.totals()
    changes, worst = [], 0.0
    for totals, _, change in steps(p, 2.0, 5):
        errors = [abs(totals[k] - before[k]) / before["li"] for k in ("li", "anion", "charge")]
        worst = max(worst, *errors)
        assert max(errors) < BOUND, (totals, before)
        changes.append(change)
    print(f"closed cell: worst relative change of Li, anions, charge {worst:.1e}")
    assert min(changes) > 1e-6  # the cell is really relaxing (Donnan layer / double layer)


@pytest.mark.parametrize(
    "reaction",
    [{"kind": "flux", "li_flux": 2e-6}, {"kind": "butler_volmer", "exchange_current_density": 1.0}],
)
def test_flux_boundaries_mass_balance(reaction):
    physics = {"reaction": reaction} | (
        {"potential_difference": 0.01} if reaction["kind"] == "butler_volmer" else {}
    )
    p = problem(box_bundle(12), physics, MATERIALS)
    out = NppOutput(p)
    balance = out.start_balance()
    li_before = balance.initial["li"]
    worst = 0.0
    for totals, entered, _ in steps(p, 5.0, 4):
        error = abs(totals["li"] - li_before - entered) / balance.initial["li"]
        worst = max(worst, error)
        assert error < BOUND
        li_before = totals["li"]
        balance.add(entered)
    metrics = out.metrics(balance)
    print(
        f"per step {worst:.1e}; mass balance {metrics['mass_balance_rel_error']:.1e}, "
        f"anion balance {metrics['anion_balance_rel_error']:.1e}"
    )
    assert metrics["mass_balance_rel_error"] < BOUND
    assert metrics["anion_balance_rel_error"] < BOUND
    assert metrics["anode_li_flux_mean_mol_m2_s"] > 0
