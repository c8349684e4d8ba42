"""VTK XML files that every ParaView, pyvista and meshio read: `.vtu` pieces and `.pvd` time series.

Written by hand (VTK XML file format, "UnstructuredGrid" and "Collection"; binary data base64-encoded
with UInt64 headers) so that no VTK library is needed to write results. Field data holds numbers
only: meshio 5.3 rejects VTK's String arrays, so names travel in the array names
(`region_id_<name>` = [id]) and in a JSON sidecar.

The dolfinx → arrays part gathers a function (or the mesh) on rank 0 with a global, rank-independent
numbering of its points, so a run on 1 or N ranks writes the same cells and points.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from xml.sax.saxutils import quoteattr

from sim._dolfinx import dolfinx

import numpy as np
from mpi4py import MPI

VTK_TYPES = {
    # (topological dimension, nodes per cell) → VTK cell type
    (1, 2): 3,  # VTK_LINE
    (1, 3): 21,  # VTK_QUADRATIC_EDGE
    (2, 3): 5,  # VTK_TRIANGLE
    (2, 6): 22,  # VTK_QUADRATIC_TRIANGLE
    (2, 4): 9,  # VTK_QUAD
    (2, 9): 28,  # VTK_BIQUADRATIC_QUAD
    (3, 4): 10,  # VTK_TETRA (the 3D box)
    (3, 10): 24,  # VTK_QUADRATIC_TETRA
}
_XML_TYPES = {
    np.dtype(np.float64): "Float64",
    np.dtype(np.float32): "Float32",
    np.dtype(np.int32): "Int32",
    np.dtype(np.int64): "Int64",
    np.dtype(np.uint8): "UInt8",
}


@dataclass
class Grid:
    """An unstructured grid on rank 0: points (n, 3) in metres, cells (m, k) node indices in VTK
    order, one VTK cell type, and named point/cell/field data."""

    points: np.ndarray
    cells: np.ndarray
    cell_type: int
    point_data: dict[str, np.ndarray] = field(default_factory=dict)
    cell_data: dict[str, np.ndarray] = field(default_factory=dict)
    field_data: dict[str, np.ndarray] = field(default_factory=dict)


def _data_array(name: str, values: np.ndarray, indent: str, tuples: bool = False) -> str:
    """One binary DataArray element (field data arrays also say their NumberOfTuples)."""
    values = np.ascontiguousarray(values)
    if values.dtype not in _XML_TYPES:
        values = values.astype(np.float64 if values.dtype.kind == "f" else np.int64)
    # scalars without NumberOfComponents (VTK's default 1): meshio then gives (n,), not (n, 1)
    components = "" if values.ndim == 1 else f' NumberOfComponents="{values.shape[1]}"'
    raw = values.tobytes()
    payload = base64.b64encode(np.uint64(len(raw)).tobytes() + raw).decode("ascii")
    count = f' NumberOfTuples="{len(values)}"' if tuples else ""
    return (
        f'{indent}<DataArray type="{_XML_TYPES[values.dtype]}" Name={quoteattr(name)}'
        f'{components}{count} format="binary">{payload}</DataArray>\n'
    )


def vtu_text(grid: Grid) -> str:
    """The .vtu (XML UnstructuredGrid) document of `grid`."""
    n_cells, nodes = grid.cells.shape
    parts = [
        '<?xml version="1.0"?>\n',
        '<VTKFile type="UnstructuredGrid" version="1.0" byte_order="LittleEndian" header_type="UInt64">\n',
        "  <UnstructuredGrid>\n",
    ]
    if grid.field_data:
        parts.append("    <FieldData>\n")
        for name, values in grid.field_data.items():
            parts.append(_data_array(name, np.atleast_1d(values), "      ", tuples=True))
        parts.append("    </FieldData>\n")
    parts.append(f'    <Piece NumberOfPoints="{len(grid.points)}" NumberOfCells="{n_cells}">\n')
    for tag, data in (("PointData", grid.point_data), ("CellData", grid.cell_data)):
        parts.append(f"      <{tag}>\n")
        for name, values in data.items():
            parts.append(_data_array(name, values, "        "))
        parts.append(f"      </{tag}>\n")
    parts.append("      <Points>\n")
    parts.append(_data_array("Points", np.asarray(grid.points, dtype=np.float64), "        "))
    parts.append("      </Points>\n      <Cells>\n")
    parts.append(_data_array("connectivity", grid.cells.astype(np.int64).ravel(), "        "))
    parts.append(_data_array("offsets", np.arange(1, n_cells + 1, dtype=np.int64) * nodes, "        "))
    parts.append(_data_array("types", np.full(n_cells, grid.cell_type, dtype=np.uint8), "        "))
    parts.append("      </Cells>\n    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n")
    return "".join(parts)


def pvd_text(steps: list[tuple[float, str]]) -> str:
    """The .pvd (XML Collection) document listing (time in s, relative .vtu path) per time step."""
    rows = "".join(f'    <DataSet timestep="{t!r}" part="0" file={quoteattr(f)}/>\n' for t, f in steps)
    return (
        '<?xml version="1.0"?>\n<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">\n'
        f"  <Collection>\n{rows}  </Collection>\n</VTKFile>\n"
    )


# -- dolfinx → Grid (collective; rank 0 gets the Grid, other ranks None) ---------------------------


def _owned_cells(mesh, dim: int) -> np.ndarray:
    return np.arange(mesh.topology.index_map(dim).size_local, dtype=np.int32)


def _gather(
    comm: MPI.Comm,
    global_ids: np.ndarray,
    coords: np.ndarray,
    values: np.ndarray | None,
    cells: np.ndarray,
    cell_values: dict[str, np.ndarray],
):
    """Gather owned points (by global id) and owned cells (in global ids) on rank 0."""
    pieces = comm.gather((global_ids, coords, values, cells, cell_values), root=0)
    if pieces is None:  # not rank 0
        return None
    ids = np.concatenate([p[0] for p in pieces])
    unique, inverse = np.unique(ids, return_inverse=True)
    points = np.zeros((len(unique), 3))
    points[inverse] = np.vstack([p[1] for p in pieces])
    point_values = None
    if pieces[0][2] is not None:
        stacked = np.concatenate([p[2] for p in pieces])
        point_values = np.zeros((len(unique), *stacked.shape[1:]), dtype=stacked.dtype)
        point_values[inverse] = stacked
    all_cells = np.searchsorted(unique, np.vstack([p[3] for p in pieces]))
    merged = {k: np.concatenate([p[4][k] for p in pieces]) for k in pieces[0][4]}
    return points, point_values, all_cells, merged


def _pad3(values: np.ndarray) -> np.ndarray:
    """Vectors as 3 components (what ParaView expects); scalars unchanged."""
    if values.ndim == 2 and values.shape[1] == 2:
        return np.hstack([values, np.zeros((len(values), 1))])
    return values[:, 0] if values.ndim == 2 and values.shape[1] == 1 else values


def function_grid(function, length_scale: float, cell_values: dict[str, np.ndarray]) -> Grid | None:
    """`function` as a Grid: Lagrange (continuous or discontinuous, degree ≥ 1) values at the points
    of its own dof layout, degree 0 as cell data on the geometry; coordinates × `length_scale` (m).
    `cell_values` are arrays over the local cells of the function's mesh (owned first)."""
    space = function.function_space
    mesh = space.mesh
    tdim = mesh.topology.dim
    owned = _owned_cells(mesh, tdim)
    bs = space.dofmap.index_map_bs
    local_cells = {k: np.asarray(v)[: len(owned)] for k, v in cell_values.items()}
    if space.element.basix_element.degree > 0:
        # vtk_mesh is a singledispatch function: the stubs see only its Mesh signature
        topology, _, x = dolfinx.plot.vtk_mesh(space, owned)  # type: ignore[arg-type]
        imap = space.dofmap.index_map
        values = function.x.array.reshape(-1, bs)
    else:
        topology, _, x = dolfinx.plot.vtk_mesh(mesh, tdim, owned)
        imap = mesh.geometry.index_map()
        local_cells[function.name] = function.x.array.reshape(-1, bs)[: len(owned)]
        values = None
    nodes = topology[0] if len(topology) else 0
    cells = topology.reshape(-1, nodes + 1)[:, 1:] if len(topology) else np.zeros((0, 0), np.int64)
    n_owned = imap.size_local
    global_ids = imap.local_to_global(np.arange(n_owned + imap.num_ghosts, dtype=np.int32))
    gathered = _gather(
        mesh.comm,
        global_ids[:n_owned],
        x[:n_owned] * length_scale,
        None if values is None else values[:n_owned],
        global_ids[cells] if cells.size else np.zeros((0, max(nodes, 1)), np.int64),
        local_cells,
    )
    if gathered is None:
        return None
    points, point_values, all_cells, merged = gathered
    grid = Grid(points, all_cells, VTK_TYPES[(tdim, all_cells.shape[1])])
    if point_values is not None:
        grid.point_data[function.name] = _pad3(point_values)
    grid.cell_data = {k: _pad3(v) for k, v in merged.items()}
    return grid


