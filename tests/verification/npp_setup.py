"""Small NPP problems on DOLFINx built-in meshes, for the verification tests."""

from types import SimpleNamespace

from sim._dolfinx import dolfinx

import numpy as np
from mpi4py import MPI

from sim.config.npp import NppPhysics
from sim.config.physics import SolverConfig
from sim.materials import Transport
from sim.physics.npp import NppProblem
from sim.physics.npp_forms import Scales


def tags(mesh, dim, marker_by_tag):
    """MeshTags of dimension `dim` from {tag: marker(x)}."""
    entities, values = [], []
    for tag, marker in marker_by_tag.items():
        found = dolfinx.mesh.locate_entities(mesh, dim, marker)
        entities.append(found)
        values.append(np.full(found.size, tag, dtype=np.int32))
    entities, values = np.concatenate(entities), np.concatenate(values)
    order = np.argsort(entities)
    return dolfinx.mesh.meshtags(mesh, dim, entities[order], values[order])


def interval_bundle(length: float, n: int, grading=None, comm=MPI.COMM_WORLD, length_scale=1e-6):
    """[0, length] in n cells (x mapped by `grading(s)`, s ∈ [0, 1], if given): anode at x = 0."""
    mesh = dolfinx.mesh.create_interval(comm, n, [0.0, 1.0])
    s = mesh.geometry.x[:, 0].copy()
    mesh.geometry.x[:, 0] = length * (grading(s) if grading is not None else s)
    tdim = 1
    cells = tags(mesh, tdim, {1: lambda x: np.full(x.shape[1], True)})
    facets = tags(mesh, 0, {1: lambda x: np.isclose(x[0], 0.0), 2: lambda x: np.isclose(x[0], length)})
    return SimpleNamespace(
        mesh=mesh,
        cell_tags=cells,
        facet_tags=facets,
        regions={"electrolyte": 1},
        boundaries={"anode": 1, "cathode": 2},
        length_scale=length_scale,
    )


def box_bundle(n: int, comm=MPI.COMM_WORLD):
    """Unit square, `lower` (y < 0.5) and `upper` regions, anode y = 0, cathode y = 1, walls."""
    mesh = dolfinx.mesh.create_unit_square(comm, n, n, ghost_mode=dolfinx.mesh.GhostMode.shared_facet)
    cells = tags(mesh, 2, {1: lambda x: x[1] <= 0.5 + 1e-12})  # lower
    lower = set(cells.indices.tolist())
    n_cells = mesh.topology.index_map(2).size_local + mesh.topology.index_map(2).num_ghosts
    values = np.array([1 if c in lower else 2 for c in range(n_cells)], dtype=np.int32)
    cells = dolfinx.mesh.meshtags(mesh, 2, np.arange(n_cells, dtype=np.int32), values)
    facets = tags(
        mesh,
        1,
        {
            1: lambda x: np.isclose(x[1], 0.0),
            2: lambda x: np.isclose(x[1], 1.0),
            3: lambda x: np.isclose(x[0], 0.0) | np.isclose(x[0], 1.0),
        },
    )
    return SimpleNamespace(
        mesh=mesh,
        cell_tags=cells,
        facet_tags=facets,
        regions={"lower": 1, "upper": 2},
        boundaries={"anode": 1, "cathode": 2, "walls": 3},
        length_scale=1e-6,
    )


def props(d_cation, d_anion, fixed_fraction=0.0, c0=1000.0, eps_r=5.0):
    """A Transport with given diffusivities (σ and t⁺ consistent by Nernst–Einstein, not used)."""
    t = d_cation / (d_cation + d_anion * (1 - fixed_fraction))
    return Transport(0.0, t, c0, d_cation, d_anion, fixed_fraction, eps_r)


def problem(bundle, physics: dict, materials: dict[str, Transport], scales: Scales | None = None):
    """An NppProblem for `physics` (NppPhysics fields) and region → Transport."""
    config = SimpleNamespace(
        physics=NppPhysics.model_validate({"kind": "npp"} | physics),
        solver=SolverConfig(rtol=1e-12, atol=1e-13),
        materials=materials,
    )
    first = next(iter(materials.values()))
    scales = scales or Scales(
        bundle.length_scale,
        first.salt_concentration,
        max(m.d_cation for m in materials.values()),
        config.physics.temperature,
    )
    return NppProblem(config, bundle, scales, materials)
