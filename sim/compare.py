"""`sim compare A.yaml B.yaml`: run two configs and put their answers side by side.

Writes <out>/<name A>/ and <out>/<name B>/ (ordinary run directories), and in <out>:
`comparison.json` (both metric sets and the ratio B/A), `figures/maps_<field>.png` (the two runs'
maps on one colour scale, from their field files; sim.compare_maps),
`figures/central_axis_potential.png` (seed 001 Fig. S27) and
`figures/anode_li_flux.png` and `anode_li_flux_normalized.png` (Li⁺ flux along the anode, and
divided by its mean) for NPP runs; `figures/height_vs_charge.png` and `roughness_vs_charge.png`
(the comparison at equal passed charge) for phase-field runs; for two impedance experiments
`figures/nyquist.png` and `bode.png` (both spectra overlaid, from their impedance.csv) and the
fitted circuit parameters side by side in comparison.json (`fit`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mpi4py import MPI

from sim.compare_maps import MAP_FIELDS, comparison_maps
from sim.config import LoadedConfig
from sim.files import atomic_write


def impedance_mismatch(a: LoadedConfig, b: LoadedConfig) -> str | None:
    """Why two configs cannot be compared as impedance spectra (one is an impedance experiment and
    the other not, or their Z are in different units); None if they can, or neither is one."""
    from sim.experiments.report import z_unit

    kinds = [
        cfg.config.experiment is not None and cfg.config.experiment.kind == "impedance" for cfg in (a, b)
    ]
    if kinds[0] != kinds[1]:
        one, other = (a, b) if kinds[0] else (b, a)
        return (
            f"{other.file or other.name}: experiment: {one.name} is an impedance experiment and "
            f"{other.name} is not; compare two impedance experiments or two plain runs"
        )
    if kinds[0] and z_unit(a.config) != z_unit(b.config):
        with_area = a if z_unit(a.config) == "ohm" else b
        without = b if with_area is a else a
        return (
            f"{without.file or without.name}: experiment.electrode_area: {with_area.name} reports Z in Ω "
            f"(an electrode area) and {without.name} in Ω m² (none); give both or neither an area"
        )
    return None


def compare(
    a: LoadedConfig, b: LoadedConfig, out: Path, comm: MPI.Comm = MPI.COMM_WORLD, quiet: bool = False
) -> int:
    """Run both configs into `out` and write the comparison; returns the worse exit code."""
    from sim.runner import execute

    codes = [execute(cfg, out / cfg.name, comm, quiet).exit_code for cfg in (a, b)]
    if comm.rank == 0:
        summaries = [json.loads((out / cfg.name / "summary.json").read_text()) for cfg in (a, b)]
        write_comparison(summaries, [out / cfg.name for cfg in (a, b)], out)
    return max(codes)


def write_comparison(summaries: list[dict], run_dirs: list[Path], out: Path) -> None:
    """comparison.json and the side-by-side figures (rank 0)."""
    names = [s["config_name"] for s in summaries]
    metrics = [s.get("metrics", {}) for s in summaries]
    ratio = {
        k: metrics[1][k] / metrics[0][k]
        for k in metrics[0]
        if k in metrics[1] and isinstance(metrics[0][k], (int, float)) and metrics[0][k]
    }
    report = {
        "runs": names,
        "status": [s["status"] for s in summaries],
        "metrics": dict(zip(names, metrics, strict=False)),
        "ratio_b_over_a": ratio,
    }
    (out / "figures").mkdir(parents=True, exist_ok=True)
    atomic_write(out / "comparison.json", json.dumps(report, indent=2) + "\n")
    import matplotlib

    matplotlib.use("Agg")

    for field in MAP_FIELDS:
        if all((d / "fields" / f"{field}.pvd").exists() for d in run_dirs):
            comparison_maps(field, summaries, run_dirs, out / "figures" / f"maps_{field}.png")
    figures = out / "figures"
    if all(s.get("experiment", {}).get("kind") == "impedance" for s in summaries):
        report["fit"] = fit_side_by_side(summaries)
        atomic_write(out / "comparison.json", json.dumps(report, indent=2) + "\n")
        overlay_spectra(names, [d / "impedance.csv" for d in run_dirs], figures)
    histories = [s.get("history") or {} for s in summaries]
    if all("charge_C_m" in h and "height_m" in h for h in histories):  # phase-field runs
        for key, label in (("height_m", "dendrite height (µm)"), ("roughness_m", "interface roughness (µm)")):
            _line_plot(
                [(h["charge_C_m"], _um(h[key])) for h in histories],
                names,
                "passed charge (C per m of depth)",
                label,
                f"{label.split(' (')[0]} vs passed charge",
                figures / f"{key.removesuffix('_m')}_vs_charge.png",
            )
    profiles = [s["profiles"] for s in summaries if s.get("profiles")]
    if len(profiles) < len(summaries):
        return
    axis = [(_um(p["central_axis"]["y_m"]), p["central_axis"]["potential_V"]) for p in profiles]
    _line_plot(
        axis,
        names,
        "y (µm; anode plane at y = 0)",
        "electrolyte potential (V)",
        "Potential along the central axis",
        figures / "central_axis_potential.png",
    )
    x = [_um(p["anode_flux"]["x_m"]) for p in profiles]
    flux = [p["anode_flux"]["li_flux_mol_m2_s"] for p in profiles]
    _line_plot(
        list(zip(x, flux, strict=False)),
        names,
        "x along the anode (µm)",
        "Li⁺ flux into the anode (mol m⁻² s⁻¹)",
        "Li⁺ flux along the anode",
        figures / "anode_li_flux.png",
    )
    means = [m.get("anode_li_flux_mean_mol_m2_s") or 1.0 for m in metrics]
    _line_plot(
        [(xi, [v / mean for v in f]) for xi, f, mean in zip(x, flux, means, strict=False)],
        names,
        "x along the anode (µm)",
        "Li⁺ flux / its mean",
        "Uniformity of the Li⁺ flux along the anode",
        figures / "anode_li_flux_normalized.png",
    )


def fit_side_by_side(summaries: list[dict]) -> dict:
    """Each run's circuit and the fitted parameters (the `fit_*` metrics) by parameter, then run."""
    names = [s["config_name"] for s in summaries]
    metrics = [s.get("metrics", {}) for s in summaries]
    keys = dict.fromkeys(k for m in metrics for k in m if k.startswith("fit_"))
    return {
        "circuit": {n: s.get("experiment", {}).get("circuit") for n, s in zip(names, summaries, strict=True)},
        "parameters": {
            k.removeprefix("fit_"): {n: m.get(k) for n, m in zip(names, metrics, strict=True)} for k in keys
        },
    }


