"""Δt from the local error estimate (sim.timestep.LocalError, time.error_tolerance) on backward
Euler for u' = −k u, whose local and global errors are known in closed form."""

from __future__ import annotations

import math

from sim._dolfinx import dolfinx

import numpy as np
import pytest
from mpi4py import MPI

from sim.config.time import PhaseFieldTime
from sim.physics.model import StepOutcome, TimeStats
from sim.timestep import LocalError, integrate

K = 2.0  # 1/s


class Decay:
    """Backward Euler for u' = −k u on the P1 dofs of a small mesh, each dof its own u(0)."""

    def __init__(self) -> None:
        mesh = dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, 2, 2)
        V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
        self.U, self.U_n = dolfinx.fem.Function(V), dolfinx.fem.Function(V)
        self.U_n.x.array[:] = 1.0 + np.arange(self.U_n.x.array.size)
        self.u0 = self.U_n.x.array.copy()
        self.error = LocalError(self.U, self.U_n, np.arange(self.U.x.array.size))
        self.estimates: list[float] = []
        """of the accepted steps"""
        self.pending: float | None = None

    def step(self, t: float, dt: float) -> StepOutcome:
        self.U.x.array[:] = self.U_n.x.array / (1 + K * dt)
        self.pending = self.error.measure(t, dt)[1]
        return StepOutcome(True, 1, 0, error=self.pending)

    def accept(self) -> None:
        if self.pending is not None:
            self.estimates.append(self.pending)
        self.error.accept()
        self.U_n.x.array[:] = self.U.x.array

    def reject(self) -> None:
        self.U.x.array[:] = self.U_n.x.array


def test_the_estimate_is_the_local_error_to_leading_order():
    """On steps of constant Δt the estimate is backward Euler's local error
    uₙ(e^{−kΔt} − 1/(1 + kΔt)) to O(kΔt): within 10 % at kΔt = 0.02 (measured 1.3 %), and its
    relative gap halves with Δt (first order in kΔt: 0.67 % at kΔt = 0.01)."""
    gaps = []
    for dt in (0.01, 0.005):
        model = Decay()
        t = 0.0
        for _ in range(3):
            outcome = model.step(t, dt)
            if outcome.error is not None:
                u_n = model.U_n.x.array
                exact = float(np.max(np.abs(u_n * (math.exp(-K * dt) - 1 / (1 + K * dt)))))
                gaps.append(abs(outcome.error / exact - 1))
            model.accept()
            t += dt
    assert len(gaps) == 2  # the first two steps have no estimate
    assert gaps[0] < 0.1 and gaps[1] == pytest.approx(gaps[0] / 2, rel=0.1)


def test_the_error_follows_the_tolerance():
    """Every accepted step's estimate ≤ the tolerance; a local error ∝ Δt² per step makes the step
    count ∝ tolerance^−½ and the global error at t_end ∝ tolerance^½: 10× smaller a tolerance,
    √10 = 3.16 × the steps (measured 3.07) and 1/√10 the error (measured 0.327), the error
    1.50 and 4.90 × the tolerance × max u(0)."""
    steps, errors = [], []
    for tolerance in (1e-3, 1e-4):
        model = Decay()
        cfg = PhaseFieldTime(t_end=2.0, dt_initial=1e-3, dt_max=1.0, growth=2.0, error_tolerance=tolerance)
        stats = integrate(model, cfg)
        assert max(model.estimates) <= tolerance
        exact = model.u0 * math.exp(-K * stats.t)
        errors.append(float(np.max(np.abs(model.U_n.x.array - exact)) / model.u0.max()))
        steps.append(stats.steps)
    assert steps[1] / steps[0] == pytest.approx(math.sqrt(10), rel=0.1)
    assert errors[1] / errors[0] == pytest.approx(1 / math.sqrt(10), rel=0.1)
    assert errors[0] < 10 * 1e-3


def test_without_a_tolerance_the_estimate_is_ignored():
    """error_tolerance null: Δt grows by `growth` after every easy step, as before."""
    cfg = PhaseFieldTime(t_end=2.0, dt_initial=1e-3, dt_max=1.0, growth=2.0)
    stats = integrate(Decay(), cfg, stats=TimeStats(dt=1e-3))
    assert stats.steps == 11  # 1, 2, 4, …, 512 ms (1.023 s), then the 0.977 s left


def test_the_predictor_extrapolates_the_last_two_states():
    """Newton's guess (`predict`) is Uⁿ while there is no rate (the first two steps, as for the
    estimate), then Uⁿ + (Δt/Δt₋)(Uⁿ − Uⁿ⁻¹): exact for a state linear in t, over steps of
    different length."""
    model = Decay()
    u0, slope = model.u0, -0.5 * model.u0 + 3.0
    t = 0.0
    for dt in (0.1, 0.2):
        model.U.x.array[:] = 0.0
        model.error.predict(t, dt)
        assert np.array_equal(model.U.x.array, model.U_n.x.array)
        model.U.x.array[:] = u0 + (t + dt) * slope  # "solved"
        model.error.measure(t, dt)
        model.accept()
        t += dt
    model.error.predict(t, 0.05)
    assert np.allclose(model.U.x.array, u0 + 0.35 * slope, rtol=1e-14, atol=0.0)
    assert not np.allclose(model.U.x.array, model.U_n.x.array, rtol=1e-3)


def test_a_resume_takes_its_next_step_within_a_lowered_dt_max():
    """A checkpoint's next Δt (0.5 s) above the resumed run's dt_max (0.1 s) is cut to dt_max at
    the first resumed step (`sim run --resume --set physics.time.dt_max`); the steps stay at it."""
    model, taken = Decay(), []
    step = model.step
    model.step = lambda t, dt: taken.append(dt) or step(t, dt)  # type: ignore[method-assign]
    cfg = PhaseFieldTime(t_end=2.0, dt_initial=1e-3, dt_max=0.1, growth=2.0)
    stats = integrate(model, cfg, stats=TimeStats(t=1.5, steps=10, dt=0.25, next_dt=0.5))
    assert taken == pytest.approx([0.1] * 5) and stats.t == pytest.approx(2.0)
