"""file: an external 2D mesh (read and checked by sim.mesh_file) rebuilt as a discrete gmsh model,
so a run gets the bundle every builder gives: named physical groups → cell and facet tags."""

from __future__ import annotations

import numpy as np

from sim.mesh_file import BOUNDARY_TAG_OFFSET, read_mesh_file


def build(cfg, length_scale: float) -> dict[str, float]:
    """Rebuild the file's mesh as discrete gmsh entities with the mapped physical groups, in units
    of `length_scale`; returns no analytic areas (there are none for a file)."""
    import gmsh

    meshfile = read_mesh_file(cfg.path, cfg.unit, cfg.tag_array)
    used = np.unique(meshfile.triangles)
    renumber = np.full(len(meshfile.points), -1, np.int64)
    renumber[used] = np.arange(1, used.size + 1)
    coords = np.zeros((used.size, 3))
    coords[:, :2] = meshfile.points[used] / length_scale
    nodes_on = None
    for tag, (name, key) in enumerate(cfg.regions.items(), start=1):
        entity = gmsh.model.addDiscreteEntity(2)
        if nodes_on is None:
            gmsh.model.mesh.addNodes(2, entity, np.arange(1, used.size + 1), coords.ravel())
            nodes_on = entity
        cells = meshfile.triangles[meshfile.groups[key][2]]
        first = gmsh.model.mesh.getMaxElementTag() + 1
        tags = np.arange(first, first + len(cells))
        gmsh.model.mesh.addElementsByType(entity, 2, tags, renumber[cells].ravel())
        gmsh.model.addPhysicalGroup(2, [entity], tag, name=name)
    for tag, (name, key) in enumerate(cfg.boundaries.items(), start=BOUNDARY_TAG_OFFSET + 1):
        entity = gmsh.model.addDiscreteEntity(1)
        lines = meshfile.lines[meshfile.groups[key][1]]
        first = gmsh.model.mesh.getMaxElementTag() + 1
        tags = np.arange(first, first + len(lines))
        gmsh.model.mesh.addElementsByType(entity, 1, tags, renumber[lines].ravel())
        gmsh.model.addPhysicalGroup(1, [entity], tag, name=name)
    return {}
