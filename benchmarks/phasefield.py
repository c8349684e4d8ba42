"""Phase-field dendrite benchmark: both seed configs at default resolution on 1 and 2 ranks, the
monolithic vs staggered mechanics choice, and a ≥200k-DOF mesh (0.1 s, 11 steps) for the 2-rank speed-up.

    .venv/bin/python benchmarks/phasefield.py
"""

import tempfile

from common import print_table, row, run_case

CONFIGS = ["dendrite_peo", "dendrite_plm"]
FINE = ["geometry.mesh.min_size=0.05e-6", "geometry.mesh.size=0.25e-6", "physics.time.t_end=0.1"]


def extra(summary: dict) -> dict[str, str]:
    steps = max(summary.get("num_steps", 1), 1)
    m = summary.get("metrics", {})
    return {
        "rejected": str(m.get("rejected_steps", "")),
        "ksp/step": f"{summary.get('krylov_iterations', 0) / steps:.1f}",
        "height µm": f"{m.get('dendrite_height_m', float('nan')) * 1e6:.3f}",
    }


def main() -> None:
    rows = []
    for name in CONFIGS:
        for ranks in (1, 2):
            summary = run_case(f"configs/{name}.yaml", ranks=ranks)
            rows.append(row(name, ranks, summary, extra(summary)))
    for mechanics in ("monolithic", "staggered"):
        summary = run_case("configs/dendrite_peo.yaml", [f"physics.mechanics={mechanics}"])
        rows.append(row(f"dendrite_peo {mechanics}", 1, summary, extra(summary)))
    walls, physics = {}, {}
    with tempfile.TemporaryDirectory() as cache:
        summary = run_case("configs/dendrite_peo.yaml", FINE, mesh_cache=cache)  # meshes, fills the cache
        rows.append(row("dendrite_peo fine, new mesh", 1, summary, extra(summary)))
        for ranks in (1, 2):  # both read the cached mesh: the speed-up of the run itself
            summary = run_case("configs/dendrite_peo.yaml", FINE, ranks=ranks, mesh_cache=cache)
            walls[ranks] = summary.get("wall_time_s", float("nan"))
            physics[ranks] = summary.get("timings_s", {}).get("physics", float("nan"))
            rows.append(row("dendrite_peo fine, cached mesh", ranks, summary, extra(summary)))
    print_table(rows)
    print(
        f"\n2-rank speed-up on the fine mesh: {walls[1] / walls[2]:.2f}x end to end, "
        f"{physics[1] / physics[2]:.2f}x physics"
    )


if __name__ == "__main__":
    main()
