"""The ξ = ½ front of a P1 phase field on a 2D mesh: contour points and the column-wise front
profile (height and roughness of a growing deposit; shared by the phase-field formulations)."""

from __future__ import annotations

import numpy as np
from mpi4py import MPI


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
