"""The model protocol (issue 9): what a physics model declares, so that the run loop
(sim.loop.run_model) owns time stepping, checkpoints and `--resume`, progress, the failure summary,
field output and the summary for every model that follows it.

A model is its state (fem.Functions; their spaces are its function spaces), typed metrics of that
state, SI output fields and what it adds to the summary (`Model`). A model that steps in time
(`TransientModel`) also solves one step of its discretised residual F(u, u̇) = 0 from the accepted
state, accepts or rejects it, observes every accepted step and names the functions a checkpoint
holds; a model with a steady state (`SteadyModel`) reaches it in `solve_steady`. A model implements
one or both (NPP: both); the run loop chooses by the protocol the model implements and the
config's physics.time. What a model supports is declared in `CAPABILITIES` (one line per physics
kind) and checked once, when the config is validated (`not_resumable`, `unsupported`).

This module imports nothing else of `sim`, so the config layer can check capabilities without
an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pathlib import Path

    from dolfinx import fem


@dataclass
class StepOutcome:
    """What one step (`Stepper.step`) reports to the time stepper."""

    converged: bool
    newton_iterations: int = 0
    krylov_iterations: int = 0
    change: float = 0.0
    """max change of the monitored quantity over the step (compared with max_change)"""
    reason: str = ""
    error: float | None = None
    """estimated local time error of the monitored quantity (sim.timestep.LocalError; compared
    with time.error_tolerance), None where the model has none"""


@dataclass
class TimeStats:
    """The time stepper's state: time, last and next Δt, counters (checkpointed as is)."""

    t: float = 0.0
    dt: float = 0.0
    steps: int = 0
    rejected_steps: int = 0
    newton_iterations: int = 0
    krylov_iterations: int = 0
    next_dt: float = 0.0
    """the step to try next (set after every accepted or rejected step; used to resume)"""
    largest_error: float = 0.0
    """the largest local time-error estimate of an accepted step (StepOutcome.error; 0: none)"""

    def as_dict(self) -> dict[str, float]:
        return {
            "t_s": self.t,
            "dt_s": self.dt,
            "num_steps": self.steps,
            "rejected_steps": self.rejected_steps,
            "newton_iterations": self.newton_iterations,
            "krylov_iterations": self.krylov_iterations,
            "largest_error_estimate": self.largest_error,
        }


@dataclass(frozen=True)
class Capabilities:
    """What a physics model supports (checked at validation, not discovered mid-run), and where it
    is: `module` exposes `build(config, bundle, ctx)` (sim.runner imports it by this name)."""

    module: str
    """the model's module (its `build` returns the Model)"""
    steady: bool
    transient: bool
    resumable: bool
    """its transient runs write checkpoints that `sim run --resume` continues"""
    dims: tuple[int, ...]
    """mesh dimensions it runs on"""
    degrees: tuple[int, ...]
    """Lagrange element degrees of its unknowns"""
    geometries: tuple[str, ...] | None = None
    """geometry kinds it runs on (None: every kind)"""
    steady_resume: str = ""
    """why a steady run of it cannot be resumed (the refusal's wording)"""


CAPABILITIES: dict[str, Capabilities] = {
    "conduction": Capabilities(
        module="sim.physics.conduction",
        steady=True,
        transient=False,
        resumable=False,
        dims=(2, 3),
        degrees=(1, 2),
        geometries=("slab", "layers", "particles", "dendrite", "box", "file"),
        steady_resume="conduction is steady (one linear solve): run it again instead",
    ),
    "npp": Capabilities(
        module="sim.physics.npp_model",
        steady=True,
        transient=True,
        resumable=True,
        dims=(2,),
        degrees=(1, 2),
        geometries=("slab", "layers", "file"),
        steady_resume=(
            "a steady NPP run (time: null, pseudo-transient continuation) has no checkpoint: run it again"
        ),
    ),
    "cathode": Capabilities(
        module="sim.physics.npp_cathode",
        steady=False,
        transient=True,
        resumable=True,
        dims=(2,),
        degrees=(1, 2),
        geometries=("particles",),
    ),
    "phasefield": Capabilities(
        module="sim.physics.dendrite_run",
        steady=False,
        transient=True,
        resumable=True,
        dims=(2,),
        degrees=(1,),
        geometries=("dendrite",),
    ),
}
"""physics kind → its model's module and what it supports (the one registry of models)"""


def not_resumable(config: Any, caps: Capabilities | None = None) -> str | None:
    """Why `sim run --resume` cannot continue a run of `config` (a RunConfig; None: it can) by a
    model with capabilities `caps` (default: its kind's in CAPABILITIES): only transient windows of
    resumable models are checkpointed, with P1 fields (sim.checkpoint keys vertex dofs)."""
    if getattr(config, "experiment", None) is not None:
        return f"a {config.experiment.kind} experiment has no checkpoint: run it again"
    phys = config.physics
    caps = caps or CAPABILITIES[phys.kind]
    if not caps.transient or (caps.steady and getattr(phys, "time", None) is None):
        return caps.steady_resume
    if not caps.resumable:
        return f"{phys.kind} runs write no checkpoint: run it again"
    if getattr(phys, "element_degree", 1) != 1:
        return "checkpoints hold P1 fields only (element_degree is 2)"
    return None


