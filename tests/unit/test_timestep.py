"""sim.timestep.newton_solve: a PETSc error inside the solve (MUMPS INFOG(1) < 0 after a failed
factorisation, as the grand-potential model met at Δt ≈ 0.04 s) is a failed step the loop retries
with a smaller Δt, not an internal error that ends the run."""

from __future__ import annotations

from sim._dolfinx import dolfinx  # noqa: F401  (loads MPI before petsc4py)

from petsc4py import PETSc

from sim.timestep import newton_solve


class _FailingLU:
    """A problem whose solve raises as SNESSolve does when MUMPS's solve phase fails."""

    def __init__(self) -> None:
        self.solver = PETSc.SNES().create()

    def solve(self) -> None:
        raise PETSc.Error(76)


def test_petsc_error_in_the_solve_is_a_failed_step():
    outcome = newton_solve(_FailingLU(), [])
    assert not outcome.converged
    assert outcome.reason == "linear solve failed (PETSc error code 76)"
