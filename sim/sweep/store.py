"""The sweep directory: point list, resolved point configs, run directories, point states.

    <sweep dir>/sweep.yaml          copy of the sweep file
    <sweep dir>/points.json         name, swept keys, plot axes, every point (index, id, parameters, sha256)
    <sweep dir>/configs/<id>.yaml   the fully resolved config of each point (what `sim run` gets)
    <sweep dir>/<id>/               the point's run directory (summary.json, fields, figures, log.txt;
                                    its .lock is held by the `sim run` of the point)
    <sweep dir>/logs/<id>.txt       console output of the point's process (crash tracebacks)
    <sweep dir>/slurm/              job-array script, jobs.json, task logs (SLURM backend)
    <sweep dir>/.lock               held by the `sim sweep run` working on the directory

A point is done when its summary says `ok` for the same resolved config (sha256); anything else
(failed, interrupted, missing, or ok for a config that has since changed) is run again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.config.loader import ConfigError
from sim.files import SUMMARY, LockHeld, atomic_write, lock_holder, locked
from sim.sweep.spec import Range, Sweep, point_config_text

POINTS = "points.json"
DONE = "ok"


class CorruptSummary(ValueError):
    """A point's summary.json exists but is not a readable JSON object (the point is run again)."""


@dataclass
class PointState:
    """Where a point stands: ok | failed | interrupted | missing | stale | corrupt | pending | running
    (running: a SLURM task that runs, or a process that holds the point's run-directory lock)."""

    status: str
    reason: str = ""
    summary: dict[str, Any] | None = None


class SweepDir:
    """A sweep's output directory."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def config(self, point_id: str) -> Path:
        return self.path / "configs" / f"{point_id}.yaml"

    def run_dir(self, point_id: str) -> Path:
        return self.path / point_id

    def log(self, point_id: str) -> Path:
        return self.path / "logs" / f"{point_id}.txt"

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the directory's lock (`sim.files.locked`); ConfigError if another `sim sweep run`
        holds it: two would run and rewrite the same points."""
        try:
            with locked(self.path, "another `sim sweep run`"):
                yield
        except LockHeld as exc:
            raise ConfigError(f"{exc}; wait for it to finish or choose another --out") from None

    def write(self, sweep: Sweep) -> None:
        """Write the sweep file copy, the point list and every point's resolved config."""
        for sub in ("configs", "logs"):
            (self.path / sub).mkdir(parents=True, exist_ok=True)
        atomic_write(self.path / "sweep.yaml", sweep.text)
        for point in sweep.points:
            atomic_write(self.config(point.id), point_config_text(point))
        log_keys = [
            k for k, v in (sweep.spec.grid | sweep.spec.zip).items() if isinstance(v, Range) and v.log
        ]
        axes = [*sweep.spec.grid, *list(sweep.spec.zip)[:1]]  # a zip group is one axis
        index = {
            "name": sweep.name,
            "sweep_file": str(sweep.file),
            "base": str(sweep.base),
            "swept": sweep.swept,
            "axes": axes,
            "log_scale": log_keys,
            "points": [
                {"index": p.index, "id": p.id, "parameters": p.parameters, "config_sha256": p.loaded.sha256}
                for p in sweep.points
            ],
        }
        atomic_write(self.path / POINTS, json.dumps(index, indent=2) + "\n")

    def index(self) -> dict[str, Any]:
        """The content of points.json (raises ConfigError if this is not a sweep directory)."""
        try:
            index = json.loads((self.path / POINTS).read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise ConfigError(
                f"not a sweep directory (no {POINTS}); run `sim sweep run` first", str(self.path)
            ) from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"unreadable {POINTS} ({exc}); rerun `sim sweep run`", str(self.path)) from None
        if not isinstance(index, dict) or not isinstance(index.get("points"), list):
            raise ConfigError(f"{POINTS} is not a sweep index; rerun `sim sweep run`", str(self.path))
        return index

    def points(self) -> list[dict[str, Any]]:
        return self.index()["points"]

    def summary(self, point_id: str) -> dict[str, Any] | None:
        """The point's summary.json; None if there is none; CorruptSummary if it cannot be read as
        a JSON object (undecodable bytes, truncated, not a mapping)."""
        path = self.run_dir(point_id) / SUMMARY
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise CorruptSummary(f"unreadable {SUMMARY}: {exc}"[:200]) from None
        if not isinstance(data, dict):
            raise CorruptSummary(f"{SUMMARY} is not a JSON object")
        return data

    def state(self, point: dict[str, Any], job_state: tuple[str, str] | None = None) -> PointState:
        """A point's state from its summary, refined by its SLURM task state (state, reason)."""
        if job_state is not None and job_state[0] in ("pending", "running"):
            return PointState(job_state[0], job_state[1])
        holder = lock_holder(self.run_dir(point["id"]))
        if holder is not None:  # e.g. left running by a sweep that was killed
            return PointState("running", holder)
        try:
            summary = self.summary(point["id"])
        except CorruptSummary as exc:
            return PointState("corrupt", str(exc))
        if summary is None:
            if job_state is not None:
                return PointState("failed", job_state[1])
            log = self.log(point["id"])
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            return PointState("missing", f"no summary ({tail[0][:200]})" if tail else "not run")
        status = str(summary.get("status", "failed"))
        if status == DONE and summary.get("config_sha256") != point["config_sha256"]:
            return PointState("stale", "config changed since this run", summary)
        return PointState(status, str(summary.get("message", "")), summary)

    def todo(self, points: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The points that are not done."""
        return [p for p in points if self.state(p).status != DONE]
