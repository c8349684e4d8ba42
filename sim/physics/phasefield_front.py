"""The Li front of a phase-field run, shared by its formulations: the ξ = ½ contour, the front
profile along the anode and the growth figure."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypedDict

import numpy as np
from mpi4py import MPI

from sim.solve import SolverFailed


def contour_points(V, xi: np.ndarray, level: float = 0.5) -> np.ndarray:
    """Points (mesh units) where the P1 field crosses `level` on the edges of this rank's owned cells."""
    mesh = V.mesh
    tdim = mesh.topology.dim
    n = mesh.topology.index_map(tdim).size_local
    dofs = V.dofmap.list[:n]
    x = V.tabulate_dof_coordinates()[:, :2]
    k = dofs.shape[1]
    pts = []
    for i in range(k):
        for j in range(i + 1, k):
            a, b = dofs[:, i], dofs[:, j]
            fa, fb = xi[a] - level, xi[b] - level
            cross = fa * fb < 0
            s = (fa[cross] / (fa[cross] - fb[cross]))[:, None]
            pts.append(x[a[cross]] + s * (x[b[cross]] - x[a[cross]]))
    on_level = np.unique(dofs[np.isclose(xi[dofs], level, rtol=0.0, atol=1e-12)])
    pts.append(x[on_level])  # vertices exactly on the level (e.g. a meshed nucleus boundary at t = 0)
    return np.vstack(pts)


def front_profile(comm, points: np.ndarray, width: float, bins: int = 40) -> np.ndarray:
    """Highest contour point in each of `bins` columns (NaN where none), on every rank."""
    edges = np.linspace(0.0, width, bins + 1)
    col = np.clip(np.digitize(points[:, 0], edges) - 1, 0, bins - 1) if len(points) else np.zeros(0, int)
    top = np.full(bins, -np.inf)
    np.maximum.at(top, col, points[:, 1]) if len(points) else None
    comm.Allreduce(MPI.IN_PLACE, top, op=MPI.MAX)
    return np.where(np.isfinite(top), top, np.nan)


def front_shape(comm, V, xi: np.ndarray, width: float) -> tuple[float, float, float]:
    """(tip height, mean front position, roughness) of the ξ = ½ contour of the P1 values `xi` on
    `V`, in mesh units: the highest contour point, and the mean and standard deviation over the
    columns of a `width`-wide domain of each column's highest contour point."""
    pts = contour_points(V, np.ravel(xi))
    height = comm.allreduce(float(pts[:, 1].max()) if len(pts) else 0.0, op=MPI.MAX)
    top = front_profile(comm, pts, width)
    if not np.isfinite(top).any():
        return height, 0.0, 0.0
    return height, float(np.nanmean(top)), float(np.nanstd(top))


def late_slope(t: list[float], y: list[float]) -> float:
    """d y/d t fitted over the last quarter of the run (0 with fewer than two points there)."""
    times, values = np.array(t), np.array(y)
    late = times >= 0.75 * times[-1]
    return float(np.polyfit(times[late], values[late], 1)[0]) if late.sum() >= 2 else 0.0


class FrontMetrics(TypedDict):
    """The front metrics every phase-field formulation reports (SI)."""

    mean_front_position_m: float
    """mean over the width of the highest ξ = ½ point of each column"""
    dendrite_excess_height_m: float
    """tip height above the mean front"""
    mean_front_velocity_m_s: float


def front_metrics(history: dict[str, list[float]]) -> FrontMetrics:
    """The mean front and how far the tip stands above it (issue 10): mean_front_position_m,
    dendrite_excess_height_m (tip − mean front, now) and mean_front_velocity_m_s (late slope)."""
    mean = history["mean_front_m"]
    return FrontMetrics(
        mean_front_position_m=mean[-1],
        dendrite_excess_height_m=history["height_m"][-1] - mean[-1],
        mean_front_velocity_m_s=late_slope(history["t_s"], mean),
    )


COUNTER_ELECTRODE_PHASE = 0.05
"""The largest ξ on the counter electrode a run accepts. Past it the metal grows on the counter
electrode itself (it sees the anode's potential across the whole cell) and the steps collapse:
measured in the electroneutral PEO ablation cell at −0.2 V past 0.40 C/m, where a ξ ≈ 0.3–0.45
streamer ran from the tip (9.4 µm) to the counter electrode (20 µm) in ≈ 20 s and ξ there rose
0.1 → 0.875 with Δt at 1 ms. A deposit's own tanh tail reaches 0.05 about 1.1 interface widths away."""