def unsupported(config: Any) -> tuple[tuple[str, ...], str] | None:
    """What of `config` (a RunConfig) its model does not support, as (key path, message) for a
    validation error, read from CAPABILITIES: the mesh dimension (the box is 3D, every other
    geometry kind 2D), the geometry kind (pointing at physics.kind, with the kinds that run on
    that geometry) and the element degree."""
    kind, geometry = config.physics.kind, config.geometry.kind
    caps = CAPABILITIES[kind]
    dim = 3 if geometry == "box" else 2
    if dim not in caps.dims:
        runs = " and ".join(k for k, c in CAPABILITIES.items() if dim in c.dims)
        return ("geometry", "kind"), f"the {dim}D {geometry} geometry runs {runs} only ({kind} is not {dim}D)"
    if caps.geometries is not None and geometry not in caps.geometries:
        others = [k for k, c in CAPABILITIES.items() if c.geometries is None or geometry in c.geometries]
        return ("physics", "kind"), (
            f"{kind} runs on {', '.join(caps.geometries)} geometries only; on a {geometry} geometry "
            f"use physics.kind {' or '.join(others)}"
        )
    degree = getattr(config.physics, "element_degree", 1)
    if degree not in caps.degrees:
        return ("physics", "element_degree"), f"{kind} supports element degrees {caps.degrees} only"
    return None


@dataclass
class ModelResult:
    """What a model adds to the summary beyond its metrics (sim.solve.RunResult's other fields)."""

    plots: dict[str, Any] = field(default_factory=dict)
    """name → Function drawn as figures/<name>.png"""
    plot_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    """further JSON data for summary.json (profiles, per-region values, …)"""
    figures: dict[str, Callable[[Path], None]] = field(default_factory=dict)
    """file name → draw(path): rank-0 plots of the run's histories (with output.figures)"""


class Stepper(Protocol):
    """One implicit step of a discretised residual, from the accepted state (sim.timestep.integrate)."""

    def step(self, t: float, dt: float) -> StepOutcome:
        """Solve for the state at t + dt from the accepted state at t (do not accept it)."""
        ...

    def accept(self) -> None:
        """Make the last solved state the accepted state (copy state to old state)."""
        ...

    def reject(self) -> None:
        """Restore the iterate to the accepted state."""
        ...


@runtime_checkable
class Model(Protocol):
    """What every model the run loop drives (sim.loop.run_model) declares: its state, metrics,
    fields and summary data. A class that subclasses it explicitly inherits the defaults below
    (no snapshots, no failure note, nothing besides the metrics in a failure summary)."""

    label: str
    """the progress bar's name"""

    @property
    def capabilities(self) -> Capabilities: ...

    def state(self) -> list[fem.Function]:
        """The unknowns (the current iterate); their spaces are the model's function spaces."""
        ...

    def metrics(self, stats: TimeStats) -> Mapping[str, object]:
        """Typed metrics (a TypedDict of SI scalars) of the accepted state."""
        ...

    def output_fields(self) -> list[dict[str, fem.Function]]:
        """SI fields of the current state, named with their unit (one dict per output file)."""
        ...

    def result(self, stats: TimeStats) -> ModelResult:
        """Figures and extra summary data of the finished run."""
        ...

    def snapshots(self, t: float) -> dict[str, tuple[fem.Function, str, dict[str, Any]]]:
        """Figures of the fields just written at `t`: file stem → (function, title, options of
        sim.figures.plot_function) (with output.figures)."""
        return {}

    def failure_note(self) -> str:
        """What to add to a SolverFailed message about the last accepted state ('' for nothing)."""
        return ""

    def failure_summary(self, stats: TimeStats) -> dict[str, Any]:
        """Summary data besides the metrics that a failed or interrupted run reports."""
        return {}


@runtime_checkable
class SteadyModel(Model, Protocol):
    """A model with a steady state (runs without physics.time)."""

    def solve_steady(self) -> TimeStats:
        """Reach the steady state (raise SolverFailed when there is none)."""
        ...


@runtime_checkable
class TransientModel(Model, Stepper, Protocol):
    """A model that steps in physical time (runs with physics.time): adaptive steps, checkpoints,
    `--resume`; a failure rolls it back to its last accepted state, whose metrics are reported."""

    fields_on_failure: bool
    """a failed or interrupted run also writes the output of its last accepted state: fields,
    snapshots, figures and the result's data (sim.loop)"""

    def checkpoint_state(self) -> dict[str, fem.Function]:
        """name → Function of the accepted state, as a checkpoint stores it (P1)."""
        ...

    def checkpoint_data(self) -> dict[str, Any]:
        """The model's running totals besides its state (JSON-serialisable)."""
        ...

    def restore(self, data: dict[str, Any], stats: TimeStats) -> bool | None:
        """Take back `checkpoint_data` after a checkpoint has refilled the accepted state (at
        `stats.t`) and the iterate has been reset to it; True where that state already meets the
        stop criterion `observe` ends the run at (the resumed run then takes no step)."""
        ...

    def observe(self, stats: TimeStats) -> bool | None:
        """After every accepted step: running totals, checks (may raise SolverFailed); True ends
        the run there (e.g. a stop criterion is met)."""
        ...


@runtime_checkable
class Remeshing(Protocol):
    """A transient model whose mesh changes during the run (sim.adaptive): its checkpoint keys the
    dofs by vertex position (sim.checkpoint) and its checkpoint_data holds what rebuilds the mesh."""

    def remesh(self, data: dict[str, Any]) -> None:
        """Rebuild the mesh of the checkpointed state from `data` (its checkpoint_data) and the
        model on it, before the checkpoint refills the accepted state (`--resume`)."""
        ...
