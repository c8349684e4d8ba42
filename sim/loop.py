"""The run loop of a `Model` (sim.physics.model), written once for every model on the protocol:
adaptive time stepping with accept/reject/retry (sim.timestep.integrate), a checkpoint every
`checkpoint_every` steps and at the end, `--resume` from it, progress, field output, the failure
summary with the last accepted state's metrics, and the model's RunResult.

A failure (SolverFailed, a signal) rolls the model back to its last accepted state, checkpoints it
(resumable runs) and leaves that state's metrics in `ctx.state["summary"]` before it propagates to
sim.runner, which writes the summary and the exit status.
"""

from __future__ import annotations

import time
from typing import Any

from sim.checkpoint import RunCheckpoint
from sim.config.time import TimeConfig
from sim.figures import plot_function
from sim.physics.model import Model, TimeStats, not_resumable
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


def run_model(model: Model, config: Any, ctx: Any) -> RunResult:
    """Run `model` for `config` (its physics.time window, or to the steady state) in the run
    context `ctx` (sim.runner.RunContext) and return what the run loop writes to the summary."""
    time_cfg: TimeConfig | None = getattr(config.physics, "time", None) if model.transient else None
    store = None
    if time_cfg is not None and not_resumable(config, model.capabilities) is None:
        store = RunCheckpoint(ctx.out, model.checkpoint_state(), ctx.comm, ctx.identity)
    stats = TimeStats(dt=time_cfg.dt_initial) if time_cfg is not None else TimeStats()
    if ctx.resume and store is not None:
        try:
            saved, data = store.load()
        except FileNotFoundError as exc:
            raise SolverFailed(str(exc)) from None
        model.reject()  # the iterate = the accepted state
        stats = TimeStats(**saved)
        model.restore(data, stats)
        ctx.log(f"resumed from {store.path} at t = {stats.t:.6g} s (step {stats.steps})")
    elif time_cfg is not None:
        _write(model, config, ctx, 0.0)

    def save(s: TimeStats) -> None:
        if store is not None:
            store.save(s, model.checkpoint_data())

    start = time.perf_counter()
    try:
        with ctx.progress(model.label, time_cfg.t_end if time_cfg is not None else 1.0) as update:
            if time_cfg is None:
                stats = model.solve_steady()
            else:
                stats = integrate(
                    model,
                    time_cfg,
                    stats=stats,
                    on_step=model.observe,
                    on_output=lambda t: _write(model, config, ctx, t),
                    on_checkpoint=save if store is not None else None,
                    progress=update,
                )
    except BaseException as exc:  # SolverFailed, KeyboardInterrupt: keep the last good state
        model.reject()
        save(stats)
        if model.fields_on_failure and time_cfg is not None:
            _write(model, config, ctx, stats.t)
        ctx.state["summary"] = {"metrics": dict(model.metrics(stats))} | model.failure_summary(stats)
        note = model.failure_note() if isinstance(exc, SolverFailed) else ""
        if note:
            raise SolverFailed(f"{exc}; {note}") from None
        raise
    save(stats)
    solve_time = time.perf_counter() - start
    if time_cfg is None:
        _write(model, config, ctx, 0.0)
    metrics = dict(model.metrics(stats))
    result = model.result(stats)
    if config.output.figures and ctx.comm.rank == 0:
        for name, draw in result.figures.items():
            draw(ctx.out / "figures" / name)
    return RunResult(
        metrics=metrics,  # type: ignore[arg-type]  # a model's TypedDict of floats
        num_dofs=sum(
            f.function_space.dofmap.index_map.size_global * f.function_space.dofmap.index_map_bs
            for f in model.state()
        ),
        num_steps=stats.steps,
        newton_iterations=stats.newton_iterations,
        krylov_iterations=stats.krylov_iterations,
        plots=result.plots,
        plot_options=result.plot_options,
        extra=result.extra | {"solve_time_s": solve_time},
    )
