"""Shared benchmark helpers: run `sim run` as a user would and tabulate its summary.

Not a test: numbers go into the README. Every case is a subprocess, so wall time includes
start-up and JIT (reported separately as `solve` when the summary has it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def run_case(config: str, overrides: list[str] = (), ranks: int = 1, mesh_cache: str = "off") -> dict:
    """Run one config (figures off) and return its summary.json. The mesh cache is off unless
    `mesh_cache` names a directory, so `mesh s` is the time to generate the mesh."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "run"
        cmd = [
            sys.executable,
            "-m",
            "sim.cli",  # from ROOT (cwd): the checkout's code, not an installed copy
            "run",
            str(ROOT / config),
            "--out",
            str(out),
            "--quiet",
            "--set",
            "output.figures=false",
            "--set",
            "output.fields=false",
        ]
        for item in overrides:
            cmd += ["--set", item]
        if ranks > 1:
            cmd = [str(BIN / "mpiexec"), "-n", str(ranks), *cmd]
        subprocess.run(
            cmd,
            check=False,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=os.environ | {"SIM_MESH_CACHE": mesh_cache},
        )
        summary_file = out / "summary.json"
        if not summary_file.exists():
            return {"status": "no summary", "metrics": {}}
        return json.loads(summary_file.read_text())


def row(label: str, ranks: int, summary: dict, extra: dict[str, str] | None = None) -> dict[str, str]:
    """One table row from a summary."""
    steps = max(summary.get("num_steps", 1), 1)
    return {
        "case": label,
        "ranks": str(ranks),
        "status": summary.get("status", "?"),
        "dofs": f"{summary.get('num_dofs', 0):,}",
        "wall s": f"{summary.get('wall_time_s', float('nan')):.2f}",
        "mesh s": f"{summary.get('timings_s', {}).get('mesh', float('nan')):.2f}",
        "physics s": f"{summary.get('timings_s', {}).get('physics', float('nan')):.2f}",
        "steps": str(summary.get("num_steps", "")),
        "newton/step": f"{summary.get('newton_iterations', 0) / steps:.1f}",
        "ksp": str(summary.get("krylov_iterations", "")),
        "peak MB/rank": f"{summary.get('peak_memory_mb', float('nan')):.0f}",
    } | (extra or {})


def print_table(rows: list[dict[str, str]]) -> None:
    """Print rows as a Markdown table (paste into the README)."""
    if not rows:
        return
    keys = list(rows[0])
    widths = {k: max(len(k), *(len(r.get(k, "")) for r in rows)) for k in keys}
    print("| " + " | ".join(k.ljust(widths[k]) for k in keys) + " |")
    print("|" + "|".join("-" * (widths[k] + 2) for k in keys) + "|")
    for r in rows:
        print("| " + " | ".join(r.get(k, "").ljust(widths[k]) for k in keys) + " |")