def check_counter_electrode(xi: np.ndarray, comm: MPI.Comm, t: float) -> None:
    """SolverFailed if the phase field `xi` on this rank's counter-electrode dofs (collective:
    the maximum over ranks) exceeds COUNTER_ELECTRODE_PHASE at time `t` (s)."""
    reached = comm.allreduce(float(xi.max()) if xi.size else 0.0, op=MPI.MAX)
    if reached > COUNTER_ELECTRODE_PHASE:
        raise SolverFailed(
            f"the phase field reached the counter electrode at t = {t:.6g} s (ξ = {reached:.3g} "
            f"there > {COUNTER_ELECTRODE_PHASE}): metal would grow on it (a short circuit); at this "
            "drive ξ can run ahead of the deposit as a ξ < ½ streamer: lower the applied voltage, "
            "or stop earlier (physics.stop_at_charge / stop_at_tip)"
        )


def early_stop(phys: Any, history: dict[str, list[float]]) -> str | None:
    """Why a phase-field run ends at its latest accepted step before time.t_end, or None: its tip
    reached physics.stop_at_tip, or (electroneutral) its passed charge physics.stop_at_charge."""
    tip, charge = phys.stop_at_tip, phys.stop_at_charge
    if tip is not None and history["height_m"][-1] >= tip:
        return f"stop_at_tip: the tip reached {history['height_m'][-1]:.6g} m (limit {tip:g} m)"
    if charge is not None and history["charge_C_m"][-1] >= charge:
        return f"stop_at_charge: {history['charge_C_m'][-1]:.6g} C/m passed (limit {charge:g} C/m)"
    return None


class Snapshots:
    """The times of a phase-field run's PNG snapshots of its order parameter: `count` evenly
    spaced over (0, t_end]."""

    def __init__(self, t_end: float, count: int) -> None:
        self.times = list(np.linspace(0, t_end, count + 1)[1:])

    def restore(self, times: list[float] | None, t: float) -> None:
        """The times still due at a resume or a mesh rebuild at time `t`: `times` as saved by
        the model's checkpoint_data (a time past but not yet written stays due: the next
        output writes it) and this plan's times after `t` (the same ones unless a resume moved
        t_end: a later t_end gets its snapshots); a checkpoint without them: the times after `t`."""
        planned = [s for s in self.times if s > t * (1 + 1e-9)]
        self.times = planned if times is None else sorted(set(times) | set(planned))

    def end_early(self, t: float, why: str | None) -> bool:
        """With a reason `why` (`early_stop`) the run ends at `t`, before t_end: the snapshot of
        that last state is due instead of the later ones; returns whether it ends (for
        Model.observe)."""
        if why is not None:
            self.times = [t]
        return why is not None

    def due(self, t: float, field: Any, symbol: str, stem: str) -> dict[str, tuple[Any, str, dict[str, Any]]]:
        """The snapshot of `field` (its ½ contour drawn) if one is due at `t`: {stem_t…s: (field,
        title, plot options)} for Model.snapshots, else {}. One snapshot serves every time it is
        due for (two can pass between output steps), so none is left due for the next output."""
        if not self.times or t < self.times[0] * (1 - 1e-9):
            return {}
        while self.times and t >= self.times[0] * (1 - 1e-9):
            self.times.pop(0)
        return {f"{stem}_t{t:.4g}s": (field, f"{symbol} at t = {t:.3g} s", {"interface": field})}


def growth_plot(history: dict, path: Path) -> None:
    """Dendrite height and Li area vs time (rank 0)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.array(history["t_s"])
    fig, ax = plt.subplots(1, 2, figsize=(9, 3.4))
    ax[0].plot(t, np.array(history["height_m"]) * 1e6, label="tip")
    if "mean_front_m" in history:
        ax[0].plot(t, np.array(history["mean_front_m"]) * 1e6, label="mean front")
        ax[0].legend()
    ax[0].set(xlabel="time (s)", ylabel="height above the anode (µm)")
    ax[1].plot(t, np.array(history["li_area_m2"]) * 1e12)
    ax[1].set(xlabel="time (s)", ylabel="Li area (µm²)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
