"""Local backend: run points in parallel processes, each `sim run` in its own subprocess.

A crashing point cannot take down the others; Ctrl-C terminates the running points (their
summaries say `interrupted`), skips the rest and leaves finished points intact. A point whose sweep
dies (kill -9) stops itself (`sim run` watches $SIM_SWEEP_PID, `sim.files.watch_parent`); a rerun
that finds a point's run directory still locked does not start it a second time.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from sim import interrupts
from sim.files import PARENT_ENV, lock_holder
from sim.sweep.store import DONE, SweepDir

EXIT_OK, EXIT_FAILED, EXIT_INTERRUPTED = 0, 3, 130


def sim_command() -> list[str]:
    """How to start `sim` with this installation's Python."""
    return [sys.executable, "-m", "sim.cli"]


def mpiexec() -> str:
    """The `mpiexec` next to this Python (the venv's, from the mpich wheel), else the one on PATH."""
    local = Path(sys.executable).parent / "mpiexec"
    return str(local) if local.exists() else "mpiexec"


def point_command(store: SweepDir, point_id: str, ranks: int) -> list[str]:
    """The command line that runs one point into its run directory."""
    launch = [mpiexec(), "-n", str(ranks)] if ranks > 1 else []
    return [
        *launch,
        *sim_command(),
        "run",
        str(store.config(point_id)),
        "--out",
        str(store.run_dir(point_id)),
        "--quiet",
    ]


class _Pool:
    """Runs point commands in subprocesses (own session each, so they can be stopped as a group)."""

    def __init__(self) -> None:
        self.running: dict[str, subprocess.Popen] = {}
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def run(self, store: SweepDir, point_id: str, ranks: int) -> int | None:
        with self.lock:
            if self.stopping.is_set() or lock_holder(store.run_dir(point_id)) is not None:
                return None  # a point still running (from a sweep that was killed) is left alone
            with open(store.log(point_id), "w") as log:
                try:
                    process = subprocess.Popen(
                        point_command(store, point_id, ranks),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,
                        env=os.environ | {PARENT_ENV: str(os.getpid())},
                    )
                except OSError as exc:  # e.g. no mpiexec: the log says why
                    log.write(f"cannot start the point: {exc}\n")
                    return None
            self.running[point_id] = process
        try:
            return process.wait()
        finally:
            with self.lock:
                self.running.pop(point_id, None)

    def stop(self, grace: float = 30.0) -> None:
        """Terminate every running point (SIGTERM → summary `interrupted`), then kill stragglers."""
        with self.lock:
            self.stopping.set()
            processes = list(self.running.values())
        for process in processes:
            _signal_group(process, signal.SIGTERM)
        end = time.monotonic() + grace
        for process in processes:
            try:
                process.wait(timeout=max(end - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)  # the point's own session: its mpiexec and ranks


def run_local(
    store: SweepDir, points: list[dict[str, Any]], jobs: int, ranks: int, console: Console | None = None
) -> int:
    """Run `points` with `jobs` at a time and `ranks` MPI ranks each; returns the exit code
    (0 all ok, 3 some failed, 130 interrupted)."""
    console = console or Console()
    pool = _Pool()
    failed = 0
    columns = (
        TextColumn("sweep"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
    )
    with (
        Progress(*columns, console=console, transient=True) as progress,
        ThreadPoolExecutor(max_workers=jobs) as executor,
    ):
        task = progress.add_task("sweep", total=len(points), info="")
        futures: dict[Future, dict[str, Any]] = {
            executor.submit(pool.run, store, p["id"], ranks): p for p in points
        }
        pending = set(futures)
        try:
            with interrupts.armed():  # `kill` stops the points too
                while pending:
                    done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    for future in done:
                        point = futures[future]
                        state = store.state(point)
                        ok = state.status == DONE
                        failed += not ok
                        wall = (state.summary or {}).get("wall_time_s")
                        detail = f" ({wall:.1f} s)" if wall is not None else ""
                        reason = "" if ok else f": {state.reason}"
                        mark = "[green]ok" if ok else f"[red]{state.status}"
                        progress.console.print(f"{mark}[/] {point['id']}{detail}{reason}", highlight=False)
                        progress.update(task, advance=1, info=f"{failed} failed" if failed else "")
        except KeyboardInterrupt:
            progress.console.print("[yellow]interrupted: stopping running points…")
            pool.stop()
            executor.shutdown(wait=True, cancel_futures=True)
            return EXIT_INTERRUPTED
    return EXIT_FAILED if failed else EXIT_OK
