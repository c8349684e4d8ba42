"""The run loop of a `Model` (sim.physics.model), written once for every model on the protocol:
a `TransientModel` with physics.time gets adaptive time stepping with accept/reject/retry
(sim.timestep.integrate), a checkpoint every `checkpoint_every` steps and at the end, `--resume`
from it; a `SteadyModel` otherwise solves for its steady state. Both get progress, field output, the
failure summary and the model's RunResult.

A failure (SolverFailed, a signal) rolls a stepping model back to its last accepted state,
checkpoints it (resumable runs) and leaves that state's metrics in `ctx.state["summary"]` (with the
model's failure_summary; a model with fields_on_failure also writes that state's fields, figures
and result data) before it propagates to sim.runner, which writes the summary and the exit
status.
"""

from __future__ import annotations

import time
from typing import Any

from sim.checkpoint import RunCheckpoint
from sim.config.time import TimeConfig
from sim.figures import plot_fields, plot_function
from sim.mesh import num_dofs
from sim.physics.model import (
    Model,
    ModelResult,
    Remeshing,
    SteadyModel,
    TimeStats,
    TransientModel,
    not_resumable,
)
from sim.solve import RunResult, SolverFailed
from sim.timestep import integrate


def _write(model: Model, config: Any, ctx: Any, t: float) -> None:
    """The model's output fields at `t` and, with output.figures, its snapshot figures."""
    for group in model.output_fields():
        ctx.write_fields(list(group.values()), t)
    if config.output.figures:
        for stem, (function, title, options) in model.snapshots(t).items():
            path = ctx.out / "figures" / f"{stem}.png"
            plot_function(function, path, title, config.output.figure_width_px, **options)


def _figures(result: ModelResult, ctx: Any) -> None:
    """The model's whole-run figures (e.g. a growth curve); rank 0 draws them."""
    if ctx.comm.rank == 0:
        for name, draw in result.figures.items():
            draw(ctx.out / "figures" / name)


def _keep_output(model: TransientModel, stats: TimeStats, config: Any, ctx: Any) -> None:
    """What a finished run writes, of the last accepted state of a failed or interrupted one (a
    model with fields_on_failure): fields and snapshots, the whole-run figures, the final field
    maps (2D) and the model's result data (e.g. its front history) in the summary. Failing to
    write them is logged; it does not replace the failure's own message."""
    try:
        _write(model, config, ctx, stats.t)
        result = model.result(stats)
        ctx.state["summary"] = result.extra | ctx.state["summary"]
        if config.output.figures:
            _figures(result, ctx)
            if model.state()[0].function_space.mesh.geometry.dim == 2:
                width = config.output.figure_width_px
                plot_fields(result.plots, result.plot_options, ctx.out / "figures", width)
    except Exception as exc:
        ctx.log(f"the output of the last accepted state failed: {exc!r}")


def _failed(model: Model, stats: TimeStats, exc: BaseException, ctx: Any) -> SolverFailed | None:
    """After a failure (SolverFailed, a signal) of `model` at `stats`: a stepping model is rolled
    back to its last accepted state, whose metrics go to `ctx.state["summary"]` with the model's
    failure summary (a steady-only model has no accepted state); returns the SolverFailed to raise
    instead of `exc` when the model adds a note to its message."""
    summary: dict[str, Any] = {}
    if isinstance(model, TransientModel):
        model.reject()
        summary["metrics"] = dict(model.metrics(stats))
    # the run's totals up to that state, as a finished run reports them
    summary |= {
        "num_dofs": num_dofs(model.state()),
        "num_steps": stats.steps,
        "newton_iterations": stats.newton_iterations,
    }
    ctx.state["summary"] = summary | model.failure_summary(stats)
    note = model.failure_note() if isinstance(exc, SolverFailed) else ""
    return SolverFailed(f"{exc}; {note}") if note else None


