"""SLURM backend: one job-array script, one array task per point, submitted with `sbatch`.

The array task id is the point's index in points.json; the task runs its point with `srun`
(or `mpiexec`) using the task's `--ntasks` MPI ranks. Task states come from `squeue` (and
`sacct` when accounting is enabled), the results from the run summaries.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from typing import Any

from sim.config.loader import ConfigError
from sim.files import atomic_write
from sim.sweep.local import mpiexec, sim_command
from sim.sweep.spec import SlurmOptions
from sim.sweep.store import PointState, SweepDir

ACTIVE = {
    "PENDING": "pending",
    "CONFIGURING": "pending",
    "REQUEUED": "pending",
    "RUNNING": "running",
    "COMPLETING": "running",
    "SUSPENDED": "running",
}
FAILED = (
    "FAILED",
    "TIMEOUT",
    "OUT_OF_MEMORY",
    "CANCELLED",
    "NODE_FAIL",
    "PREEMPTED",
    "BOOT_FAIL",
    "DEADLINE",
)


def array_spec(indices: list[int]) -> str:
    """[0, 1, 2, 5, 7, 8] -> '0-2,5,7-8'."""
    parts, start = [], None
    for i, index in enumerate(indices):
        start = index if start is None else start
        if i + 1 == len(indices) or indices[i + 1] != index + 1:
            parts.append(str(index) if index == start else f"{start}-{index}")
            start = None
    return ",".join(parts)


def script_text(store: SweepDir, name: str, opts: SlurmOptions, indices: list[int]) -> str:
    """The job-array batch script running the points with the given indices."""
    ids = [p["id"] for p in store.points()]
    root = store.path.resolve()
    array = array_spec(indices) + (f"%{opts.max_parallel}" if opts.max_parallel else "")
    sbatch = {
        "job-name": opts.job_name or f"sweep-{name}",
        "array": array,
        "nodes": opts.nodes,
        "ntasks": opts.ntasks,
        "cpus-per-task": opts.cpus_per_task,
        "partition": opts.partition,
        "time": opts.time,
        "mem": opts.mem,
        "account": opts.account,
        "output": root / "slurm" / "%A_%a.out",
    }
    lines = [
        "#!/bin/bash",
        f"# sweep {name}: one array task per point (written by `sim sweep`; submit with sbatch)",
    ]
    lines += [f"#SBATCH --{key}={value}" for key, value in sbatch.items() if value is not None]
    lines += [f"#SBATCH {option}" for option in opts.sbatch]
    lines += opts.setup
    command = opts.command or shlex.join(sim_command())
    if opts.launcher == "srun":
        mpi = f" --mpi={opts.mpi}" if opts.mpi else ""
        launch = f'srun{mpi} --ntasks="$SLURM_NTASKS"'
    else:
        launch = f'{shlex.quote(mpiexec())} -n "$SLURM_NTASKS"'
    lines += [
        "set -euo pipefail",
        f"cd {shlex.quote(str(root))}",
        f"POINTS=({' '.join(shlex.quote(i) for i in ids)})",
        'ID="${POINTS[$SLURM_ARRAY_TASK_ID]}"',
        'echo "sweep point $ID (array task $SLURM_ARRAY_TASK_ID) on $(hostname), $SLURM_NTASKS rank(s)"',
        f'exec {launch} {command} run "configs/$ID.yaml" --out "$ID" --quiet',
    ]
    return "\n".join(lines) + "\n"


def _run(args: list[str]) -> subprocess.CompletedProcess | None:
    """Run a SLURM command; None if it is not installed here."""
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        return None


def submit(store: SweepDir, name: str, opts: SlurmOptions, indices: list[int], dry_run: bool) -> str | None:
    """Write slurm/sweep.sbatch for `indices` and submit it (unless dry_run); returns the job id."""
    (store.path / "slurm").mkdir(parents=True, exist_ok=True)
    script = store.path / "slurm" / "sweep.sbatch"
    atomic_write(script, script_text(store, name, opts, indices))
    if dry_run:
        return None
    result = _run(["sbatch", "--parsable", str(script)])
    if result is None:
        raise ConfigError("`sbatch` not found: submit from a SLURM login node (or use --dry-run)")
    if result.returncode != 0:
        raise ConfigError(f"sbatch failed: {result.stderr.strip() or result.stdout.strip()}", str(script))
    job_id = result.stdout.strip().split(";")[0]
    jobs = _jobs(store)
    jobs.append({"job_id": job_id, "indices": indices, "submitted": time.strftime("%Y-%m-%dT%H:%M:%S")})
    atomic_write(store.path / "slurm" / "jobs.json", json.dumps(jobs, indent=2) + "\n")
    return job_id


def _jobs(store: SweepDir) -> list[dict[str, Any]]:
    path = store.path / "slurm" / "jobs.json"
    return json.loads(path.read_text()) if path.exists() else []


def task_states(store: SweepDir) -> dict[int, tuple[str, str]]:
    """Point index → (pending|running|failed, reason) for the sweep's array tasks SLURM knows of.

    Later submissions win. Finished tasks only appear through sacct (if accounting is enabled);
    those that ended without a summary (time limit, memory, node failure) keep SLURM's reason."""
    jobs = _jobs(store)
    if not jobs:
        return {}
    ids = ",".join(job["job_id"] for job in jobs)
    order = {job["job_id"]: n for n, job in enumerate(jobs)}
    found: dict[int, tuple[int, str, str]] = {}

    def record(task: str, state: str, reason: str) -> None:
        job, _, index = task.partition("_")
        if job in order and index.isdigit() and order[job] >= found.get(int(index), (-1,))[0]:
            found[int(index)] = (order[job], state, reason)

    sacct = _run(["sacct", "-n", "-P", "-X", "-j", ids, "--format=JobID,State,ExitCode"])
    if sacct is not None and sacct.returncode == 0:
        for line in sacct.stdout.splitlines():
            task, state, code = ([*line.split("|"), "", ""])[:3]
            state = state.split()[0] if state else ""
            if state in FAILED:
                record(task, "failed", f"slurm: {state} (exit {code})")
    squeue = _run(["squeue", "--me", "-h", "-r", "-o", "%i|%T|%r"])  # -j fails on forgotten jobs
    if squeue is not None and squeue.returncode == 0:
        for line in squeue.stdout.splitlines():
            task, state, reason = ([*line.split("|"), "", ""])[:3]
            if state in ACTIVE:
                record(task, ACTIVE[state], f"slurm: {state}" + (f" ({reason})" if reason != "None" else ""))
    return {index: (state, reason) for index, (_, state, reason) in found.items()}


def point_states(store: SweepDir) -> list[tuple[dict[str, Any], PointState]]:
    """Every point with its state (summaries merged with the SLURM task states)."""
    tasks = task_states(store)
    return [(p, store.state(p, tasks.get(p["index"]))) for p in store.points()]
