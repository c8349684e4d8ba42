"""DOLFINx functions → one pyvista UnstructuredGrid in SI coordinates (for the Python API).

The grid is the mesh of `dolfinx.plot.vtk_mesh` for degree-1 Lagrange, continuous (P1, shared
points) or, when a field is discontinuous of degree ≥ 1, discontinuous (DG1, each cell its own
points, so jumps stay jumps); its points are scaled from mesh units (µm) to m by the bundle's
`length_scale`. Cell-wise constant fields (DG0) become cell data; every other field is interpolated
into that degree-1 space (exact for degree-1 fields, nodal values for higher degrees) and becomes
point data; 2-vectors are padded to 3 components (VTK's vectors). The cell data `region_id` holds
the region tags, field data `region_names` and `region_ids` their names.
"""

from __future__ import annotations

from typing import Any

from sim._dolfinx import dolfinx

import numpy as np


def _values(function, space) -> np.ndarray:
    """(n, components) values of `function` interpolated into `space` (exact for P1 functions)."""
    target = dolfinx.fem.Function(space)
    target.interpolate(function)
    values = target.x.array.reshape(-1, space.dofmap.index_map_bs)
    if values.shape[1] == 2:
        values = np.column_stack([values, np.zeros(len(values))])
    return values if values.shape[1] > 1 else values[:, 0]


def functions_to_pyvista(functions: dict[str, Any], bundle) -> Any:
    """A pyvista UnstructuredGrid (m) with `functions` as named arrays; all on one mesh."""
    import pyvista as pv

    fem = dolfinx.fem
    meshes = {id(f.function_space.mesh) for f in functions.values()}
    if len(meshes) > 1:
        raise ValueError(f"fields {', '.join(functions)} live on different meshes; ask for them separately")
    mesh = next(iter(functions.values())).function_space.mesh if functions else bundle.mesh
    jumps = any(
        f.function_space.element.basix_element.discontinuous and f.function_space.element.basix_element.degree
        for f in functions.values()
    )
    family = "DG" if jumps else "Lagrange"
    # vtk_mesh is a singledispatch function: the stubs see only its Mesh signature
    topology, cell_types, x = dolfinx.plot.vtk_mesh(fem.functionspace(mesh, (family, 1)))  # type: ignore[arg-type]
    grid = pv.UnstructuredGrid(topology, cell_types, x * bundle.length_scale)
    for name, f in functions.items():
        space = f.function_space
        shape = space.value_shape
        element = space.element.basix_element
        if element.degree == 0 and element.discontinuous:
            cells = space.dofmap.list[:, 0]
            values = f.x.array.reshape(-1, space.dofmap.index_map_bs)[cells]
            grid.cell_data[name] = values if values.shape[1] > 1 else values[:, 0]
        else:
            grid.point_data[name] = _values(f, fem.functionspace(mesh, (family, 1, shape)))
    if mesh is bundle.mesh:
        region = np.zeros(grid.n_cells, dtype=np.int32)
        region[bundle.cell_tags.indices] = bundle.cell_tags.values
        grid.cell_data["region_id"] = region
        grid.field_data["region_names"] = list(bundle.regions)
        grid.field_data["region_ids"] = np.array(list(bundle.regions.values()), dtype=np.int32)
    return grid
