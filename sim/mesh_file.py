"""Reading external 2D meshes (.msh, .vtu, .inp, .med) with meshio and mapping their groups to
regions and boundaries (used by config validation and by the `file` geometry builder,
sim.geometry.file, which rebuilds the mesh as a discrete gmsh model).

Groups are read from what each format keeps:
- gmsh `.msh`: physical names (meshio `field_data` {name: [tag, dim]} + cell data `gmsh:physical`);
- Abaqus `.inp` (and `.msh`): element sets (meshio `cell_sets`);
- Salome `.med`: groups of families (meshio `cell_tags` {family: [group names]} + cell data `cell_tags`);
- any format with an integer cell-data array (`gmsh:physical`, `cell_tags`, `medit:ref`, or the one
  named by `geometry.tag_array`): numbered groups, mapped by number (`.vtu` keeps no names).
Triangles (3-node) are the cells, lines (2-node) the boundary facets; both must be counter-clockwise
(positive area) and in one plane z = const.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FORMATS = {".msh": "gmsh", ".vtu": "vtu", ".inp": "abaqus", ".med": "med"}
"""file suffix → meshio format"""
UNITS = {"m": 1.0, "mm": 1e-3, "um": 1e-6}
"""allowed `geometry.unit` values → metres per file coordinate unit"""
TAG_ARRAYS = ("gmsh:physical", "cell_tags", "medit:ref")
"""integer cell-data arrays looked for (in this order) when `geometry.tag_array` is not set"""
EXTENT_M = (1e-9, 0.1)
"""a domain smaller than 1 nm or larger than 10 cm is taken as a wrong `geometry.unit`"""
CELL_DIM = {"line": 1, "triangle": 2}
SOLID = ("tetra", "hexahedron", "wedge", "pyramid", "tetra10", "hexahedron20", "hexahedron27", "wedge15")
BOUNDARY_TAG_OFFSET = 100
"""boundary tags are 101, 102, … and region tags 1, 2, … (as the gmsh builders number them)"""

GroupKey = str | int


class MeshFileError(ValueError):
    """A mesh file that cannot serve as a 2D geometry (reported as a config error, exit 2)."""


@dataclass(frozen=True)
class MeshFile:
    """A 2D mesh in metres with its groups: key → {dim: indices into `triangles` (2) or `lines` (1)}."""

    path: Path
    points: np.ndarray
    """(n, 2) coordinates, m"""
    triangles: np.ndarray
    """(n_t, 3) point indices, counter-clockwise"""
    lines: np.ndarray
    """(n_l, 2) point indices"""
    groups: dict[GroupKey, dict[int, np.ndarray]] = field(default_factory=dict)

    def named(self, dim: int) -> list[str]:
        """Names of the groups that have cells of dimension `dim`."""
        return [k for k, v in self.groups.items() if isinstance(k, str) and dim in v]

    def describe(self, dim: int) -> str:
        keys = [str(k) for k, v in self.groups.items() if dim in v]
        return ", ".join(keys) or "(none)"


def _cell_types(mesh) -> list[tuple[int, int, np.ndarray]]:
    """(block index, dim, connectivity) of the triangle and line blocks (vertex cells are skipped).
    Raises for cells this geometry kind cannot use."""
    kept = []
    types = sorted({block.type for block in mesh.cells})
    solid = [t for t in types if t in SOLID]
    if solid:
        raise MeshFileError(
            f"the mesh is 3D ({', '.join(solid)} cells): geometry kind file needs a 2D mesh of triangles"
        )
    for i, block in enumerate(mesh.cells):
        if block.type in CELL_DIM:
            kept.append((i, CELL_DIM[block.type], np.asarray(block.data, dtype=np.int64)))
        elif block.type != "vertex":
            raise MeshFileError(
                f"{block.type} cells are not supported: geometry kind file reads 3-node triangles "
                "(cells) and 2-node lines (boundaries)"
            )
    if not any(dim == 2 for _, dim, _ in kept):
        raise MeshFileError(
            f"the mesh has no 2D cells (only {', '.join(types) or 'no cells'}): "
            "geometry kind file needs triangles"
        )
    return kept


def _add(groups: dict, key: GroupKey, dim: int, indices: np.ndarray) -> None:
    if not len(indices):
        return
    per_dim = groups.setdefault(key, {})
    per_dim[dim] = np.union1d(per_dim.get(dim, np.zeros(0, np.int64)), indices).astype(np.int64)


def _groups(mesh, blocks: list, tag_array: str | None) -> dict[GroupKey, dict[int, np.ndarray]]:
    """Every named and numbered group of the file, as indices into the stacked triangles/lines."""
    offset, start = {1: 0, 2: 0}, {}
    for i, dim, conn in blocks:
        start[i] = (dim, offset[dim])
        offset[dim] += len(conn)
    groups: dict[GroupKey, dict[int, np.ndarray]] = {}

    def cells_where(array_name: str, value: int) -> dict[int, np.ndarray]:
        out: dict[int, list] = {}
        for i, (dim, first) in start.items():
            values = np.asarray(mesh.cell_data[array_name][i])
            out.setdefault(dim, []).append(first + np.flatnonzero(values == value))
        return {d: np.concatenate(v) for d, v in out.items()}

    if tag_array is not None and tag_array not in mesh.cell_data:
        raise MeshFileError(
            f"the file has no cell-data array '{tag_array}' (arrays: {', '.join(mesh.cell_data) or 'none'})"
        )
    if "gmsh:physical" in mesh.cell_data:  # physical names: {name: [tag, dim]}
        for name, (tag, dim) in ((n, v[:2]) for n, v in mesh.field_data.items() if len(v) >= 2):
            if int(dim) in (1, 2):
                indices = cells_where("gmsh:physical", int(tag)).get(int(dim))
                if indices is not None:
                    _add(groups, name, int(dim), indices)
    for name, per_block in (mesh.cell_sets or {}).items():  # element sets
        if name.startswith("gmsh:"):
            continue
        for i, indices in enumerate(per_block):
            if i in start and indices is not None and len(indices):
                dim, first = start[i]
                _add(groups, name, dim, first + np.asarray(indices, dtype=np.int64))
    families = getattr(mesh, "cell_tags", None) or {}
    if families and "cell_tags" in mesh.cell_data:  # med: family → group names
        for family, names in families.items():
            for dim, indices in cells_where("cell_tags", family).items():
                for name in names:
                    _add(groups, name, dim, indices)
    numbers = tag_array or next((a for a in TAG_ARRAYS if a in mesh.cell_data), None)
    if numbers is not None:
        for i, (dim, first) in start.items():
            values = np.asarray(mesh.cell_data[numbers][i]).astype(np.int64).ravel()
            for value in np.unique(values):
                _add(groups, int(value), dim, first + np.flatnonzero(values == value))
    return groups


def _read(path: Path, fmt: str):
    import meshio

    quiet = io.StringIO()
    try:
        with contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            return meshio.read(path, file_format=fmt)
    except (Exception, SystemExit) as exc:  # meshio raises many kinds, and exits on some files
        said = quiet.getvalue().strip() if isinstance(exc, SystemExit) else str(exc).strip()
        detail = said.splitlines()[-1].removeprefix("Error: ") if said else type(exc).__name__
        raise MeshFileError(f"cannot read the file as a {fmt} mesh (meshio: {detail})") from None


def read_mesh_file(path: str | Path, unit: str = "m", tag_array: str | None = None) -> MeshFile:
    """Read and check a mesh file (cached while the file is unchanged); raises MeshFileError."""
    path = Path(path)
    if not path.is_file():
        raise MeshFileError(f"mesh file not found: {path}")
    stat = os.stat(path)
    return _read_cached(path.resolve(), stat.st_mtime_ns, stat.st_size, unit, tag_array)


@functools.lru_cache(maxsize=4)
def _read_cached(path: Path, mtime_ns: int, size: int, unit: str, tag_array: str | None) -> MeshFile:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise MeshFileError(f"unsupported mesh format '{path.suffix}' (known: {', '.join(FORMATS)})")
    mesh = _read(path, fmt)
    blocks = _cell_types(mesh)
    points = np.asarray(mesh.points, dtype=np.float64)
    if points.shape[1] == 3:
        z = points[:, 2]
        span = float(np.ptp(points[:, :2], axis=0).max())
        if float(np.ptp(z)) > 1e-9 * span:
            raise MeshFileError(
                f"the points are not in one plane z = const (z spans {np.ptp(z):.3g} {unit}): "
                "geometry kind file needs a 2D mesh"
            )
    points = points[:, :2] * UNITS[unit]
    extent = float(np.ptp(points, axis=0).max())
    if not EXTENT_M[0] <= extent <= EXTENT_M[1]:
        guess = "µm or mm" if extent > EXTENT_M[1] else "m"
        raise MeshFileError(
            f"the mesh spans {extent:.3g} m with geometry.unit '{unit}', outside "
            f"{EXTENT_M[0]:g}–{EXTENT_M[1]:g} m: is the file in {guess}? set geometry.unit (m, mm, um)"
        )
    triangles = np.vstack([c for _, d, c in blocks if d == 2])
    lines = np.vstack([c for _, d, c in blocks if d == 1]) if any(d == 1 for _, d, _ in blocks) else None
    lines = lines if lines is not None else np.zeros((0, 2), np.int64)
    p = points[triangles]
    twice_area = (p[:, 1, 0] - p[:, 0, 0]) * (p[:, 2, 1] - p[:, 0, 1]) - (p[:, 2, 0] - p[:, 0, 0]) * (
        p[:, 1, 1] - p[:, 0, 1]
    )
    bad = np.flatnonzero(twice_area <= 0)
    if bad.size:
        raise MeshFileError(
            f"{bad.size} of {len(triangles)} triangles are inverted or flat (clockwise node order, area ≤ 0; "
            f"first: triangle {bad[0]}, nodes {triangles[bad[0]].tolist()}): reorder their nodes "
            "counter-clockwise"
        )
    return MeshFile(path, points, triangles, lines, _groups(mesh, blocks, tag_array))


def map_groups(meshfile: MeshFile, mapping: dict[str, GroupKey], dim: int) -> dict[str, GroupKey]:
    """Check a region (dim 2) or boundary (dim 1) mapping {name: file group}; the default maps
    every named group of that dimension to itself. Raises MeshFileError naming the problem."""
    what = "region" if dim == 2 else "boundary"
    if not mapping:
        mapping = {name: name for name in meshfile.named(dim)}
    for name, key in mapping.items():
        if key not in meshfile.groups or dim not in meshfile.groups[key]:
            other = key in meshfile.groups
            raise MeshFileError(
                f"{what} '{name}': the file has no {'2D' if dim == 2 else 'line'} group {key!r}"
                + (" (it is a group of the other dimension)" if other else "")
                + f"; its {'2D' if dim == 2 else 'line'} groups: {meshfile.describe(dim)}"
            )
    if dim == 2:
        if not mapping:
            raise MeshFileError(
                f"the file has no named 2D groups; map regions to group numbers: {meshfile.describe(2)}"
            )
        count = np.zeros(len(meshfile.triangles), np.int64)
        for key in mapping.values():
            count[meshfile.groups[key][2]] += 1
        if (count == 0).any():
            raise MeshFileError(
                f"{int((count == 0).sum())} of {len(count)} triangles belong to none of the regions "
                f"({', '.join(map(str, mapping.values()))}); map every 2D group"
            )
        if (count > 1).any():
            raise MeshFileError(
                f"{int((count > 1).sum())} triangles belong to more than one region "
                f"({', '.join(map(str, mapping.values()))}; e.g. a set of all elements): "
                "map the regions explicitly under geometry.regions"
            )
    else:
        missing = [n for n in ("anode", "cathode") if n not in mapping]
        if missing:
            raise MeshFileError(
                f"no {' and no '.join(missing)} boundary: the file's line groups are "
                f"{meshfile.describe(1)}; map them under geometry.boundaries (e.g. anode: <group>)"
            )
        edges = np.sort(meshfile.triangles[:, [0, 1, 1, 2, 2, 0]].reshape(-1, 2), axis=1)
        known = set(map(tuple, edges.tolist()))
        for name, key in mapping.items():
            lines = np.sort(meshfile.lines[meshfile.groups[key][1]], axis=1)
            stray = sum(tuple(edge) not in known for edge in lines.tolist())
            if stray:
                raise MeshFileError(f"boundary '{name}': {stray} of its lines are not edges of the triangles")
    return dict(mapping)
