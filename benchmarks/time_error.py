"""Δt from backward Euler's estimated local error (physics.time.error_tolerance) against fixed Δt
and the Newton-count control, on the grand-potential benchmark (README "Δt from the time error").

    .venv/bin/python benchmarks/time_error.py [reduced|published|all]

reduced: configs/dendrite_hong2018.yaml (20 × 60 µm, uniform 0.5 µm) over 4 s; published:
configs/dendrite_hong2018_200um.yaml (200 × 200 µm, adaptive) over 10 s, whose own time section
is the error-controlled row. The answer is the mean front's travel from its start (20 µm); its
difference from the first row's is the time error's effect. The rows with a Δt that varies draw
the noise as a Wiener increment (noise_reference_dt = input.i's 0.02 s), so every row has the
same noise strength.
"""

import sys

from common import print_table, row, run_case

REDUCED, PUBLISHED = "configs/dendrite_hong2018.yaml", "configs/dendrite_hong2018_200um.yaml"
ADAPTIVE = ["physics.noise_reference_dt=0.02", "physics.time.dt_max=1.0"]
NEWTON_ONLY = ["physics.time.error_tolerance=null"]


def fixed(dt: float) -> list[str]:
    return [
        f"physics.time.dt_initial={dt}",
        f"physics.time.dt_max={dt}",
        "physics.time.error_tolerance=null",
        "physics.noise_reference_dt=0.02",
    ]


def tolerance(value: float) -> list[str]:
    return [*ADAPTIVE, "physics.time.target_newton_iterations=8", f"physics.time.error_tolerance={value}"]


CASES = {
    "reduced": (
        REDUCED,
        4.0,
        {
            "Δt = 0.01 s fixed": fixed(0.01),
            "Δt = 0.02 s fixed (the config)": fixed(0.02),
            "Newton count (target 4), Δt ≤ 1 s": ADAPTIVE,
            "Newton count, target 8, Δt ≤ 1 s": [*ADAPTIVE, "physics.time.target_newton_iterations=8"],
            "error_tolerance 0.05": tolerance(0.05),
            "error_tolerance 0.01": tolerance(0.01),
            "error_tolerance 0.003": tolerance(0.003),
        },
    ),
    "published": (
        PUBLISHED,
        10.0,
        {
            "Δt = 0.02 s fixed (input.i's)": fixed(0.02),
            "Newton count, target 8, Δt ≤ 0.2 s": [*NEWTON_ONLY, "physics.time.dt_max=0.2"],
            "Newton count, target 8, Δt ≤ 1 s": NEWTON_ONLY,
            "error_tolerance 0.003 (the config)": [],
            "error_tolerance 0.001": ["physics.time.error_tolerance=0.001"],
        },
    ),
}


def main(which: str) -> None:
    for name in CASES if which == "all" else [which]:
        config, t_end, variants = CASES[name]
        rows, first = [], None
        for label, sets in variants.items():
            summary = run_case(config, [f"physics.time.t_end={t_end}", *sets])
            metrics, history = summary.get("metrics", {}), summary.get("history", {})
            start = history.get("mean_front_m", [0.0])[0]
            travel = metrics.get("mean_front_position_m", float("nan")) - start
            first = travel if first is None else first
            stepping = summary.get("time_stepping", {})
            rows.append(
                row(label, 1, summary)
                | {
                    "rejected": str(stepping.get("rejected_steps", "")),
                    "largest estimate": f"{stepping.get('largest_error_estimate', float('nan')):.3g}",
                    "travel µm": f"{travel * 1e6:.3f}",
                    "vs first row": f"{(travel / first - 1) * 100:+.2f} %",
                }
            )
            print_table(rows[-1:])
        print(f"\n{name}: {config}, {t_end} s")
        print_table(rows)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "all")
