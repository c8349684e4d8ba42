"""solver.newton and solver.krylov reach PETSc: each key changes the tolerance or limit that the
SNES / KSP actually use (read back from the solver objects the models build with petsc_options)."""

from __future__ import annotations

from sim._dolfinx import dolfinx

import pytest
import ufl
from mpi4py import MPI

from sim.config.physics import SolverConfig
from sim.solve import petsc_options

fem = dolfinx.fem


def _space():
    mesh = dolfinx.mesh.create_unit_square(MPI.COMM_WORLD, 4, 4)
    return fem.functionspace(mesh, ("Lagrange", 1))


KEEP: list = []
"""the problems stay alive while their solvers are read (a problem destroys its solver when freed)"""


def snes_and_ksp(solver: SolverConfig, preconditioner: str = "gamg"):
    """The SNES and its KSP of a small nonlinear problem built as npp/phasefield build theirs."""
    V = _space()
    u, v = fem.Function(V), ufl.TestFunction(V)
    F = ((1 + u**2) * ufl.inner(ufl.grad(u), ufl.grad(v)) + u * v - v) * ufl.dx
    problem = fem.petsc.NonlinearProblem(
        F,
        u,
        petsc_options_prefix="t_snes_",
        petsc_options=petsc_options(solver, symmetric=False, nonlinear=True, preconditioner=preconditioner),
    )
    KEEP.append(problem)
    return problem.solver, problem.solver.getKSP()


def linear_ksp(solver: SolverConfig):
    """The KSP of a linear problem built as conduction builds its own."""
    V = _space()
    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    problem = fem.petsc.LinearProblem(
        ufl.inner(ufl.grad(u), ufl.grad(v)) * ufl.dx + u * v * ufl.dx,
        v * ufl.dx,
        petsc_options_prefix="t_ksp_",
        petsc_options=petsc_options(solver),
    )
    KEEP.append(problem)
    return problem.solver


@pytest.mark.parametrize(
    "key,value,index",
    [("rtol", 1e-5, 0), ("atol", 1e-7, 1), ("max_iterations", 7, 3)],
)
def test_each_newton_key_reaches_the_snes(key, value, index):
    default = snes_and_ksp(SolverConfig())[0].getTolerances()
    snes, _ = snes_and_ksp(SolverConfig.model_validate({"newton": {key: value}}))
    got = snes.getTolerances()  # (rtol, atol, stol, max_it)
    assert got[index] == pytest.approx(value) and got[index] != default[index]
    assert [g for i, g in enumerate(got) if i != index] == [d for i, d in enumerate(default) if i != index]


@pytest.mark.parametrize("key,value,index", [("rtol", 1e-4, 0), ("atol", 1e-9, 1), ("max_iterations", 33, 3)])
def test_each_krylov_key_reaches_the_ksp(key, value, index):
    base = {"preset": "iterative"}
    for build in (linear_ksp, lambda s: snes_and_ksp(s)[1]):
        default = build(SolverConfig.model_validate(base)).getTolerances()  # (rtol, atol, divtol, max_it)
        got = build(SolverConfig.model_validate(base | {"krylov": {key: value}})).getTolerances()
        assert got[index] == pytest.approx(value) and got[index] != default[index]


def test_krylov_defaults_linear_and_inside_newton():
    iterative = SolverConfig(preset="iterative")
    assert linear_ksp(iterative).getTolerances()[0] == pytest.approx(1e-10)
    snes, ksp = snes_and_ksp(iterative)
    assert ksp.getTolerances()[0] == pytest.approx(1e-8) and ksp.getTolerances()[3] == 1000
    assert snes.getTolerances()[0] == pytest.approx(1e-10) and snes.getTolerances()[3] == 50


def test_iterative_preset_preconditioners(tmp_path):
    """GAMG for the elliptic models; block-Jacobi ILU(1) where the phase-field models ask for it (its
    sub-solver exists only once the KSP is set up: after a solve); user options still win."""
    from petsc4py import PETSc

    iterative = SolverConfig(preset="iterative")
    assert snes_and_ksp(iterative)[1].getPC().getType() == "gamg"
    level_0 = SolverConfig(preset="iterative", petsc_options={"sub_pc_factor_levels": 0})
    for solver, levels in ((iterative, 1), (level_0, 0)):
        snes, ksp = snes_and_ksp(solver, "ilu")
        KEEP[-1].solve()
        assert snes.getConvergedReason() > 0 and ksp.getPC().getType() == "bjacobi"
        sub = ksp.getPC().getBJacobiSubKSP()[0].getPC()
        view = tmp_path / f"ilu{levels}.txt"
        sub.view(PETSc.Viewer().createASCII(str(view), comm=PETSc.COMM_SELF))
        assert sub.getType() == "ilu" and f"\n    {levels} level" in view.read_text(), view.read_text()


def test_direct_preset_is_lu():
    ksp = snes_and_ksp(SolverConfig())[1]
    assert ksp.getType() == "preonly" and ksp.getPC().getType() == "lu"


@pytest.mark.parametrize(
    "data,message",
    [
        ({"rtol": 1e-6}, "solver.newton.rtol"),
        ({"max_iterations": 5}, "solver.krylov.max_iterations"),
        ({"krylov": {"rtol": 1e-6}}, "preset iterative only"),
    ],
)
def test_ambiguous_or_ineffective_keys_rejected(data, message):
    with pytest.raises(ValueError, match=message):
        SolverConfig.model_validate(data)


def test_json_schema_has_the_split_keys():
    from sim.config import schema

    defs = schema()["$defs"]
    assert set(defs["SolverConfig"]["properties"]) == {"preset", "newton", "krylov", "petsc_options"}
    assert set(defs["NewtonConfig"]["properties"]) == set(defs["KrylovConfig"]["properties"])
    assert set(defs["KrylovConfig"]["properties"]) == {"rtol", "atol", "max_iterations"}
