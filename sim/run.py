"""The one run loop every physics model shares: mesh → solve → fields, figures, summary.

A physics module exposes `run(config, bundle, ctx) -> RunResult`; this module does everything
else (run directory, logging, exit status, summary) so models stay small.
"""

from __future__ import annotations

import gc
import importlib
import logging
import resource
import signal
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mpi4py import MPI

from sim.config import LoadedConfig
from sim.files import atomic_write
from sim.geometry import GeometryError
from sim.mesh import build_mesh, mesh_summary
from sim.output import FieldWriter, plot_function, plot_regions, prepare_run_dir, versions, write_summary
from sim.solve import RunResult, SolverFailed

PHYSICS = {
    "conduction": "sim.physics.conduction",
    "npp": "sim.physics.npp",
    "phasefield": "sim.physics.dendrite_run",
}

EXIT_OK, EXIT_INVALID, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INTERNAL = 0, 2, 3, 130, 1


@dataclass
class RunContext:
    """What a physics model may use from the run loop: logging, field output, the run directory."""

    out: Path
    comm: MPI.Comm
    logger: logging.Logger
    fields: FieldWriter
    quiet: bool = False
    state: dict[str, Any] = field(default_factory=dict)
    """progress a model records while running (e.g. steps, time) for a failure summary"""
    resume: bool = False
    """continue from the model's checkpoint in `out` (sim run --resume; transient models that write one)"""

    def log(self, message: str) -> None:
        self.logger.info(message)

    def write_fields(self, functions: list, t: float) -> None:
        self.fields.write(functions, t)

    @contextmanager
    def progress(self, description: str, total: float) -> Iterator[Callable[[float], None]]:
        """Progress of a long loop: yields `update(done)`; a rich bar on rank 0's terminal,
        plus a log line at every 10 % (so log.txt shows progress too)."""
        bar = None
        if self.comm.rank == 0 and not self.quiet:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>5.1f}%"),
                TimeElapsedColumn(),
                transient=True,
            )
            bar.start()
            task = bar.add_task(description, total=total)
        next_log = [0.1]

        def update(done: float) -> None:
            if bar is not None:
                bar.update(task, completed=done)
            if done >= next_log[0] * total:
                self.logger.info(f"{description}: {100 * done / total:.0f}%")
                next_log[0] = (int(10 * done / total) + 1) / 10

        try:
            yield update
        finally:
            if bar is not None:
                bar.stop()


def make_logger(out: Path, comm: MPI.Comm, quiet: bool) -> logging.Logger:
    """Logger writing to out/log.txt and the console on rank 0, silent elsewhere."""
    logger = logging.getLogger(f"sim.run.{out}")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.INFO)
    if comm.rank != 0:
        logger.addHandler(logging.NullHandler())
        return logger
    handler = logging.FileHandler(out / "log.txt", mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    if not quiet:
        from rich.logging import RichHandler

        logger.addHandler(RichHandler(show_path=False, markup=False))
    return logger


def _raise_interrupt(signum, frame):  # SIGTERM (e.g. scancel) ends the run like Ctrl-C
    raise KeyboardInterrupt


def execute(
    loaded: LoadedConfig,
    out: Path,
    comm: MPI.Comm = MPI.COMM_WORLD,
    quiet: bool = False,
    resume: bool = False,
) -> int:
    """Run a validated config into `out`; returns the process exit code (DESIGN 4)."""
    start = time.perf_counter()
    config = loaded.config
    prepare_run_dir(out, comm)
    logger = make_logger(out, comm, quiet)
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    if comm.rank == 0:
        atomic_write(
            out / "config.yaml",
            f"# resolved config of {loaded.name} (defaults filled in)\n" + loaded.resolved_yaml,
        )
    summary: dict[str, Any] = {
        "config_name": loaded.name,
        "config_sha256": loaded.sha256,
        "config_file": str(loaded.file) if loaded.file else None,
        "overrides": loaded.overrides,
        "physics": config.physics.kind,
        "geometry": config.geometry.kind,
        "description": config.description,
        "versions": versions(),
        "mpi_ranks": comm.size,
        "num_dofs": 0,
        "num_steps": 0,
        "newton_iterations": 0,
        "metrics": {},
    }
    ctx = RunContext(
        out, comm, logger, FieldWriter(out / "fields", comm, config.output.fields), quiet=quiet, resume=resume
    )
    code, status, message = EXIT_OK, "ok", ""
    timings: dict[str, float] = {}
    try:
        logger.info(
            f"run {loaded.name}: {config.physics.kind} on {config.geometry.kind} geometry, "
            f"{comm.size} rank(s) → {out}"
        )
        tick = time.perf_counter()
        logger.info("building the mesh (gmsh on rank 0)")
        bundle = build_mesh(config.geometry, comm)
        summary["mesh"] = mesh_summary(bundle)
        timings["mesh"] = time.perf_counter() - tick
        logger.info(f"mesh: {summary['mesh']}")
        figures = config.output.figures and bundle.mesh.geometry.dim == 2  # the figures are 2D maps
        if config.output.figures and not figures:
            logger.info("figures: skipped (a 3D mesh; the fields in fields/ show it, e.g. in ParaView)")
        if figures:
            plot_regions(bundle, out / "figures" / "regions.png", config.output.figure_width_px)
        model = importlib.import_module(PHYSICS[config.physics.kind])
        tick = time.perf_counter()
        result: RunResult = model.run(config, bundle, ctx)
        # PETSc objects left in reference cycles (a model and its solvers) are destroyed here,
        # collectively on every rank: a later collection inside rank-0-only plotting would call
        # their collective destroy on one rank and hang the run
        gc.collect()
        timings["physics"] = time.perf_counter() - tick
        summary |= {
            "num_dofs": result.num_dofs,
            "num_steps": result.num_steps,
            "newton_iterations": result.newton_iterations,
            "krylov_iterations": result.krylov_iterations,
            "metrics": result.metrics,
        } | result.extra
        if figures:
            for name, function in result.plots.items():
                plot_function(function, out / "figures" / f"{name}.png", name, config.output.figure_width_px)
        for key, value in result.metrics.items():
            logger.info(f"  {key} = {value:.6g}")
    except GeometryError as exc:
        code, status, message = EXIT_INVALID, "failed", f"invalid geometry: {exc}"
        logger.error(message)
    except SolverFailed as exc:
        code, status, message = EXIT_FAILED, "failed", str(exc)
        logger.error(f"solver failed: {exc}")
    except KeyboardInterrupt:
        code, status, message = EXIT_INTERRUPTED, "interrupted", "interrupted by signal"
        logger.warning("interrupted")
    except Exception as exc:
        code, status, message = EXIT_INTERNAL, "failed", f"internal error: {exc!r}"
        logger.error(traceback.format_exc())
    finally:
        signal.signal(signal.SIGTERM, previous)
        ctx.fields.close()
    summary |= ctx.state.pop("summary", {})
    summary["wall_time_s"] = time.perf_counter() - start
    summary["timings_s"] = timings
    summary["peak_memory_mb"] = comm.allreduce(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, op=MPI.MAX
    )
    summary["status"] = status
    if message:
        summary["message"] = message
    if comm.rank == 0:
        write_summary(out, summary)
        logger.info(f"{status}: {out / 'summary.json'} ({summary['wall_time_s']:.1f} s)")
    for handler in logger.handlers:
        handler.close()
    return code
