"""Seed 001's PEO vs PLM claim as an ablation (issue 10): the same PEO cell, drive and nucleus with
nothing, with the PE filaments, with the MOF coating next to the anode, and with both (PLM), each
stopped at the same passed charge (`physics.stop_at_charge`; configs/ablation/).

    .venv/bin/python benchmarks/ablation.py [out_dir] [jobs]

Runs the four configs, `jobs` (default 2) at a time (one rank each, niced, figures on, fields
off) into out_dir (default results/ablation), prints the Markdown tables of the README (each case
at its stop; every case at the charge where one stopped short), and writes the last ξ snapshot of
each case and the growth of all four against passed charge to docs/figures/phasefield/ablation_*.png.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from common import ROOT, print_table

CASES = {
    "PEO": "dendrite_peo",
    "PEO + PE filaments": "dendrite_peo_filaments",
    "PEO + MOF coating": "dendrite_peo_mof",
    "PLM (filaments + MOF)": "dendrite_plm",
}
FIGURES = ROOT / "docs" / "figures" / "phasefield"


def run(stem: str, out: Path) -> tuple[dict, float]:
    """`sim run` of configs/ablation/<stem>.yaml into out/<stem>: (summary, wall time s)."""
    target = out / stem
    shutil.rmtree(target, ignore_errors=True)
    config = f"configs/ablation/{stem}.yaml"
    cmd = ["nice", "-n", "10", sys.executable, "-m", "sim.cli", "run", config, "--out", str(target)]
    start = time.perf_counter()
    subprocess.run([*cmd, "--quiet", "--set", "output.fields=false"], check=False, cwd=ROOT)
    wall = time.perf_counter() - start
    summary = target / "summary.json"
    return (json.loads(summary.read_text()) if summary.exists() else {"status": "no summary"}), wall


def last_snapshot(run_dir: Path) -> Path | None:
    """The ξ snapshot of the latest time in a run's figures/ (a run stopped before its first
    snapshot: its ξ figure at the stop)."""
    shots = sorted(run_dir.glob("figures/xi_t*s.png"), key=lambda p: float(p.stem[4:-1]))
    final = run_dir / "figures" / "phase_field_xi.png"
    return shots[-1] if shots else (final if final.exists() else None)


def equal_charge_rows(histories: dict[str, dict]) -> list[dict[str, str]]:
    """At the passed charge where each case stopped short of the others, every case's history
    (interpolated between steps): tip, mean front, excess, roughness."""
    ends = sorted({h["charge_C_m"][-1] for h in histories.values()})
    rows = []
    for q in ends[:-1]:
        for label, h in histories.items():
            charge = np.array(h["charge_C_m"])
            if charge[-1] < q * (1 - 1e-9):
                continue

            def at(key: str, h=h, charge=charge, q=q) -> float:
                return float(np.interp(q, charge, h[key])) * 1e6

            tip, mean = at("height_m"), at("mean_front_m")
            rows.append({
                "at passed charge": f"{q * 1e3:.1f} mC/m",
                "case": label,
                "tip µm": f"{tip:.3f}",
                "mean front µm": f"{mean:.3f}",
                "excess µm": f"{tip - mean:.3f}",
                "roughness µm": f"{at('roughness_m'):.3f}",
            })  # fmt: skip
    return rows


def table_row(label: str, summary: dict, wall: float) -> dict[str, str]:
    m = summary.get("metrics", {})

    def um(key: str) -> str:
        return f"{m[key] * 1e6:.3f}" if key in m else ""

    def nm_s(key: str) -> str:
        return f"{m[key] * 1e9:.2f}" if key in m else ""

    ratio = m.get("tip_velocity_m_s", np.nan) / m.get("mean_front_velocity_m_s", np.nan)
    width = m.get("interface_width_m", np.nan)
    return {
        "case": label,
        "status": summary.get("status", "?"),
        "passed charge mC/m": f"{m.get('passed_charge_C_m', np.nan) * 1e3:.3f}",
        "t s": f"{m.get('time_s', np.nan):.1f}",
        "tip µm": um("dendrite_height_m"),
        "mean front µm": um("mean_front_position_m"),
        "excess µm": um("dendrite_excess_height_m"),
        "excess / width": f"{m.get('dendrite_excess_height_m', np.nan) / width:.2f}",
        "roughness µm": um("interface_roughness_m"),
        "tip v nm/s": nm_s("tip_velocity_m_s"),
        "mean v nm/s": nm_s("mean_front_velocity_m_s"),
        "tip / mean v": f"{ratio:.2f}",
        "max |σ_h| MPa": f"{m.get('max_hydrostatic_stress_Pa', np.nan) / 1e6:.1f}",
        "max von Mises MPa": f"{m.get('max_von_mises_stress_Pa', np.nan) / 1e6:.1f}",
        "min c⁺ mol/m³": f"{m.get('min_electrolyte_concentration_mol_m3', np.nan):.0f}",
        "steps": str(m.get("num_steps", "")),
        "rejected": str(m.get("rejected_steps", "")),
        "newton/step": f"{m.get('newton_per_step', np.nan):.1f}",
        "wall s": f"{wall:.0f}",
    }


def growth_figure(histories: dict[str, dict], path: Path) -> None:
    """Tip height and mean front vs passed charge, all cases."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(1, 2, figsize=(10, 3.8))
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (label, h), color in zip(histories.items(), colors[: len(histories)], strict=True):
        q = np.array(h["charge_C_m"]) * 1e3
        ax[0].plot(q, np.array(h["height_m"]) * 1e6, color=color, label=f"{label}: tip")
        ax[0].plot(q, np.array(h["mean_front_m"]) * 1e6, color=color, ls="--")
        ax[1].plot(q, (np.array(h["height_m"]) - np.array(h["mean_front_m"])) * 1e6, color=color, label=label)
    ax[0].set(xlabel="passed charge (mC/m)", ylabel="height above the anode (µm)")
    ax[0].set_title("tip (—), mean front (--)")
    ax[1].set(xlabel="passed charge (mC/m)", ylabel="tip − mean front (µm)", title="dendrite excess height")
    ax[1].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "results" / "ablation"
    jobs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with ThreadPoolExecutor(jobs) as pool:
        results = list(pool.map(lambda stem: run(stem, out), CASES.values()))
    rows, histories = [], {}
    for (label, stem), (summary, wall) in zip(CASES.items(), results, strict=True):
        rows.append(table_row(label, summary, wall))
        if "history" in summary:
            histories[label] = summary["history"]
        shot = last_snapshot(out / stem)
        if shot is not None:
            shutil.copy(shot, FIGURES / f"ablation_{stem}.png")
    print_table(rows)
    print()
    print_table(equal_charge_rows(histories))
    if histories:
        growth_figure(histories, FIGURES / "ablation_growth.png")


if __name__ == "__main__":
    main()
