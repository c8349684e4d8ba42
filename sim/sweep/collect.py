"""Collect a sweep: sweep.csv (and sweep.parquet with pyarrow) with one row per point, and PNG
plots of every metric against every axis of the sweep (each grid key, and the first key of the zip
group), one line per combination of the other axes. Points that are impedance experiments bring their fit
metrics like any other, and figures/nyquist_overlay.png overlays their spectra (impedance.csv)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

from sim.files import atomic_write
from sim.sweep.store import DONE, PointState, SweepDir

RUN_STATS = ("wall_time_s", "mpi_ranks", "num_dofs", "num_steps", "newton_iterations")


def rows(points: list[tuple[dict[str, Any], PointState]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows: id, parameters, status, reason, run statistics, every metric."""
    table: list[dict[str, Any]] = []
    metrics: dict[str, None] = {}  # metric names in first-seen order
    for point, state in points:
        summary = state.summary or {}
        row = {"id": point["id"], **point["parameters"], "status": state.status, "reason": state.reason}
        row |= {key: summary.get(key) for key in RUN_STATS}
        metrics_of_point = summary.get("metrics")
        for key, value in (metrics_of_point if isinstance(metrics_of_point, dict) else {}).items():
            metrics.setdefault(key, None)
            row[key] = value
        table.append(row)
    params = list(points[0][0]["parameters"]) if points else []
    columns = ["id", *params, "status", "reason", *RUN_STATS, *metrics]
    return columns, [{c: row.get(c) for c in columns} for row in table]


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (list, dict)) else value


def write_table(path: Path, columns: list[str], table: list[dict[str, Any]]) -> list[Path]:
    """sweep.csv, and sweep.parquet when pyarrow is importable; returns the written paths."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _cell(v) for k, v in row.items()} for row in table)
    atomic_write(path / "sweep.csv", buffer.getvalue())
    written = [path / "sweep.csv"]
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        return written
    data = {c: [_cell(row[c]) for row in table] for c in columns}
    try:
        arrow = pa.table(data)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed-type parameter columns: store as text
        arrow = pa.table({c: [None if v is None else str(v) for v in values] for c, values in data.items()})
    pq.write_table(arrow, path / "sweep.parquet")
    return [*written, path / "sweep.parquet"]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def plot_metrics(
    path: Path, params: list[str], metrics: list[str], table: list[dict[str, Any]], log_scale: list[str]
) -> list[Path]:
    """figures/<metric>__vs__<axis>.png for the ok points; returns the written paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ok = [row for row in table if row["status"] == DONE]
    (path / "figures").mkdir(exist_ok=True)
    written = []
    for metric in metrics:
        if not any(_number(row[metric]) for row in ok):
            continue
        for param in params:
            others = [p for p in params if p != param]
            groups: dict[tuple, list[dict[str, Any]]] = {}
            for row in ok:
                if _number(row[metric]):
                    groups.setdefault(tuple(json.dumps(row[p]) for p in others), []).append(row)
            fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
            numeric = all(_number(row[param]) for row in ok)
            for key, members in groups.items():
                members.sort(key=lambda r: r[param] if numeric else str(r[param]))
                x = [r[param] if numeric else str(r[param]) for r in members]
                label = ", ".join(f"{o}={v}" for o, v in zip(others, key, strict=False)) or None
                ax.plot(x, [r[metric] for r in members], "o-", label=label)
            if param in log_scale:
                ax.set_xscale("log")
            ax.set_xlabel(param)
            ax.set_ylabel(metric)
            ax.grid(True, alpha=0.3)
            if others and len(groups) <= 12:
                ax.legend(fontsize="small")
            file = path / "figures" / f"{_slug(metric)}__vs__{_slug(param)}.png"
            fig.savefig(file, dpi=100)
            plt.close(fig)
            written.append(file)
    return written


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_")


def overlay_nyquist(store: SweepDir, points: list[tuple[dict[str, Any], PointState]]) -> list[Path]:
    """figures/nyquist_overlay.png: the spectra of the done impedance points, one curve per point
    (labelled by its parameters), in the unit of the first; returns the written paths."""
    from sim.experiments.spectra import UNIT_LABELS, Curve, plot_spectra, read_csv

    curves, unit = [], None
    for point, state in points:
        csv_path = store.run_dir(point["id"]) / "impedance.csv"
        experiment = (state.summary or {}).get("experiment")
        if state.status != DONE or not isinstance(experiment, dict) or experiment.get("kind") != "impedance":
            continue
        if not csv_path.exists():
            continue
        f, z, point_unit = read_csv(csv_path)
        unit = unit or point_unit
        if point_unit == unit:
            label = ", ".join(f"{k.rsplit('.', 1)[-1]}={v}" for k, v in point["parameters"].items())
            curves.append(Curve(label or point["id"], f, z))
    if not curves or unit is None:
        return []
    (store.path / "figures").mkdir(exist_ok=True)
    path = store.path / "figures" / "nyquist_overlay.png"
    plot_spectra(path, None, curves, UNIT_LABELS[unit], f"Impedance of the sweep's {len(curves)} points")
    return [path]


def collect(store: SweepDir, points: list[tuple[dict[str, Any], PointState]]) -> list[Path]:
    """Write the table and the plots of a sweep; returns the written paths."""
    columns, table = rows(points)
    index = store.index()
    params = index["axes"]
    metrics = columns[columns.index(RUN_STATS[-1]) + 1 :]
    written = write_table(store.path, columns, table)
    written += plot_metrics(store.path, params, metrics, table, index.get("log_scale", []))
    return written + overlay_nyquist(store, points)