def fit_lines(fit: dict) -> list[str]:
    """The side-by-side fit (fit_side_by_side) as aligned text lines for the terminal."""
    names = list(fit["circuit"])
    rows = [["parameter", *names], ["circuit", *(str(c) for c in fit["circuit"].values())]]
    rows += [
        [k, *(f"{v:.6g}" if v is not None else "-" for v in by_run.values())]
        for k, by_run in fit["parameters"].items()
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def overlay_spectra(names: list[str], csvs: list[Path], figures: Path) -> None:
    """figures/nyquist.png and bode.png: the runs' impedance.csv spectra overlaid (runs that
    wrote none, e.g. failed ones, are left out)."""
    from sim.experiments.spectra import UNIT_LABELS, Curve, plot_spectra, read_csv

    curves, units = [], set()
    for name, path in zip(names, csvs, strict=True):
        if path.exists():
            f, z, unit = read_csv(path)
            curves.append(Curve(name, f, z))
            units.add(unit)
    if curves and len(units) == 1:
        title = "Impedance: " + " vs ".join(c.label for c in curves)
        plot_spectra(figures / "nyquist.png", figures / "bode.png", curves, UNIT_LABELS[units.pop()], title)


def _um(values: list[float]) -> list[float]:
    return [1e6 * v for v in values]


def _line_plot(curves: list, names: list[str], xlabel: str, ylabel: str, title: str, path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for (x, y), name in zip(curves, names, strict=False):
        ax.plot(x, y, label=name)
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend()
    ax.grid(alpha=0.3)
    _save(fig, path)


def _save(fig, path: Path, dpi: int = 120) -> None:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.tight_layout(pad=0.3)
    fig.savefig(tmp, dpi=dpi)
    plt.close(fig)
    os.replace(tmp, path)
