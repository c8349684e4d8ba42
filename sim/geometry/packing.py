"""Random sequential packing of non-overlapping ellipses and circular pores (pure numpy).

Deterministic for a seed (numpy Generator). Overlap and gap tests use `Ellipse.clearance`, a
conservative lower bound of the gap (see sim.config.geometry).
"""

from __future__ import annotations

import math

import numpy as np

from sim.config.geometry import Packing, RandomPores
from sim.config.shapes import Ellipse
from sim.geometry.common import GeometryError


def _sizes(p: Packing, target_area: float, rng: np.random.Generator) -> list[tuple[float, float]]:
    """Semi-axes drawn until their area reaches the target, then scaled to meet it exactly."""
    lo = p.semi_axes
    hi = p.semi_axes_max or p.semi_axes
    sizes: list[tuple[float, float]] = []
    total = 0.0
    while total < target_area:
        a, b = rng.uniform(lo[0], hi[0]), rng.uniform(lo[1], hi[1])
        sizes.append((a, b))
        total += math.pi * a * b
    last = math.pi * sizes[-1][0] * sizes[-1][1]
    if len(sizes) > 1 and abs(total - last - target_area) < abs(total - target_area):
        sizes.pop()
        total -= last
    factor = math.sqrt(target_area / total)
    return sorted(((a * factor, b * factor) for a, b in sizes), key=lambda ab: -ab[0] * ab[1])


def _place(
    candidates,
    placed: list[Ellipse],
    width: float,
    height: float,
    gap: float,
    attempts: int,
    rng: np.random.Generator,
    what: str,
) -> Ellipse:
    """Try random positions for one ellipse until it is `gap` clear of the box and of `placed`."""
    centres = np.array([(e.x, e.y) for e in placed]).reshape(-1, 2)
    reach = np.array([max(e.a, e.b) for e in placed])
    for _ in range(attempts):
        e = candidates()
        hx, hy = e.extents
        if 2 * (hx + gap) >= width or 2 * (hy + gap) >= height:
            raise GeometryError(
                f"{what} (extent {2 * hx * 1e6:.3g} × {2 * hy * 1e6:.3g} µm plus gap) does not fit in the box"
            )
        x = rng.uniform(hx + gap, width - hx - gap)
        y = rng.uniform(hy + gap, height - hy - gap)
        e = Ellipse(x, y, e.a, e.b, e.angle)
        near = np.hypot(centres[:, 0] - x, centres[:, 1] - y) <= reach + max(e.a, e.b) + gap
        if all(e.clearance(placed[i], need=gap) > gap for i in np.flatnonzero(near)):
            return e
    raise GeometryError(f"could not place {what} after {attempts} random attempts")


def pack_ellipses(
    p: Packing, width: float, height: float, avoid: list[Ellipse] | None = None, what: str = "packing"
) -> list[Ellipse]:
    """Ellipses covering p.volume_fraction of the box, at least p.min_gap apart and from the sides
    (and from the ellipses `avoid`, placed before: a second phase packed around the first)."""
    rng = np.random.default_rng(p.seed)
    sizes = _sizes(p, p.volume_fraction * width * height, rng)
    first = list(avoid or [])
    placed: list[Ellipse] = list(first)
    for i, (a, b) in enumerate(sizes):

        def candidate(a=a, b=b) -> Ellipse:
            angle = rng.uniform(0, math.pi) if p.angle_deg is None else math.radians(p.angle_deg)
            return Ellipse(0.0, 0.0, a, b, angle)

        try:
            placed.append(
                _place(
                    candidate,
                    placed,
                    width,
                    height,
                    p.gap,
                    p.max_attempts,
                    rng,
                    f"particle {i + 1} of {len(sizes)}",
                )
            )
        except GeometryError as exc:
            raise GeometryError(
                f"geometry.{what}: cannot reach volume_fraction {p.volume_fraction:g}: {exc}; "
                "lower volume_fraction or min_gap, or use smaller particles"
            ) from None
    return placed[len(first) :]


def place_pores(r: RandomPores, particles: list[Ellipse], width: float, height: float) -> list[Ellipse]:
    """r.count circles of r.radius placed at random, r.min_gap clear of particles, each other and
    the box sides."""
    rng = np.random.default_rng(r.seed)
    placed = list(particles)
    for i in range(r.count):
        try:
            placed.append(
                _place(
                    lambda: Ellipse(0.0, 0.0, r.radius, r.radius),
                    placed,
                    width,
                    height,
                    r.gap,
                    r.max_attempts,
                    rng,
                    f"pore {i + 1} of {r.count}",
                )
            )
        except GeometryError as exc:
            raise GeometryError(
                f"geometry.pores: {exc}; use fewer or smaller pores, or a smaller min_gap"
            ) from None
    return placed[len(particles) :]
