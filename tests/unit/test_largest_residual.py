"""A failed Newton step says where its residual is largest (sim.timestep.largest_residual): the
unknown and the node's coordinates, in µm, for a scalar, a mixed and a vector sub-space."""

from __future__ import annotations

from sim._dolfinx import dolfinx

import basix.ufl
import numpy as np
import pytest
import ufl
from mpi4py import MPI

from sim.timestep import largest_residual, newton_solve

fem = dolfinx.fem


def _mesh():
    """20 × 10 mesh units (µm with length_scale 1e-6)."""
    return dolfinx.mesh.create_rectangle(MPI.COMM_WORLD, [[0.0, 0.0], [20.0, 10.0]], [4, 2])


@pytest.mark.parametrize("sub,component", [(0, 0), (1, 1)])
def test_names_the_unknown_and_its_node(sub, component):
    mesh = _mesh()
    P1 = basix.ufl.element("Lagrange", "triangle", 1)
    P1v = basix.ufl.element("Lagrange", "triangle", 1, shape=(2,))
    W = fem.functionspace(mesh, basix.ufl.mixed_element([P1, P1v]))
    u = fem.Function(W)
    collapsed, parent = W.sub(sub).collapse()
    parent = np.asarray(parent).ravel()
    bs = collapsed.dofmap.index_map_bs
    node = int(np.argmin(np.linalg.norm(collapsed.tabulate_dof_coordinates()[:, :2] - [15.0, 5.0], axis=1)))
    residual = np.full(W.dofmap.index_map.size_local * W.dofmap.index_map_bs, 1e-3)
    residual[parent[node * bs + component]] = -7.0
    message = largest_residual(residual, u, ("c", "u"), 1e-6)
    assert message == f"largest residual |r| = 7 in {'cu'[sub]} at (15, 5) µm", message


def test_a_failed_solve_reports_it():
    """(u² + 1) v = 0 has no real solution: Newton fails, and the reason locates the residual."""
    mesh = _mesh()
    V = fem.functionspace(mesh, ("Lagrange", 1))
    u, v = fem.Function(V), ufl.TestFunction(V)
    x = ufl.SpatialCoordinate(mesh)
    residual = (u**2 + 1 + x[0]) * v * ufl.dx
    options = {"snes_max_it": 5, "ksp_type": "preonly", "pc_type": "lu"}
    problem = fem.petsc.NonlinearProblem(residual, u, petsc_options_prefix="where_", petsc_options=options)
    outcome = newton_solve(problem, [u], ("c",), 1e-6)
    assert not outcome.converged
    assert "Newton diverged" in outcome.reason and "largest residual |r| = " in outcome.reason
    assert " in c at (" in outcome.reason and outcome.reason.endswith(") µm"), outcome.reason
    assert "largest residual" not in newton_solve(problem, [u]).reason  # no names, no search
