"""Cost per formulation of the phase-field model (issue 10): each formulation's shipped config on one
rank (`dendrite_hong2018` shortened to 1 s, 50 of its 350 steps), and chen2015 without mechanics
(the 32k-dof case of benchmarks/phasefield_bare.py). Per case: dofs, steps, Newton iterations,
run-loop wall and CPU time (summary solve_time_s, solve_cpu_s) per step and per Newton iteration,
peak memory; times the minimum over `REPEATS` runs (the machine may be shared).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/phasefield_formulations.py
"""

import math

from common import print_table, run_case

CASES = [
    ("chen2015", "dendrite_peo", []),
    ("chen2015, mechanics off", "dendrite_peo", ["physics.mechanics=none", "physics.stress_coupling=none"]),
    ("electroneutral", "dendrite_peo_electroneutral", []),
    ("grand_potential, 1 s", "dendrite_hong2018", ["physics.time.t_end=1.0"]),
]
REPEATS = 3


def main() -> None:
    rows = []
    for formulation, config, overrides in CASES:
        runs = [run_case(f"configs/{config}.yaml", overrides) for _ in range(REPEATS)]
        s = runs[0]
        steps, its = max(s.get("num_steps", 0), 1), max(s.get("newton_iterations", 0), 1)
        wall = min(r.get("solve_time_s", math.nan) for r in runs)
        cpu = min(r.get("solve_cpu_s", math.nan) for r in runs)
        rows.append(
            {
                "formulation": formulation,
                "config": config,
                "status": s.get("status", "?"),
                "dofs": f"{s.get('num_dofs', 0):,}",
                "steps": str(s.get("num_steps", "")),
                "newton": str(s.get("newton_iterations", "")),
                "wall s": f"{wall:.2f}",
                "cpu s": f"{cpu:.2f}",
                "wall ms/step": f"{1e3 * wall / steps:.0f}",
                "cpu ms/step": f"{1e3 * cpu / steps:.0f}",
                "wall ms/newton": f"{1e3 * wall / its:.1f}",
                "cpu ms/newton": f"{1e3 * cpu / its:.1f}",
                "peak MB": f"{max(r.get('peak_memory_mb', math.nan) for r in runs):.0f}",
            }
        )
    print_table(rows)


if __name__ == "__main__":
    main()
