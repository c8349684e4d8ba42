"""The `physics.time` section of the transient models: time window and adaptive step control."""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.config.base import Positive, Strict


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
    """reject a step whose max change of the monitored quantity exceeds this: phase field max |Δξ|;
    NPP and the composite cathode max |Δ| of their scaled unknowns (electrochemical potentials and
    potential in RT/F), which includes the jump an applied potential or current makes in the first
    step whatever Δt, so a value below that jump (e.g. 2.6 for 66 mV of ohmic drop) stops the run"""
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


class PhaseFieldTime(TimeConfig):
    """The phase-field models' time section: the shared step control, and Δt from an estimate of
    the time-discretisation error."""

    error_tolerance: Positive | None = None
    """bound on backward Euler's local error in the phase field (ξ; grand potential η) per step,
    estimated from the last two accepted steps (sim.timestep.LocalError): a step above it is
    rejected, and Δt follows the estimate (× 0.9 √(tolerance / estimate), at most × growth) besides
    Newton's count and max_change; the estimate starts at the third step. null: Δt from Newton's
    count and max_change only"""
