"""NPP benchmark: every seed config at default resolution on 1 and 2 ranks, and the time per Newton
iteration over a >16× range of DOFs (peo_mof_100x20 refined up to 12× in mesh size).

    .venv/bin/python benchmarks/npp.py
"""

import math

import numpy as np
from common import print_table, row, run_case

CONFIGS = ["peo_100x20", "peo_mof_100x20", "peo_20x5p6", "plm_20x5p6", "pl_lfp_cathode", "pll_lfp_cathode"]
SCALING = "configs/peo_mof_100x20.yaml"


def per_newton(summary: dict) -> float:
    """Solve time (the NPP loop, without mesh and set-up) per Newton iteration, s."""
    return summary.get("solve_time_s", math.nan) / max(summary.get("newton_iterations", 0), 1)


def main() -> None:
    rows = []
    for name in CONFIGS:
        for ranks in (1, 2):
            summary = run_case(f"configs/{name}.yaml", ranks=ranks)
            rows.append(row(name, ranks, summary, {"s/newton": f"{per_newton(summary):.3f}"}))
    print_table(rows)
    print()
    rows, points = [], []
    for factor in (1, 2, 4, 8, 12):
        mesh = [
            f"geometry.mesh.size={4.0 / factor}e-6",
            f"geometry.mesh.min_size={0.5 / factor}e-6",
            f"geometry.mesh.refine_distance={6.0 / factor}e-6",
        ]
        summary = run_case(SCALING, mesh)
        points.append((summary.get("num_dofs", 0), per_newton(summary)))
        rows.append(row(f"peo_mof_100x20 h/{factor}", 1, summary, {"s/newton": f"{points[-1][1]:.4f}"}))
    print_table(rows)
    dofs, times = (np.array(v, dtype=float) for v in zip(*points, strict=False))
    if np.all(dofs > 0) and np.all(np.isfinite(times) & (times > 0)):
        slope = np.polyfit(np.log(dofs), np.log(times), 1)[0]
        ends = math.log(times[-1] / times[0]) / math.log(dofs[-1] / dofs[0])
        print(
            f"\ntime per Newton iteration ∝ N^{slope:.2f} (least squares over {len(points)} meshes; "
            f"N^{ends:.2f} end to end) over {dofs[-1] / dofs[0]:.1f}× DOFs"
        )


if __name__ == "__main__":
    main()
