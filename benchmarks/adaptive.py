"""Uniform vs adaptive meshes (physics.adaptivity, issue 11) on the same dendrite case: a 20 × 20 µm
PEO cell (dendrite_peo's card and drive) where the interface stays within a few µm of the anode;
and, for the electroneutral formulation, dendrite_peo_electroneutral's 8 µm cell made 20 µm tall
(adapted every 5 steps).

    .venv/bin/python benchmarks/adaptive.py [t_end] [chen2015|electroneutral|all] [height_um]

(height_um: the chen2015 cell's height, default 20; the README also has 40 µm, where the bulk the
adaptive mesh leaves coarse is larger)

uniform: the finest size (0.1 µm) everywhere; graded: gmsh's size field, fine below refine_height
(what the shipped configs do); adaptive: a uniform 0.4 µm base refined twice around the interface
(0.1 µm there), rebuilt every 20 steps or as soon as the interface reaches a cell below the finest
level. Reports DOFs (final and, adaptive, mean over the run), steps,
Newton iterations, wall time, peak memory and the answer.
"""

import sys

from common import print_table, row, run_case

CONFIG = "configs/dendrite_peo.yaml"
REFINE = ["geometry.refine_height=6.0e-6"]
BASE = ["geometry.mesh.size=0.4e-6", "geometry.mesh.min_size=0.4e-6"]


def cases(every: int) -> dict[str, list[str]]:
    """uniform fine, gmsh's graded mesh, and the 0.4 µm base refined twice (default and narrow
    band), rebuilt every `every` steps."""
    return {
        "uniform 0.1 µm": ["geometry.mesh.size=0.1e-6", "geometry.mesh.min_size=0.1e-6"],
        "graded (gmsh, shipped sizes)": [],
        "adaptive 0.4 µm + 2 levels": [
            *BASE,
            f"physics.adaptivity={{levels: 2, every: {every}, threshold: 0.02}}",
        ],
        "adaptive, narrow band": [
            *BASE,
            f"physics.adaptivity={{levels: 2, every: {every}, threshold: 0.05, buffer_layers: 1}}",
        ],
    }


ELECTRONEUTRAL = "configs/dendrite_peo_electroneutral.yaml"
TALL = ["geometry.height=20.0e-6"]


def extra(summary: dict) -> dict[str, str]:
    m = summary.get("metrics", {})
    adaptivity = summary.get("adaptivity", {})
    return {
        "mean dofs": f"{adaptivity.get('mean_num_dofs', summary.get('num_dofs', 0)):,.0f}",
        "adaptations": str(adaptivity.get("adaptations", "")),
        "height µm": f"{m.get('dendrite_height_m', float('nan')) * 1e6:.4f}",
        "Li area µm²": f"{m.get('li_area_m2', float('nan')) * 1e12:.4f}",
        "Li balance": f"{m.get('li_balance_rel_error', float('nan')):.1e}",
        "Faraday": f"{m.get('faraday_rel_error', float('nan')):.1e}",
    }


def main() -> None:
    t_end = sys.argv[1] if len(sys.argv) > 1 else "0.1"
    which = sys.argv[2] if len(sys.argv) > 2 else "all"
    height = float(sys.argv[3]) if len(sys.argv) > 3 else 20.0
    studies = {
        "chen2015": (CONFIG, [f"geometry.height={height * 1e-6:.6g}", *REFINE], cases(20)),
        "electroneutral": (ELECTRONEUTRAL, TALL, cases(5)),
    }
    for name, (config, cell, sweep) in studies.items():
        if which not in (name, "all"):
            continue
        rows = []
        for label, sets in sweep.items():
            summary = run_case(config, [*cell, *sets, f"physics.time.t_end={t_end}"])
            rows.append(row(label, 1, summary, extra(summary)))
        print(name)
        print_table(rows)


if __name__ == "__main__":
    main()
