"""The one run loop every physics model shares: mesh → solve → fields, figures, summary.

A physics module (named by its `physics.kind`'s entry in sim.physics.model.CAPABILITIES) exposes
`build(config, bundle, ctx) -> Model` (sim.loop runs it: stepping, checkpoints, failure summary,
fields); the experiments module exposes `run(config, bundle, ctx) -> RunResult`. This module does everything
else (run directory, logging, exit status, summary) so models stay small.
"""

from __future__ import annotations

import gc
import importlib
import json
import logging
import math
import resource
import shutil
import sys
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from numbers import Real
from pathlib import Path
from typing import Any

from sim._dolfinx import dolfinx

from mpi4py import MPI

from sim import checkpoint, interrupts
from sim.checkpoint import CHECKPOINT
from sim.config import LoadedConfig
from sim.figures import plot_fields, plot_regions
from sim.files import LockHeld, atomic_write, locked, watch_parent
from sim.geometry import GeometryError
from sim.loop import run_model
from sim.mesh import MeshBundle, build_mesh, mesh_key, mesh_summary, named_entities
from sim.output import FieldWriter, prepare_run_dir, versions, write_summary
from sim.physics.model import CAPABILITIES
from sim.solve import RunResult, SolverFailed

EXPERIMENTS = "sim.experiments.run"
"""runs `experiment` sections (by experiment.kind) on the physics of the config"""

EXIT_OK, EXIT_INVALID, EXIT_FAILED, EXIT_INTERRUPTED, EXIT_INTERNAL = 0, 2, 3, 130, 1
INTERRUPTED_BEFORE = "interrupted before the run started (nothing written)"


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
    identity: dict[str, str] = field(default_factory=dict)
    """the run's identity (`identity`), stored in every checkpoint"""
    functions: dict[str, Any] = field(default_factory=dict)
    """name → the DOLFINx Function last passed to write_fields (after the run: the final state)"""
    heartbeat_s: float = 600.0
    """wall seconds between progress log lines when the next 10 % is further away (a long run
    whose steps shrink still says how far it is)"""

    def log(self, message: str) -> None:
        self.logger.info(message)

    def debug(self, message: str) -> None:
        """A line for log.txt only (e.g. each rejected time step), not the console."""
        self.logger.debug(message)

    def write_fields(self, functions: list, t: float) -> None:
        self.functions |= {f.name: f for f in functions}
        self.fields.write(functions, t)

    @contextmanager
    def progress(self, description: str, total: float) -> Iterator[Callable[[float], None]]:
        """Progress of a long loop: yields `update(done)`; a rich bar on rank 0's terminal,
        plus a log line at every 10 % and at least every `heartbeat_s` of wall time (so log.txt
        shows progress too)."""
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
        next_log, last = [0.1], [time.monotonic()]

        def update(done: float) -> None:
            if bar is not None:
                bar.update(task, completed=done)
            now = time.monotonic()
            if done >= next_log[0] * total:
                self.logger.info(f"{description}: {100 * done / total:.0f}%")
                next_log[0] = (int(10 * done / total) + 1) / 10
            elif now - last[0] >= self.heartbeat_s:
                self.logger.info(f"{description}: {100 * done / total:.1f}% ({done:.6g} of {total:.6g})")
            else:
                return
            last[0] = now

        try:
            yield update
        finally:
            if bar is not None:
                bar.stop()


class _LogFile(logging.FileHandler):
    """log.txt: a line that cannot be written (e.g. a full disk) is lost without a traceback on the
    console; the summary says why the run failed."""

    def handleError(self, record: logging.LogRecord) -> None:
        pass


@dataclass
class RunOutcome:
    """What `execute` returns: the process exit code (DESIGN 4) and what the run produced."""

    exit_code: int
    status: str
    """"ok", "failed" or "interrupted" (as in summary.json)"""
    out: Path
    summary: dict[str, Any]
    """the summary as written to summary.json (JSON types)"""
    functions: dict[str, Any] = field(default_factory=dict)
    """name → DOLFINx Function of the final state (the fields the model wrote)"""
    bundle: MeshBundle | None = None
    """the mesh with its named tags (None if meshing failed)"""


