"""README figure of seed 000's LATP question: the Nyquist plots of configs/lab/cathode_eis.yaml and
cathode_eis_ceramic.yaml (seed 000 Table S4's three frequencies marked) and ΔZ′(f) = Z′(with
LATP) − Z′(without), next to Table S4's ΔZ′ of the full cells (20th and 200th cycle); optionally
ΔZ′ of a second pair (e.g. both run with `--set materials.binder.transference_number.value=0.9`).

    sim run configs/lab/cathode_eis.yaml && sim run configs/lab/cathode_eis_ceramic.yaml
    python scripts/cathode_eis_figure.py results/cathode_eis results/cathode_eis_ceramic out.png \
        [PLAIN2 CERAMIC2 LABEL2]
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sim.experiments.spectra import read_csv

SEED_FREQUENCIES = (60.9e3, 226.2, 2.7)
"""Hz, seed 000 Table S4"""
SEED_DELTA = {
    "20th cycle": (14.2 - 14.6, 27.2 - 30.7, 39.7 - 42.1),
    "200th cycle": (14.4 - 15.2, 22.8 - 29.2, 34.9 - 42.9),
}
"""Ω, seed 000 Table S4: Z′(NCM811_CP) − Z′(NCM811_P) of PTNB@Li || NCM811 cells"""


def main(plain: Path, ceramic: Path, out: Path, second: tuple[Path, Path, str] | None = None) -> None:
    (f, z_a, _), (f_b, z_b, _) = read_csv(plain / "impedance.csv"), read_csv(ceramic / "impedance.csv")
    assert np.array_equal(f, f_b)
    fig, (ax, bx) = plt.subplots(1, 2, figsize=(11, 4.3), dpi=150, layout="constrained")
    for z, label, color in ((z_a, "NCM811 (no LATP)", "C0"), (z_b, "NCM811 + 10 vol.% LATP", "C3")):
        ax.plot(z.real, -z.imag, "o-", ms=2.5, lw=0.8, color=color, label=label)
        for probe, marker in zip(SEED_FREQUENCIES, "s^D", strict=True):
            i = int(np.argmin(abs(f - probe)))
            ax.plot(z[i].real, -z[i].imag, marker, ms=7, mfc="none", color=color)
    for probe, marker in zip(SEED_FREQUENCIES, "s^D", strict=True):
        ax.plot([], [], marker, mfc="none", color="k", label=f"{probe:g} Hz (seed 000 Table S4)")
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("Z′ (Ω)")
    ax.set_ylabel("−Z″ (Ω)")
    ax.set_title("composite cathode model, 0.377 cm²")
    ax.legend(fontsize="small")
    bx.semilogx(f, z_b.real - z_a.real, "-", color="C3", label="model: Z′(LATP) − Z′(no LATP)")
    for (label, delta), marker in zip(SEED_DELTA.items(), "ox", strict=True):
        bx.semilogx(
            SEED_FREQUENCIES, delta, marker, color="k", label=f"seed 000 Table S4, {label} (full cells)"
        )
    if second is not None:
        (f2, z2a, _), (_, z2b, _) = (read_csv(d / "impedance.csv") for d in second[:2])
        bx.semilogx(f2, z2b.real - z2a.real, "--", color="C3", label=f"model, {second[2]}")
    bx.axhline(0.0, color="0.6", lw=0.6)
    bx.set_xlabel("frequency (Hz)")
    bx.set_ylabel("ΔZ′ (Ω)")
    bx.set_title("what the LATP phase changes")
    bx.legend(fontsize="small")
    fig.savefig(out)
    plt.close(fig)


if __name__ == "__main__":
    extra = (Path(sys.argv[4]), Path(sys.argv[5]), sys.argv[6]) if len(sys.argv) > 4 else None
    main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), extra)
