"""`sim sweep`: run a sweep (local process pool or SLURM job array), show its status, collect it.

sim sweep run SWEEP.yaml [--backend local|slurm] [--jobs N] [--ranks N] [--dry-run] [--out DIR]
sim sweep SWEEP.yaml ...          (short for `sim sweep run SWEEP.yaml ...`)
sim sweep status DIR
sim sweep collect DIR
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sim.sweep.spec import Sweep
    from sim.sweep.store import PointState, SweepDir

EXIT_INVALID = 2


class _SweepGroup(click.Group):
    """A group whose first argument, when it is not a subcommand, is a sweep file for `run`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["run", *args]
        return super().parse_args(ctx, args)


def _fail(exc: Exception) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(EXIT_INVALID)


@click.group(cls=_SweepGroup, context_settings={"help_option_names": ["-h", "--help"]})
def sweep() -> None:
    """Parameter sweeps: `sim sweep run SWEEP.yaml`, `sim sweep status DIR`, `sim sweep collect DIR`."""


def _given(**options: Any) -> dict[str, Any]:
    """The options given on the command line (repeatable ones as lists)."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in options.items()
        if value not in (None, ())
    }


@sweep.command("run")
@click.argument("sweep_file", type=click.Path(dir_okay=False))
@click.option(
    "--backend",
    type=click.Choice(["local", "slurm"]),
    default="local",
    show_default=True,
    help="local: a process pool on this machine; slurm: one job array via sbatch.",
)
@click.option("--jobs", type=int, help="local: points run at once (default: CPU cores // ranks).")
@click.option("--ranks", type=int, help="MPI ranks per point (local: mpiexec -n; slurm: --ntasks).")
@click.option("--dry-run", is_flag=True, help="Write the point configs (and the SLURM script); run nothing.")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Sweep directory (default: results/<sweep name>/)."
)
@click.option("--partition", help="slurm: partition.")
@click.option("--time", help="slurm: time limit per point (e.g. 01:00:00).")
@click.option("--nodes", type=int, help="slurm: nodes per point.")
@click.option("--mem", help="slurm: memory per node (e.g. 4G).")
@click.option("--account", help="slurm: account to charge.")
@click.option(
    "--sbatch",
    multiple=True,
    help="slurm: extra #SBATCH option, e.g. --sbatch=--qos=short (repeatable; added to the file's).",
)
@click.option(
    "--setup",
    multiple=True,
    help="slurm: shell line run before each point, e.g. 'module load mpi' (repeatable; added to the file's).",
)
def run(
    sweep_file: str,
    backend: str,
    jobs: int | None,
    ranks: int | None,
    dry_run: bool,
    out: str | None,
    partition: str | None,
    time: str | None,
    nodes: int | None,
    mem: str | None,
    account: str | None,
    sbatch: tuple[str, ...],
    setup: tuple[str, ...],
) -> None:
    """Run every point of SWEEP_FILE that is not done yet (re-running resumes a sweep)."""
    from sim.config.loader import ConfigError
    from sim.sweep.spec import load_sweep
    from sim.sweep.store import SweepDir

    slurm = _given(
        partition=partition, time=time, nodes=nodes, mem=mem, account=account, sbatch=sbatch, setup=setup
    )
    local = _given(jobs=jobs)
    if ranks is not None and backend == "slurm":
        slurm["ntasks"] = ranks
    elif ranks is not None:
        local["ranks"] = ranks
    try:
        plan = load_sweep(sweep_file, slurm=slurm, local=local)
    except ConfigError as exc:
        _fail(exc)
    store = SweepDir(out or Path("results") / plan.name)
    try:
        with store.locked():
            store.write(plan)
            if backend == "local":
                code = _run_local(store, plan, dry_run)
            else:
                _run_slurm(store, plan, dry_run)
                code = 0
    except ConfigError as exc:
        _fail(exc)
    sys.exit(code)


def _run_local(store: SweepDir, plan: Sweep, dry_run: bool) -> int:
    from sim.sweep.collect import collect
    from sim.sweep.local import point_command, run_local

    points = store.points()
    todo = store.todo(points)
    ranks = plan.spec.local.ranks
    click.echo(
        f"sweep {plan.name}: {len(points)} points, {len(points) - len(todo)} done, "
        f"{len(todo)} to run → {store.path}"
    )
    if dry_run:
        for point in todo:
            click.echo(shlex.join(point_command(store, point["id"], ranks)))
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    jobs = plan.spec.local.jobs or max(1, cores // ranks)
    code = run_local(store, todo, jobs, ranks) if todo else 0
    paths = collect(store, [(p, store.state(p)) for p in points])
    click.echo(f"collected {paths[0]}")
    return code


def _run_slurm(store: SweepDir, plan: Sweep, dry_run: bool) -> None:
    from sim.sweep.slurm import point_states, submit

    todo = [
        p["index"] for p, state in point_states(store) if state.status not in ("ok", "pending", "running")
    ]
    click.echo(f"sweep {plan.name}: {len(store.points())} points, {len(todo)} to submit → {store.path}")
    if not todo:
        return
    job = submit(store, plan.name, plan.spec.slurm, todo, dry_run)
    script = store.path / "slurm" / "sweep.sbatch"
    if job is None:
        click.echo(f"wrote {script} (dry run: submit it with `sbatch {script}`)")
    else:
        click.echo(
            f"submitted job array {job} ({len(todo)} tasks, script {script}); "
            f"follow it with `sim sweep status {store.path}`"
        )


def _states(directory: str) -> tuple[SweepDir, list[tuple[dict[str, Any], PointState]]]:
    from sim.sweep.slurm import point_states
    from sim.sweep.store import SweepDir

    return SweepDir(directory), point_states(SweepDir(directory))


@sweep.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--all", "show_all", is_flag=True, help="List every point, not only those not ok.")
def status(directory: str, show_all: bool) -> None:
    """Show how far the sweep in DIRECTORY is (summaries, and squeue/sacct for SLURM sweeps)."""
    from rich.console import Console
    from rich.table import Table

    from sim.config.loader import ConfigError

    try:
        store, states = _states(directory)
    except ConfigError as exc:
        _fail(exc)
    counts: dict[str, int] = {}
    for _, state in states:
        counts[state.status] = counts.get(state.status, 0) + 1
    click.echo(
        f"{store.index()['name']}: {len(states)} points: "
        + ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    )
    listed = [(p, s) for p, s in states if show_all or s.status != "ok"]
    if listed:
        table = Table("point", "status", "reason")
        for point, state in listed:
            table.add_row(point["id"], state.status, state.reason)
        Console(width=None if sys.stdout.isatty() else 160).print(table)


@sweep.command("collect")
@click.argument("directory", type=click.Path(file_okay=False))
def collect_command(directory: str) -> None:
    """Write sweep.csv (+ sweep.parquet with pyarrow) and figures/ of the sweep in DIRECTORY."""
    from sim.config.loader import ConfigError
    from sim.sweep.collect import collect

    try:
        store, states = _states(directory)
    except ConfigError as exc:
        _fail(exc)
    paths = collect(store, states)
    ok = sum(state.status == "ok" for _, state in states)
    click.echo(
        f"{ok}/{len(states)} points ok; wrote {', '.join(str(p) for p in paths[:2])} "
        f"and {len(paths) - 2 if len(paths) > 2 else 0} figure(s) in {store.path / 'figures'}"
    )
