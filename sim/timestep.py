"""Adaptive time stepping shared by the transient models (Nernst–Planck–Poisson, phase field).

A model provides a `Stepper` (solve one step from the accepted state; accept or roll back) and this
loop chooses Δt from Newton convergence and a change-per-step bound, rejects and retries failed
steps, reports progress, and calls back for output and checkpoints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from pydantic import Field, model_validator

from sim.config.base import Positive, Strict
from sim.solve import SolverFailed


class TimeConfig(Strict):
    """Time window and adaptive step control (all times in s)."""

    t_end: Positive
    """end time, s"""
    dt_initial: Positive
    """first time step, s (small: a sharp initial state needs it)"""
    dt_min: Positive = 1e-12
    """smallest step before the run is declared failed, s"""
    dt_max: Positive | None = None
    """largest step, s (default t_end / 10)"""
    growth: float = Field(default=1.5, gt=1.0, le=4.0)
    """factor Δt grows by after an easy step"""
    shrink: float = Field(default=0.5, gt=0.0, lt=1.0)
    """factor Δt shrinks by after a rejected step"""
    target_newton_iterations: int = Field(default=4, ge=1)
    """Δt grows only when Newton needed at most this many iterations"""
    max_change: Positive | None = None
    """reject a step whose max change of the monitored quantity exceeds this (model-defined)"""
    max_steps: int = Field(default=100000, gt=0)
    """hard cap on accepted steps"""
    output_every: int = Field(default=1, ge=1)
    """write fields every N accepted steps (and always at t_end)"""
    checkpoint_every: int = Field(default=0, ge=0)
    """write a checkpoint every N accepted steps (0: only on interrupt and at the end)"""

    @model_validator(mode="after")
    def _check(self) -> TimeConfig:
        if self.dt_initial > self.t_end:
            raise ValueError(f"dt_initial = {self.dt_initial} exceeds t_end = {self.t_end}")
        if self.dt_min > self.dt_initial:
            raise ValueError(f"dt_min = {self.dt_min} exceeds dt_initial = {self.dt_initial}")
        return self

    @property
    def dt_upper(self) -> float:
        return self.dt_max if self.dt_max is not None else self.t_end / 10.0


@dataclass
class StepOutcome:
    converged: bool
    newton_iterations: int = 0
    krylov_iterations: int = 0
    change: float = 0.0
    """max change of the monitored quantity over the step (compared with max_change)"""
    reason: str = ""


class Stepper(Protocol):
    def step(self, t: float, dt: float) -> StepOutcome:
        """Solve for the state at t + dt from the accepted state at t (do not accept it)."""

    def accept(self) -> None:
        """Make the last solved state the accepted state."""

    def reject(self) -> None:
        """Restore the solution guess to the accepted state."""


@dataclass
class TimeStats:
    t: float = 0.0
    dt: float = 0.0
    steps: int = 0
    rejected_steps: int = 0
    newton_iterations: int = 0
    krylov_iterations: int = 0
    next_dt: float = 0.0
    """the step to try next (set after every accepted or rejected step; used to resume)"""

    def as_dict(self) -> dict[str, float]:
        return {
            "t_s": self.t,
            "dt_s": self.dt,
            "num_steps": self.steps,
            "rejected_steps": self.rejected_steps,
            "newton_iterations": self.newton_iterations,
            "krylov_iterations": self.krylov_iterations,
        }


def integrate(
    stepper: Stepper,
    cfg: TimeConfig,
    *,
    stats: TimeStats | None = None,
    on_step: Callable[[TimeStats], bool | None] | None = None,
    on_output: Callable[[float], None] | None = None,
    on_checkpoint: Callable[[TimeStats], None] | None = None,
    progress: Callable[[float], None] | None = None,
) -> TimeStats:
    """Advance from stats.t (0 by default) to cfg.t_end; raises SolverFailed when Δt < dt_min.

    `stats` lets a resumed run continue with its step count and Δt. `on_step` runs after every
    accepted step (metrics, depletion checks); it may raise SolverFailed to stop the run, or return
    True to end the integration early (e.g. a steady state is reached; the output callback still runs).
    """
    stats = stats or TimeStats(dt=cfg.dt_initial)
    dt = stats.next_dt or stats.dt or cfg.dt_initial
    eps = 1e-12 * cfg.t_end
    while stats.t < cfg.t_end - eps:
        if stats.steps >= cfg.max_steps:
            raise SolverFailed(f"reached max_steps = {cfg.max_steps} at t = {stats.t:.6g} s")
        dt = min(dt, cfg.t_end - stats.t)
        outcome = stepper.step(stats.t, dt)
        stats.newton_iterations += outcome.newton_iterations
        stats.krylov_iterations += outcome.krylov_iterations
        too_big = cfg.max_change is not None and outcome.change > cfg.max_change
        if not outcome.converged or too_big:
            stepper.reject()
            stats.rejected_steps += 1
            dt *= cfg.shrink
            stats.next_dt = dt
            if dt < cfg.dt_min:
                why = outcome.reason or (
                    "Newton did not converge"
                    if not outcome.converged
                    else f"change {outcome.change:.3g} > max_change"
                )
                raise SolverFailed(
                    f"time step fell below dt_min = {cfg.dt_min:g} s at t = {stats.t:.6g} s ({why})"
                )
            continue
        stepper.accept()
        stats.t += dt
        stats.steps += 1
        stats.dt = dt
        easy = outcome.newton_iterations <= cfg.target_newton_iterations
        small = cfg.max_change is None or outcome.change < 0.5 * cfg.max_change
        if easy and small:
            dt = min(dt * cfg.growth, cfg.dt_upper)
        stats.next_dt = dt  # before the callbacks: a checkpoint taken in them resumes exactly
        stop = bool(on_step(stats)) if on_step is not None else False
        last = stop or stats.t >= cfg.t_end - eps
        if on_output is not None and (stats.steps % cfg.output_every == 0 or last):
            on_output(stats.t)
        if on_checkpoint is not None and cfg.checkpoint_every and stats.steps % cfg.checkpoint_every == 0:
            on_checkpoint(stats)
        if progress is not None:
            progress(stats.t)
        if stop:
            break
    return stats
