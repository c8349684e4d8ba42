"""A failed Newton step says where its residual is largest (sim.timestep.largest_residual): the
unknown and the node's coordinates, in µm, for a scalar, a mixed and a vector sub-space, the same
on 1 and 2 ranks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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


FAILING = """
from sim._dolfinx import dolfinx
import ufl
from mpi4py import MPI
from sim.timestep import newton_solve
mesh = dolfinx.mesh.create_rectangle(MPI.COMM_WORLD, [[0.0, 0.0], [20.0, 10.0]], [8, 4])
V = dolfinx.fem.functionspace(mesh, ("Lagrange", 1))
u, v = dolfinx.fem.Function(V), ufl.TestFunction(V)
x = ufl.SpatialCoordinate(mesh)
F = (u**2 + 1 + ufl.exp(-((x[0] - 15) ** 2 + (x[1] - 5) ** 2))) * v * ufl.dx
opts = {"snes_max_it": 3, "ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
problem = dolfinx.fem.petsc.NonlinearProblem(F, u, petsc_options_prefix="w_", petsc_options=opts)
reason = newton_solve(problem, [u], ("c",), 1e-6).reason.partition("; largest")[2]
for each in MPI.COMM_WORLD.gather(reason) or []:  # rank 0 prints every rank's: no interleaving
    print("REASON", each, flush=True)
"""
"""(u² + 1 + a bump at (15, 5)) v = 0: no solution, the residual largest at the bump"""


def test_every_rank_names_the_same_place(mpiexec_path):
    root = Path(__file__).resolve().parents[2]
    lines = {}
    for ranks in (1, 2):
        argv = [sys.executable, "-c", FAILING]
        out = subprocess.run(
            [mpiexec_path, "-n", str(ranks), *argv], capture_output=True, text=True, timeout=120, cwd=root
        )
        lines[ranks] = sorted(line for line in out.stdout.splitlines() if line.startswith("REASON"))
    print(lines)
    assert lines[1] == ["REASON  residual |r| = 8.22 in c at (15, 5) µm"]
    assert lines[2] == lines[1] * 2