def _transient(model: TransientModel, time_cfg: TimeConfig, config: Any, ctx: Any) -> TimeStats:
    """Step `model` over `time_cfg` (from its checkpoint with ctx.resume), with output and
    checkpoints; a failure leaves the last accepted state checkpointed (and its output written,
    with fields_on_failure)."""
    store = None
    # a model whose mesh changes: its new vertices have no original numbers, so dofs are keyed by
    # position, and its mesh is rebuilt from the checkpoint before the state is refilled
    remesh = model.remesh if isinstance(model, Remeshing) else None
    if not_resumable(config, model.capabilities) is None:
        by_position = remesh is not None
        store = RunCheckpoint(ctx.out, model.checkpoint_state, ctx.comm, ctx.identity, by_position)
    stats = TimeStats(dt=time_cfg.dt_initial)
    stopped = False
    if ctx.resume and store is not None:
        try:
            saved, data = store.load(remesh)
        except FileNotFoundError as exc:
            raise SolverFailed(str(exc)) from None
        model.reject()  # the iterate = the accepted state
        stats = TimeStats(**saved)
        stopped = bool(model.restore(data, stats))
        ctx.fields.resume(stats.t)
        ctx.log(f"resumed from {store.path} at t = {stats.t:.6g} s (step {stats.steps})")
        if stopped:
            ctx.log("the checkpoint's state already meets the run's stop criterion: no step to take")
    else:
        _write(model, config, ctx, 0.0)

    def save(s: TimeStats) -> None:
        if store is not None:
            store.save(s, model.checkpoint_data())

    try:
        if not stopped:
            with ctx.progress(model.label, time_cfg.t_end) as update:
                stats = integrate(
                    model,
                    time_cfg,
                    stats=stats,
                    on_step=model.observe,
                    on_output=lambda t: _write(model, config, ctx, t),
                    on_checkpoint=save if store is not None else None,
                    progress=update,
                    on_reject=ctx.debug,
                )
    except BaseException as exc:  # SolverFailed, KeyboardInterrupt: keep the last good state
        replaced = _failed(model, stats, exc, ctx)
        save(stats)
        if model.fields_on_failure:
            _keep_output(model, stats, config, ctx)
            save(stats)  # again: the snapshots just written are no longer due at a resume
        if replaced is not None:
            raise replaced from None
        raise
    save(stats)
    return stats


def _steady(model: SteadyModel, config: Any, ctx: Any) -> TimeStats:
    """Solve `model` for its steady state and write its fields."""
    stats = TimeStats()
    try:
        with ctx.progress(model.label, 1.0):
            stats = model.solve_steady()
    except BaseException as exc:
        replaced = _failed(model, stats, exc, ctx)
        if replaced is not None:
            raise replaced from None
        raise
    _write(model, config, ctx, 0.0)
    return stats


def run_model(model: Model, config: Any, ctx: Any) -> RunResult:
    """Run `model` for `config` in the run context `ctx` (sim.runner.RunContext): over its
    physics.time window if it is a TransientModel and the config has one, else to its steady
    state (a SteadyModel); returns what the run loop writes to the summary."""
    time_cfg: TimeConfig | None = getattr(config.physics, "time", None)
    start, cpu = time.perf_counter(), time.process_time()
    if isinstance(model, TransientModel) and time_cfg is not None:
        stats = _transient(model, time_cfg, config, ctx)
    elif isinstance(model, SteadyModel):
        stats = _steady(model, config, ctx)
    else:
        raise SolverFailed(f"{model.label} is transient only: physics.time is required")
    solve_time, solve_cpu = time.perf_counter() - start, time.process_time() - cpu
    metrics = dict(model.metrics(stats))
    result = model.result(stats)
    if config.output.figures:
        _figures(result, ctx)
    return RunResult(
        metrics=metrics,  # type: ignore[arg-type]  # a model's TypedDict of floats
        num_dofs=num_dofs(model.state()),
        num_steps=stats.steps,
        newton_iterations=stats.newton_iterations,
        krylov_iterations=stats.krylov_iterations,
        plots=result.plots,
        plot_options=result.plot_options,
        extra=result.extra | {"solve_time_s": solve_time, "solve_cpu_s": solve_cpu},
    )