def make_logger(out: Path, comm: MPI.Comm, quiet: bool) -> logging.Logger:
    """Logger writing to out/log.txt and the console on rank 0, silent elsewhere."""
    logger = logging.getLogger(f"sim.run.{out}")
    logger.handlers.clear()
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    if comm.rank != 0:
        logger.addHandler(logging.NullHandler())
        return logger
    handler = _LogFile(out / "log.txt", mode="w")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    if not quiet:
        from rich.logging import RichHandler

        console = RichHandler(show_path=False, markup=False)
        console.setLevel(logging.INFO)
        logger.addHandler(console)
    return logger


class Refused(Exception):
    """The run cannot start in its directory; nothing was changed there (exit `code`)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


def identity(loaded: LoadedConfig) -> dict[str, str]:
    """What a checkpoint must have been written by to be resumed: this resolved config up to the
    keys a resume may change (`state_sha256`), this mesh (geometry section, geometry code and gmsh
    version) and this sim version."""
    from sim.version import __version__

    return {
        "config_sha256": loaded.sha256,
        "state_sha256": loaded.state_sha256,
        "mesh_key": mesh_key(loaded.config.geometry),
        "sim_version": __version__,
    }


def _claim(out: Path, comm: MPI.Comm, stack: ExitStack) -> None:
    """Rank 0 takes the run directory's lock (held until this process ends); Refused (exit 2) on
    every rank if another process holds it or the directory cannot be written."""
    refusal = None
    if comm.rank == 0:
        try:
            stack.enter_context(locked(out, "`sim run`"))
        except LockHeld as exc:
            refusal = f"{exc}; wait for it to finish or choose another --out"
        except OSError as exc:
            refusal = f"cannot write the run directory {out}: {exc.strerror or exc}"
    refusal = comm.bcast(refusal, root=0)
    if refusal is not None:
        raise Refused(EXIT_INVALID, refusal)


def _resumable(out: Path, ident: dict[str, str], comm: MPI.Comm) -> bool:
    """Whether `out` has a checkpoint to resume from, after checking (collectively, before anything
    in `out` changes) that it is readable and this run's: Refused with exit 3 if it is damaged, 2
    if it belongs to another config, mesh or sim version."""
    if not comm.bcast((out / CHECKPOINT).exists() if comm.rank == 0 else None, root=0):
        return False
    fresh = f"start it afresh with `sim run {out / 'config.yaml'} --out {out}`"
    try:
        checkpoint.verify(out / CHECKPOINT, ident, comm)
    except checkpoint.CheckpointError as exc:
        raise Refused(EXIT_FAILED, f"cannot resume {out}: {exc}; {fresh}") from None
    except checkpoint.CheckpointMismatch as exc:
        raise Refused(EXIT_INVALID, f"cannot resume {out}: {exc}; {fresh}") from None
    return True


def _mesh_before_run_dir(loaded: LoadedConfig, out: Path, comm: MPI.Comm, created: bool) -> Any:
    """The mesh, built before anything in the claimed run directory changes: an impossible geometry
    is an invalid config (Refused, exit 2) and leaves nothing on disk (a directory made only for
    the lock is removed again)."""
    try:
        adaptive = getattr(loaded.config.physics, "adaptivity", None) is not None
        # an adaptive run refines its base mesh, and DOLFINx carries tags only to unghosted meshes
        ghosts = dolfinx.mesh.GhostMode.none if adaptive else dolfinx.mesh.GhostMode.shared_facet
        return build_mesh(loaded.config.geometry, comm, ghost_mode=ghosts)
    except GeometryError as exc:
        if created and comm.rank == 0:
            shutil.rmtree(out, ignore_errors=True)
        raise Refused(EXIT_INVALID, f"{loaded.file or loaded.name}: geometry: {exc}") from None


def execute(
    loaded: LoadedConfig,
    out: Path,
    comm: MPI.Comm = MPI.COMM_WORLD,
    quiet: bool = False,
    resume: bool = False,
) -> RunOutcome:
    """Run a validated config into `out`; the outcome carries the process exit code (DESIGN 4).

    Before `out` changes: its lock is taken and, with `resume`, its checkpoint is checked; a refusal
    is one line on stderr and leaves `out` as it was. A resume without a checkpoint (interrupted
    before the first one) starts from t = 0. From then on every ending writes summary.json.
    """
    ident = identity(loaded)
    with ExitStack() as stack:
        claimed, created = False, False
        try:
            created = not comm.bcast(out.exists() if comm.rank == 0 else None, root=0)
            _claim(out, comm, stack)
            claimed = True
            if comm.rank == 0:
                watch_parent()
            tick = time.perf_counter()
            bundle = _mesh_before_run_dir(loaded, out, comm, created)
            mesh_time = time.perf_counter() - tick
            from_checkpoint = resume and _resumable(out, ident, comm)
            return _run(loaded, out, comm, quiet, resume, from_checkpoint, ident, bundle, mesh_time)
        except Refused as exc:
            if comm.rank == 0:
                print(f"error: {exc}", file=sys.stderr)
            return RunOutcome(exc.code, "failed", out, {"status": "failed", "message": str(exc)})
        except KeyboardInterrupt:  # before _run's own handling (while claiming or meshing)
            if not claimed:  # nothing written
                if comm.rank == 0:
                    if created:  # a signal between the lock's mkdir and its file
                        shutil.rmtree(out, ignore_errors=True)
                    print(INTERRUPTED_BEFORE, file=sys.stderr)
                return RunOutcome(EXIT_INTERRUPTED, "interrupted", out, {"status": "interrupted"})
            # the directory is this run's: say so in it (a sweep reruns the point, --resume starts at t = 0)
            summary = {
                "config_name": loaded.name,
                "config_sha256": loaded.sha256,
                "physics": loaded.config.physics.kind,
                "mpi_ranks": comm.size,
                "metrics": {},
                "message": "interrupted while meshing, before the first step",
                "status": "interrupted",
            }
            if comm.rank == 0:
                with suppress(OSError):
                    write_summary(out, summary)
            return RunOutcome(EXIT_INTERRUPTED, "interrupted", out, summary)


def _run(
    loaded: LoadedConfig,
    out: Path,
    comm: MPI.Comm,
    quiet: bool,
    resume: bool,
    from_checkpoint: bool,
    ident: dict[str, str],
    bundle: Any,
    mesh_time: float,
) -> RunOutcome:
    """The run in a claimed directory: every way it ends (also a signal, a full disk or a bug)
    writes summary.json with its status and reason."""
    start = time.perf_counter()
    config = loaded.config
    summary: dict[str, Any] = {
        "config_name": loaded.name,
        "config_sha256": loaded.sha256,
        "config_file": str(loaded.file) if loaded.file else None,
        "overrides": loaded.overrides,
        "physics": config.physics.kind,
        "geometry": config.geometry.kind,
        "description": config.description,
        "mpi_ranks": comm.size,
        "num_dofs": 0,
        "num_steps": 0,
        "newton_iterations": 0,
        "metrics": {},
    }
    logger = logging.getLogger("sim.run.unstarted")
    logger.addHandler(logging.NullHandler())
    ctx = RunContext(
        out,
        comm,
        logger,
        FieldWriter(out / "fields", comm, config.output.fields, config.output.formats),
        quiet=quiet,
        resume=from_checkpoint,
        identity=ident,
    )
    code, status, message = EXIT_OK, "ok", ""
    timings: dict[str, float] = {}
    # SIGTERM (e.g. scancel) ends the run like Ctrl-C, but not inside a deferred() block (a mesh
    # rebuild, a collective conversion): it waits for its end
    stack = ExitStack()
    try:
        stack.enter_context(interrupts.armed())
        summary["versions"] = versions()
        prepare_run_dir(out, comm, resume=from_checkpoint)
        ctx.logger = logger = make_logger(out, comm, quiet)
        if comm.rank == 0:
            atomic_write(
                out / "config.yaml",
                f"# resolved config of {loaded.name} (defaults filled in)\n" + loaded.resolved_yaml,
            )
        logger.info(
            f"run {loaded.name}: {config.physics.kind} on {config.geometry.kind} geometry, "
            f"{comm.size} rank(s) → {out}"
        )
        if resume and not from_checkpoint:
            logger.info(f"no {CHECKPOINT} in {out} (stopped before its first checkpoint): starting at t = 0")
        summary["mesh"] = mesh_summary(bundle)
        summary |= named_entities(bundle)
        ctx.fields.attach(bundle)
        timings["mesh"] = mesh_time
        logger.info(f"mesh: {summary['mesh']} (built in {mesh_time:.2f} s)")
        figures = config.output.figures and bundle.mesh.geometry.dim == 2  # the figures are 2D maps
        if config.output.figures and not figures:
            logger.info("figures: skipped (a 3D mesh; the fields in fields/ show it, e.g. in ParaView)")
        if figures:
            plot_regions(bundle, out / "figures" / "regions.png", config.output.figure_width_px)
        model = importlib.import_module(
            CAPABILITIES[config.physics.kind].module if config.experiment is None else EXPERIMENTS
        )
        tick = time.perf_counter()
        if hasattr(model, "build"):  # on the model protocol
            result: RunResult = run_model(model.build(config, bundle, ctx), config, ctx)
        else:
            result = model.run(config, bundle, ctx)
        # PETSc objects left in reference cycles (a model and its solvers) are destroyed here,
        # collectively on every rank: a later collection inside rank-0-only plotting would call
        # their collective destroy on one rank and hang the run
        gc.collect()
        timings["physics"] = time.perf_counter() - tick
        extra = dict(result.extra)
        for key in ("regions", "boundaries"):  # a model's per-region results join the name → id map
            for name, values in extra.pop(key, {}).items():
                summary[key].setdefault(name, {}).update(values)
        summary |= {
            "num_dofs": result.num_dofs,
            "num_steps": result.num_steps,
            "newton_iterations": result.newton_iterations,
            "krylov_iterations": result.krylov_iterations,
            "metrics": result.metrics,
        } | extra
        bad = [k for k, v in result.metrics.items() if isinstance(v, Real) and not math.isfinite(v)]
        if bad:  # never an `ok` summary with a NaN/inf number in it
            raise SolverFailed(
                "non-finite metric(s): " + ", ".join(f"{k} = {result.metrics[k]}" for k in bad)
            )
        if figures:
            plot_fields(result.plots, result.plot_options, out / "figures", config.output.figure_width_px)
        for key, value in result.metrics.items():
            logger.info(f"  {key} = {value:.6g}")
    except (SolverFailed, checkpoint.CheckpointError, checkpoint.CheckpointMismatch) as exc:
        code, status, message = EXIT_FAILED, "failed", str(exc)
        logger.error(f"failed: {exc}")
    except OSError as exc:  # a full disk, a directory made read-only mid-run: not a bug in sim
        code, status, message = (
            EXIT_FAILED,
            "failed",
            str(exc) if exc.errno is None else f"cannot write: {exc}",
        )
        logger.error(message)
    except KeyboardInterrupt:
        code, status, message = EXIT_INTERRUPTED, "interrupted", "interrupted by signal"
        logger.warning("interrupted")
    except Exception as exc:
        code, status, message = EXIT_INTERNAL, "failed", f"internal error: {exc!r}"
        logger.error(traceback.format_exc())
    finally:
        stack.close()
    with interrupts.ignored():  # the outcome is decided; a late signal must not lose the summary
        try:
            ctx.fields.close()
        except OSError as exc:
            if code == EXIT_OK:
                code, status, message = EXIT_FAILED, "failed", str(exc)
                logger.error(message)
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
            try:
                write_summary(out, summary)
                logger.info(f"{status}: {out / 'summary.json'} ({summary['wall_time_s']:.1f} s)")
                if code not in (EXIT_OK, EXIT_INTERRUPTED):
                    print(f"error: {message} (summary: {out / 'summary.json'})", file=sys.stderr)
            except OSError as exc:  # the one place left to say why
                code = code or EXIT_FAILED
                why = f"{status}{': ' + message if message else ''}"
                print(
                    f"error: {why}; and {out / 'summary.json'} cannot be written ({exc.strerror})",
                    file=sys.stderr,
                )
        for handler in logger.handlers:
            with suppress(OSError):  # a full disk: the log's last lines are lost, the summary says why
                handler.close()
    # as summary.json has it (numpy scalars and arrays become JSON numbers and lists)
    written = json.loads(
        json.dumps(summary, default=lambda o: o.tolist() if hasattr(o, "tolist") else str(o))
    )
    return RunOutcome(code, status, out, written, dict(ctx.functions), bundle)
