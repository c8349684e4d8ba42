"""What every geometry kind shares: reserved boundary names, mesh options and the base class."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, model_validator

from sim.config.base import Length, Strict
from sim.config.geometry.cells import estimate_cells
from sim.config.shapes import fmt_length

RESERVED_NAMES = ("anode", "cathode", "walls")
DEFAULT_MAX_CELLS = 1_000_000
"""default `geometry.mesh.max_cells`"""
Point = tuple[float, float]


class MeshOptions(Strict):
    """Element sizes. Unset sizes are filled in from the domain size when the geometry is validated."""

    size: Length | None = None
    """largest element size, far from electrodes and interfaces, m (default: min(width, height)/10)"""
    min_size: Length | None = None
    """element size at the electrodes and internal interfaces, m (default: size/4)"""
    refine_distance: Length | None = None
    """distance over which the size grows from min_size to size, m (default: 2 size)"""
    curve_segments: int = Field(default=150, ge=8, le=10000)
    """elements per full turn on curved boundaries: where the radius of curvature is ρ the element
    size is at most 2πρ/curve_segments (150: area error of a disc ≈ 3e-4, of a 2:1 ellipse ≈ 6e-4)"""
    max_cells: int = Field(default=DEFAULT_MAX_CELLS, gt=0, le=10**9)
    """refuse (at validation, before gmsh runs) sizes whose estimated triangle count exceeds this
    (sim.config.geometry.cells: area/size² plus the min_size bands, on the high side)"""
    order: Literal[1, 2] = 1
    """polynomial order of the mesh geometry (2: curved boundaries follow the CAD more closely)"""

    @model_validator(mode="after")
    def _check_sizes(self) -> MeshOptions:
        if self.size is not None and self.min_size is not None and self.min_size > self.size:
            raise ValueError(
                f"min_size ({fmt_length(self.min_size)}) is larger than size ({fmt_length(self.size)})"
            )
        return self

    def filled(self, reference: float) -> MeshOptions:
        """A copy with unset sizes derived from a reference length of the domain (m)."""
        size = self.size if self.size is not None else max(reference / 10, self.min_size or 0.0)
        min_size = self.min_size if self.min_size is not None else size / 4
        refine = self.refine_distance if self.refine_distance is not None else 2 * size
        return self.model_copy(update={"size": size, "min_size": min_size, "refine_distance": refine})

    def sizes(self) -> tuple[float, float, float]:
        """(size, min_size, refine_distance) in m, as filled in when the geometry was validated."""
        if self.size is None or self.min_size is None or self.refine_distance is None:
            raise ValueError("mesh sizes are used before the geometry section filled them in")
        return self.size, self.min_size, self.refine_distance


class GeometryBase(Strict):
    """Common part: fills in the mesh defaults so the resolved config shows the numbers used.

    Each kind declares `mesh: MeshOptions` as its last field (so `kind` stays first in dumps).
    """

    if TYPE_CHECKING:  # declared by each kind as its last field, seen here by the type checker only
        mesh: MeshOptions

    def _reference_length(self) -> float:
        raise NotImplementedError

    def cell_problem(self) -> str | None:
        """Why the sizes would give more than mesh.max_cells triangles (estimated), or None."""
        estimate = estimate_cells(self)
        mesh = self.mesh
        if estimate <= mesh.max_cells:
            return None
        size, min_size, _ = mesh.sizes()
        return (
            f"the mesh would have about {estimate:.3g} cells (estimated from size {fmt_length(size)}, "
            f"min_size {fmt_length(min_size)} and the domain), more than max_cells = {mesh.max_cells}: "
            "use larger sizes or raise geometry.mesh.max_cells"
        )

    @model_validator(mode="after")
    def _fill_mesh(self) -> GeometryBase:
        m = self.mesh
        if m.size is None or m.min_size is None or m.refine_distance is None:
            self.mesh = m.filled(self._reference_length())  # re-validated; second pass is a no-op
        return self
