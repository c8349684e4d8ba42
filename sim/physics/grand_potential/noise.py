"""Langevin noise of the grand-potential model drawn on a fixed square lattice (`physics.noise_lattice`)
instead of per mesh cell: the same field on any mesh and partition, so an adaptive run (whose cells
change at every rebuild) and a uniform one see the same noise, realisation and statistics.

The lattice's squares (spacing s, from the domain's corner (0, 0)) carry amplitude × U(−1, 1), one
global draw per step from the seeded generator (as `forms.draw_noise`). Each cell's DG0 value is the
mean of the lattice field at the centroids of its n² congruent sub-triangles, n = ⌈longest edge / s⌉:
the cell average of the lattice field by the midpoint rule on sub-triangles no larger than a square,
so ∫ζv is that of the lattice field on fine and coarse cells alike. A 0.5 µm lattice has MOOSE's
correlation area on the published mesh (LangevinNoise draws at each of the 2 × 2 Gauss points of
its 1 µm quads: 0.25 µm² per value).
"""

from __future__ import annotations

import math

import numpy as np
from dolfinx import fem


def _sub_centroids(n: int) -> np.ndarray:
    """Barycentric (λ1, λ2) of the centroids of the n² sub-triangles of a triangle cut n times."""
    up = [((i + 1 / 3) / n, (j + 1 / 3) / n) for i in range(n) for j in range(n - i)]
    down = [((i + 2 / 3) / n, (j + 2 / 3) / n) for i in range(n - 1) for j in range(n - 1 - i)]
    return np.array(up + down)


class LatticeNoise:
    """The lattice field of spacing `spacing` over [0, extent[0]] × [0, extent[1]] (mesh units)
    averaged onto the cells of the DG0 space `Q`."""

    def __init__(self, Q: fem.FunctionSpace, spacing: float, extent: tuple[float, float]) -> None:
        mesh = Q.mesh
        imap = mesh.topology.index_map(mesh.topology.dim)
        cells = np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32)
        self.dofs = Q.dofmap.list[cells, 0]
        x = mesh.geometry.x[mesh.geometry.dofmaps[0][cells]][:, :, :2]
        edges = np.linalg.norm(x - np.roll(x, 1, axis=1), axis=2).max(axis=1)
        subdivisions = np.maximum(1, np.ceil(edges / spacing - 1e-9)).astype(int)
        self.shape = tuple(max(1, math.ceil(e / spacing - 1e-9)) for e in extent)
        owners, squares = [], []
        for n in np.unique(subdivisions):
            group = np.flatnonzero(subdivisions == n)
            lam = _sub_centroids(int(n))
            a = x[group, 0][:, None]
            points = (
                a
                + lam[None, :, :1] * (x[group, 1] - x[group, 0])[:, None]
                + lam[None, :, 1:] * (x[group, 2] - x[group, 0])[:, None]
            )
            index = [
                np.clip(np.floor(points[..., k] / spacing).astype(np.int64), 0, self.shape[k] - 1)
                for k in range(2)
            ]
            owners.append(np.repeat(group, len(lam)))
            squares.append((index[1] * self.shape[0] + index[0]).ravel())
        self.owners = np.concatenate(owners) if owners else np.zeros(0, np.int64)
        self.squares = np.concatenate(squares) if squares else np.zeros(0, np.int64)
        self.samples = np.bincount(self.owners, minlength=len(cells)).astype(float)

    def draw(self, values: np.ndarray, amplitude: float, rng: np.random.Generator) -> None:
        """Fill the DG0 array `values` with this step's draw (amplitude × U(−1, 1) per square)."""
        lattice = amplitude * (2.0 * rng.random(self.shape[0] * self.shape[1]) - 1.0)
        sums = np.bincount(self.owners, weights=lattice[self.squares], minlength=len(self.samples))
        values[self.dofs] = sums / self.samples
