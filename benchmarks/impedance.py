"""Impedance benchmark (issue 12): a 40-frequency spectrum of Li | PEO/MOF | Li, NPP with the
displacement current and double layers, from ~3.6k to ~20k NPP unknowns (the real block system has
twice as many; 72 µm wide is the issue's ~20k case), on 1 and 2 ranks; target ≤ 30 s for the
spectrum at ~20k on one core. One MUMPS LU per frequency (benchmarks/impedance_breakdown.py:
where its time goes).

    .venv/bin/python benchmarks/impedance.py
"""

from common import print_table, row, run_case

CONFIG = "configs/lab/li_peo_mof_li.yaml"


def main() -> None:
    rows = []
    for width in (12.5e-6, 25.0e-6, 50.0e-6, 72.0e-6):
        overrides = [f"geometry.width={width}", "experiment.frequencies.points=40"]
        for ranks in (1, 2):
            s = run_case(CONFIG, overrides, ranks=ranks)
            m = s.get("metrics", {})
            extra = {
                "width µm": f"{width * 1e6:g}",
                "spectrum s": f"{m.get('spectrum_time_s', float('nan')):.2f}",
                "s/frequency": f"{m.get('solve_time_per_frequency_s', float('nan')):.3f}",
            }
            rows.append(row("li_peo_mof_li impedance", ranks, s, extra))
    print_table(rows)


if __name__ == "__main__":
    main()
