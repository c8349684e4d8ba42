"""Run every shipped config at reduced resolution and keep its metrics; compare two such snapshots.

A refactor must not change results: take a snapshot on the old code, one on the new, compare.

    python scripts/config_metrics.py snapshot before.json [--work DIR]
    python scripts/config_metrics.py compare before.json after.json [--rtol 1e-10]

Each config runs as its own `sim run` process (fields and figures off) with the overrides below;
the snapshot holds every config's status and `metrics`.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PHASEFIELD = [
    "geometry.width=8.0e-6",
    "geometry.nuclei=[{center_x: 4.0e-6, radius: 1.6e-6}]",
    "physics.time.t_end=0.03",
]
COARSE = {  # reduced resolution per config (mesh sizes in m, phase field: a short window)
    "dendrite_peo": PHASEFIELD,
    "dendrite_plm": [*PHASEFIELD, "geometry.filaments.offset=2.0e-6"],
    "peo_100x20": ["geometry.mesh.size=8.0e-6", "geometry.mesh.min_size=1.0e-6"],
    "peo_mof_100x20": ["geometry.mesh.size=8.0e-6", "geometry.mesh.min_size=1.0e-6"],
    "peo_20x5p6": ["geometry.mesh.size=2.0e-6", "geometry.mesh.min_size=0.5e-6"],
    "plm_20x5p6": ["geometry.mesh.size=2.0e-6", "geometry.mesh.min_size=0.2e-6"],
    "pl_lfp_cathode": [
        "geometry.mesh.size=4.0e-6",
        "geometry.mesh.min_size=1.0e-6",
        "physics.time.t_end=2.0",
    ],
    "pll_lfp_cathode": [
        "geometry.mesh.size=4.0e-6",
        "geometry.mesh.min_size=1.0e-6",
        "physics.time.t_end=2.0",
    ],
    "seed002_bilayer": [],
    "examples/conduction_peo_mof_slab": ["geometry.mesh.size=4.0e-6", "geometry.mesh.min_size=1.0e-6"],
    "examples/peo_100x20_seed_flux": ["geometry.mesh.size=8.0e-6", "geometry.mesh.min_size=2.0e-6"],
    "examples/peo_mof_fillers_100x20": ["geometry.mesh.size=8.0e-6", "geometry.mesh.min_size=1.0e-6"],
}
QUIET = ["output.fields=false", "output.figures=false"]


def shipped() -> list[str]:
    """Every config under configs/ except sweep files, as a name relative to configs/."""
    paths = sorted((ROOT / "configs").glob("*.yaml")) + sorted((ROOT / "configs" / "examples").glob("*.yaml"))
    return [str(p.relative_to(ROOT / "configs").with_suffix("")) for p in paths]


def snapshot(out: Path, work: Path) -> None:
    missing = sorted(set(shipped()) - COARSE.keys())
    if missing:
        sys.exit(f"no reduced resolution for {', '.join(missing)}: add it to COARSE")
    result = {}
    for name in shipped():
        sets = [arg for s in COARSE[name] + QUIET for arg in ("--set", s)]
        run_dir = work / name
        cmd = [sys.executable, "-m", "sim.cli", "run", str(ROOT / "configs" / f"{name}.yaml")]
        proc = subprocess.run([*cmd, "--out", str(run_dir), "--quiet", *sets], capture_output=True, text=True)
        summary = json.loads((run_dir / "summary.json").read_text()) if proc.returncode != 2 else {}
        result[name] = {
            "exit": proc.returncode,
            "status": summary.get("status"),
            "metrics": summary.get("metrics", {}),
        }
        print(f"{name}: exit {proc.returncode}, {len(result[name]['metrics'])} metrics", flush=True)
    out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")


def compare(a: dict, b: dict, rtol: float) -> int:
    bad = 0
    for name in sorted(a.keys() | b.keys()):
        ra, rb = a.get(name), b.get(name)
        if ra is None or rb is None:
            print(f"{name}: only in {'after' if ra is None else 'before'}")
            bad += 1
            continue
        if (ra["exit"], ra["status"]) != (rb["exit"], rb["status"]):
            print(f"{name}: exit/status {ra['exit']}/{ra['status']} -> {rb['exit']}/{rb['status']}")
            bad += 1
        worst = 0.0
        for key in sorted(ra["metrics"].keys() | rb["metrics"].keys()):
            va, vb = ra["metrics"].get(key), rb["metrics"].get(key)
            if va is None or vb is None:
                print(f"{name}: metric {key} only {'after' if va is None else 'before'}")
                bad += 1
                continue
            rel = abs(va - vb) / max(abs(va), abs(vb), 1e-300) if va != vb else 0.0
            if math.isnan(rel) or rel > rtol:
                print(f"{name}: {key} {va!r} -> {vb!r} (rel {rel:.3g})")
                bad += 1
            worst = max(worst, rel)
        print(f"{name}: {len(ra['metrics'])} metrics, largest relative change {worst:.3g}")
    print("unchanged" if not bad else f"{bad} difference(s)")
    return 1 if bad else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("out", type=Path)
    snap.add_argument("--work", type=Path, default=None, help="run directories (default: a temporary one)")
    cmp = sub.add_parser("compare")
    cmp.add_argument("before", type=Path)
    cmp.add_argument("after", type=Path)
    cmp.add_argument("--rtol", type=float, default=1e-10)
    args = parser.parse_args()
    if args.command == "snapshot":
        if args.work is not None:
            snapshot(args.out, args.work)
        else:
            with tempfile.TemporaryDirectory() as work:
                snapshot(args.out, Path(work))
    else:
        sys.exit(compare(json.loads(args.before.read_text()), json.loads(args.after.read_text()), args.rtol))


if __name__ == "__main__":
    main()
