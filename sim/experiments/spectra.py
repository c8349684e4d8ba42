"""Figures of impedance spectra, one run's or several overlaid (sim compare, sim sweep collect), and
the reader of impedance.csv; free of DOLFINx, so collecting a sweep does not import it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

UNIT_LABELS = {"ohm": "Ω", "ohm_m2": "Ω m²"}
"""impedance.csv's unit suffix → the axis label"""


@dataclass(frozen=True)
class Curve:
    """One spectrum in a figure: its legend label, f (Hz), Z, and the circuit fit's Z if any."""

    label: str
    f: np.ndarray
    z: np.ndarray
    fitted: np.ndarray | None = None


def read_csv(path: Path) -> tuple[np.ndarray, np.ndarray, str]:
    """f (Hz), Z and the unit suffix ("ohm" or "ohm_m2") of an impedance.csv (write_csv)."""
    with open(path) as handle:
        header = handle.readline().strip().split(",")
    data = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    return data[:, 0], data[:, 1] + 1j * data[:, 2], header[1].removeprefix("z_real_")


def plot_spectra(nyquist: Path, bode: Path | None, curves: list[Curve], unit: str, title: str) -> None:
    """Overlaid Nyquist (−Z″ up vs Z′, equal axes) and, unless `bode` is None, Bode (|Z| and phase
    vs f) figures of several spectra in one unit (axis label, e.g. Ω); a curve with a fit also
    gets the fitted line in its colour. Points of a spectrum without a fit are joined by a thin line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    def draw(ax, x, y, curve: Curve, color: str, fx, fy) -> None:
        style = "o" if curve.fitted is not None else "o-"
        ax.plot(x, y, style, ms=3, lw=0.8, color=color, label=curve.label)
        if curve.fitted is not None:
            fit_label = "circuit fit" if len(curves) == 1 else f"{curve.label}: circuit fit"
            ax.plot(fx, fy, "-", lw=1, color="C1" if len(curves) == 1 else color, label=fit_label)

    colors = [f"C{i % 10}" for i in range(len(curves))]
    fig, ax = plt.subplots(figsize=(6, 4.5), dpi=150, layout="constrained")
    for curve, color in zip(curves, colors, strict=True):
        fit = curve.fitted if curve.fitted is not None else curve.z
        draw(ax, curve.z.real, -curve.z.imag, curve, color, fit.real, -fit.imag)
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel(f"Z′ ({unit})")
    ax.set_ylabel(f"−Z″ ({unit})")
    ax.set_title(title)
    ax.legend(fontsize="small" if len(curves) > 3 else None)
    fig.savefig(nyquist)
    plt.close(fig)
    if bode is None:
        return
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(6, 5), dpi=150, sharex=True, layout="constrained")
    for curve, color in zip(curves, colors, strict=True):
        fit = curve.fitted if curve.fitted is not None else curve.z
        draw(a1, curve.f, abs(curve.z), curve, color, curve.f, abs(fit))
        draw(a2, curve.f, np.degrees(np.angle(curve.z)), curve, color, curve.f, np.degrees(np.angle(fit)))
    a1.set_xscale("log")
    a1.set_yscale("log")
    a1.set_ylabel(f"|Z| ({unit})")
    a2.set_ylabel("phase (°)")
    a2.set_xlabel("frequency (Hz)")
    a1.set_title(title)
    if len(curves) > 1:
        a1.legend(fontsize="small")
    fig.savefig(bode)
    plt.close(fig)
