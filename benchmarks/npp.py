"""NPP benchmark: every seed config at default resolution on 1 and 2 ranks, and the time per Newton
iteration over a >16× range of DOFs (peo_mof_100x20 refined up to 12× in mesh size).

    .venv/bin/python benchmarks/npp.py
"""

import math

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
        mesh = [f"geometry.mesh.size={4.0 / factor}e-6", f"geometry.mesh.min_size={0.5 / factor}e-6",
                f"geometry.mesh.refine_distance={6.0 / factor}e-6"]
        summary = run_case(SCALING, mesh)
        points.append((summary.get("num_dofs", 0), per_newton(summary)))
        rows.append(row(f"peo_mof_100x20 h/{factor}", 1, summary, {"s/newton": f"{points[-1][1]:.4f}"}))
    print_table(rows)
    (n0, t0), (n1, t1) = points[0], points[-1]
    if n1 > n0 > 0 and t0 > 0:
        print(f"\ntime per Newton iteration ∝ N^{math.log(t1 / t0) / math.log(n1 / n0):.2f} "
              f"over {n1 / n0:.1f}× DOFs")


if __name__ == "__main__":
    main()