def entity_grid(
    mesh, dim: int, entities: np.ndarray, length_scale: float, cell_values: dict[str, np.ndarray]
) -> Grid | None:
    """The geometry of `entities` (owned, local indices) of dimension `dim` as a Grid in metres, with
    `cell_values` (one value per entity) as cell data (collective)."""
    mesh.topology.create_connectivity(dim, mesh.topology.dim)
    topology, _, x = dolfinx.plot.vtk_mesh(mesh, dim, entities)
    nodes = topology[0] if len(topology) else (2 if dim == 1 else 3)
    cells = topology.reshape(-1, nodes + 1)[:, 1:] if len(topology) else np.zeros((0, nodes), np.int64)
    imap = mesh.geometry.index_map()
    n_owned = imap.size_local
    global_ids = imap.local_to_global(np.arange(n_owned + imap.num_ghosts, dtype=np.int32))
    # ghost nodes of owned entities are owned elsewhere; send the coordinates of every node used
    used = np.unique(cells) if cells.size else np.zeros(0, np.int32)
    gathered = _gather(
        mesh.comm,
        global_ids[used],
        x[used] * length_scale,
        None,
        global_ids[cells] if cells.size else np.zeros((0, nodes), np.int64),
        cell_values,
    )
    if gathered is None:
        return None
    points, _, all_cells, merged = gathered
    return Grid(points, all_cells, VTK_TYPES[(dim, all_cells.shape[1])], cell_data=merged)
