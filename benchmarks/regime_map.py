"""The regime map of issue 10 from two collected sweeps: configs/sweeps/dendrite_regime_map.yaml
(applied voltage x PE filament spacing) and its filament-free column dendrite_regime_map_peo.yaml.

    sim sweep configs/sweeps/dendrite_regime_map.yaml --jobs 2
    sim sweep configs/sweeps/dendrite_regime_map_peo.yaml --jobs 2
    sim sweep collect results/dendrite_regime_map && sim sweep collect results/dendrite_regime_map_peo
    .venv/bin/python benchmarks/regime_map.py [results]

Writes docs/figures/phasefield/regime_map.png: the dendrite's excess height over the mean front in
interface widths (colour) with the tip / mean front velocity ratio (text) per point, and prints the
points as a Markdown table.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
from common import ROOT, print_table

FIGURE = ROOT / "docs" / "figures" / "phasefield" / "regime_map.png"
NONE = "none"
"""the spacing label of the filament-free column"""


def points(results: Path) -> list[dict[str, str]]:
    """Rows of both sweep.csv files, the filament-free ones with spacing `none`."""
    rows = []
    for name, spacing in (("dendrite_regime_map", None), ("dendrite_regime_map_peo", NONE)):
        path = results / name / "sweep.csv"
        if not path.exists():
            continue
        with path.open() as f:
            for row in csv.DictReader(f):
                row["spacing"] = spacing or f"{float(row['geometry.filaments.spacing']) * 1e6:.1f}"
                rows.append(row)
    return rows


def value(row: dict[str, str], key: str) -> float:
    text = row.get(key) or ""
    return float(text) if text and row.get("status") == "ok" else np.nan


def draw(rows: list[dict[str, str]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    spacings = sorted({r["spacing"] for r in rows}, key=lambda s: np.inf if s == NONE else float(s))
    voltages = sorted({float(r["physics.applied_voltage"]) for r in rows}, reverse=True)
    excess = np.full((len(voltages), len(spacings)), np.nan)
    ratio = np.full_like(excess, np.nan)
    for r in rows:
        i, j = voltages.index(float(r["physics.applied_voltage"])), spacings.index(r["spacing"])
        excess[i, j] = value(r, "dendrite_excess_height_m") / value(r, "interface_width_m")
        ratio[i, j] = value(r, "tip_velocity_m_s") / value(r, "mean_front_velocity_m_s")
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    image = ax.imshow(excess, cmap="magma_r", origin="lower", aspect="auto")
    for i in range(len(voltages)):
        for j in range(len(spacings)):
            text = "failed" if np.isnan(excess[i, j]) else f"{excess[i, j]:.1f} w\nv×{ratio[i, j]:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=9, color="tab:cyan")
    ax.set_xticks(range(len(spacings)), [s if s == NONE else f"{s} µm" for s in spacings])
    ax.set_yticks(range(len(voltages)), [f"{v * 1e3:.0f} mV" for v in voltages])
    ax.set(xlabel="PE filament spacing (none: PEO alone)", ylabel="applied voltage")
    ax.set_title("tip − mean front (interface widths w), tip / mean velocity (v×)", fontsize=10)
    fig.colorbar(image, ax=ax, label="excess height / interface width")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    results = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "results"
    rows = points(results)
    table = []
    for r in rows:
        width = value(r, "interface_width_m")
        table.append(
            {
                "voltage V": r["physics.applied_voltage"],
                "spacing µm": r["spacing"],
                "status": r.get("status", ""),
                "passed charge mC/m": f"{value(r, 'passed_charge_C_m') * 1e3:.1f}",
                "excess µm": f"{value(r, 'dendrite_excess_height_m') * 1e6:.2f}",
                "excess / width": f"{value(r, 'dendrite_excess_height_m') / width:.2f}",
                "tip / mean v": f"{value(r, 'tip_velocity_m_s') / value(r, 'mean_front_velocity_m_s'):.2f}",
                "roughness µm": f"{value(r, 'interface_roughness_m') * 1e6:.2f}",
                "max |σ_h| MPa": f"{value(r, 'max_hydrostatic_stress_Pa') / 1e6:.0f}",
                "wall s": f"{value(r, 'wall_time_s'):.0f}",
            }
        )
    print_table(table)
    if rows:
        draw(rows, FIGURE)


if __name__ == "__main__":
    main()
