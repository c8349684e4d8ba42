"""Conduction benchmark: the PEO/filler slab at growing resolution, direct vs GAMG, 1 and 2 ranks.

.venv/bin/python benchmarks/conduction.py
"""

from common import print_table, row, run_case

SLAB = "configs/examples/conduction_peo_mof_slab.yaml"


def main() -> None:
    rows = []
    for size_um, min_um in ((2.0, 0.5), (1.0, 0.25), (0.5, 0.125), (0.25, 0.0625)):
        mesh = [f"geometry.mesh.size={size_um}e-6", f"geometry.mesh.min_size={min_um}e-6"]
        for preset in ("direct", "iterative"):
            for ranks in (1, 2):
                summary = run_case(SLAB, [*mesh, f"solver.preset={preset}"], ranks)
                rows.append(row(f"slab h={size_um} µm {preset}", ranks, summary))
    print_table(rows)


if __name__ == "__main__":
    main()
