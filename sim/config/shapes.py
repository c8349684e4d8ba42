"""Plane shapes for geometry validation, random packing and the gmsh builders (pure numpy).

Overlap test for ellipses (`Ellipse.clearance`): the boundary of each ellipse is sampled at 360
points. Two ellipses overlap if a sample of one lies inside the other. Otherwise the gap is at
least the smallest exact distance from the samples of one ellipse to the other ellipse, minus half
the arc length between samples (no boundary point is farther than that from a sample), and the
pair is accepted only if this lower bound is positive (or above the required gap). The test is
conservative: it never accepts an overlap, and it rejects gaps below about 1 % of the larger
semi-axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SAMPLES = 360
"""boundary samples per ellipse in the overlap test"""


def fmt_length(value: float) -> str:
    return f"{value * 1e6:.4g} µm"


def fmt_point(x: float, y: float) -> str:
    return f"({x * 1e6:.4g}, {y * 1e6:.4g}) µm"


@dataclass(frozen=True)
class Ellipse:
    """An ellipse (or circle) in the plane: centre, semi-axes a, b and rotation angle (rad)."""

    x: float
    y: float
    a: float
    b: float
    angle: float = 0.0

    @property
    def area(self) -> float:
        return math.pi * self.a * self.b

    @property
    def extents(self) -> tuple[float, float]:
        """Half-widths of the axis-aligned bounding box."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        return (
            math.sqrt((self.a * c) ** 2 + (self.b * s) ** 2),
            math.sqrt((self.a * s) ** 2 + (self.b * c) ** 2),
        )

    def boundary(self, n: int = SAMPLES) -> np.ndarray:
        """n points on the boundary, shape (n, 2)."""
        t = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
        c, s = math.cos(self.angle), math.sin(self.angle)
        u, v = self.a * np.cos(t), self.b * np.sin(t)
        return np.column_stack([self.x + c * u - s * v, self.y + s * u + c * v])

    def radius(self, points: np.ndarray) -> np.ndarray:
        """Normalised radius of points: < 1 inside, 1 on the boundary, > 1 outside."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        dx, dy = points[..., 0] - self.x, points[..., 1] - self.y
        u, v = c * dx + s * dy, -s * dx + c * dy
        return np.sqrt((u / self.a) ** 2 + (v / self.b) ** 2)

    def box_clearance(self, width: float, height: float) -> dict[str, float]:
        """Distance from the ellipse to each side of the box [0, width] × [0, height]."""
        hx, hy = self.extents
        return {
            "anode": self.y - hy,
            "cathode": height - self.y - hy,
            "left wall": self.x - hx,
            "right wall": width - self.x - hx,
        }

    def distance(self, points: np.ndarray, iterations: int = 48) -> np.ndarray:
        """Exact distance from points outside (or on) the ellipse to its boundary.

        Bisection for the closest point (D. Eberly, "Distance from a point to an ellipse"),
        vectorised over the points; 0 for points inside.
        """
        c, s = math.cos(self.angle), math.sin(self.angle)
        dx, dy = points[..., 0] - self.x, points[..., 1] - self.y
        u, v = np.abs(c * dx + s * dy), np.abs(-s * dx + c * dy)
        e0, e1 = max(self.a, self.b), min(self.a, self.b)
        if self.a < self.b:
            u, v = v, u
        z0, z1 = u / e0, v / e1
        r0 = (e0 / e1) ** 2
        lo = z1 - 1.0
        hi = np.sqrt((r0 * z0) ** 2 + z1**2) - 1.0
        for _ in range(iterations):
            mid = 0.5 * (lo + hi)
            g = (r0 * z0 / (mid + r0)) ** 2 + (z1 / (mid + 1.0)) ** 2 - 1.0
            lo, hi = np.where(g > 0, mid, lo), np.where(g > 0, hi, mid)
        t = 0.5 * (lo + hi)
        x0, x1 = r0 * u / (t + r0), v / (t + 1.0)
        out = np.hypot(x0 - u, x1 - v)
        return np.where(z0**2 + z1**2 <= 1.0, 0.0, out)

    def clearance(self, other: Ellipse, need: float = math.inf, n: int = SAMPLES) -> float:
        """A lower bound of the gap between two ellipses; negative if they overlap.

        Returns early with a cheaper (smaller) bound as soon as one exceeds `need`. See the module
        docstring for why the bound is conservative.
        """
        centres = math.hypot(self.x - other.x, self.y - other.y)
        if centres < min(self.a, self.b) + min(other.a, other.b):
            return -1.0  # the inscribed circles overlap
        far = centres - max(self.a, self.b) - max(other.a, other.b)
        if far > 0 and far > need:
            return far
        p, q = self.boundary(n), other.boundary(n)
        rp, rq = other.radius(p), self.radius(q)
        if (rp <= 1).any() or (rq <= 1).any():
            return -1.0
        half_step_p = math.pi * max(self.a, self.b) / n
        half_step_q = math.pi * max(other.a, other.b) / n
        # outside an ellipse, (r - 1) × its smaller semi-axis bounds the distance from below
        cheap = max(
            (rp.min() - 1) * min(other.a, other.b) - half_step_p,
            (rq.min() - 1) * min(self.a, self.b) - half_step_q,
            far,
        )
        if cheap > need:
            return float(cheap)
        return float(max(other.distance(p).min() - half_step_p, self.distance(q).min() - half_step_q))


def side_problem(e: Ellipse, width: float, height: float, gap: float = 0.0) -> str | None:
    """None if the ellipse is inside the box with more than `gap` to each side, else the side."""
    tol = 1e-9 * (width + height)  # touching up to rounding counts as touching
    for side, value in e.box_clearance(width, height).items():
        if value <= gap + tol:
            return side
    return None


def pair_problem(e: Ellipse, f: Ellipse, gap: float = 0.0) -> str | None:
    """None if e and f are more than gap apart (conservatively), else 'overlaps'/'is too close to'."""
    value = e.clearance(f, need=gap + 1e-9 * (e.a + f.a))
    if value < 0:
        return "overlaps"
    if value <= gap + 1e-9 * (e.a + f.a):
        return "touches or is too close to" if gap == 0 else "is closer than the minimum gap to"
    return None
