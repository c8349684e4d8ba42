"""Solver presets (PETSc options) and the result every physics model hands to the run loop."""

from __future__ import annotations

import signal
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

from sim.config.physics import SolverConfig


class SolverFailed(RuntimeError):
    """The solver could not produce a trustworthy answer; the run ends with exit code 3."""


KRYLOV_RTOL = {False: 1e-10, True: 1e-8}
"""default ksp_rtol of a linear model and of the linear solves inside Newton"""


PRECONDITIONERS: dict[str, dict[str, Any]] = {
    "gamg": {"pc_type": "gamg"},
    "ilu": {"pc_type": "bjacobi", "sub_pc_type": "ilu", "sub_pc_factor_levels": 1},
}
"""the iterative preset's preconditioner: algebraic multigrid for the elliptic systems (conduction,
NPP), block-Jacobi ILU(1) (one block per rank) for the phase-field systems, on which GAMG diverges"""


def petsc_options(
    solver: SolverConfig,
    *,
    symmetric: bool = True,
    nonlinear: bool = False,
    preconditioner: Literal["gamg", "ilu"] = "gamg",
) -> dict[str, Any]:
    """PETSc options for a preset: `solver.newton` sets the SNES, `solver.krylov` the KSP of the
    iterative preset, whose preconditioner the model chooses (PRECONDITIONERS); the user's
    `petsc_options` are applied last."""
    if solver.preset == "direct":
        opts: dict[str, Any] = {"ksp_type": "preonly", "pc_type": "lu", "pc_factor_mat_solver_type": "mumps"}
    else:
        krylov = solver.krylov
        opts = {
            "ksp_type": "cg" if symmetric else "gmres",
            **PRECONDITIONERS[preconditioner],
            "ksp_rtol": krylov.rtol if krylov.rtol is not None else KRYLOV_RTOL[nonlinear],
            "ksp_atol": krylov.atol,
            "ksp_max_it": krylov.max_iterations,
        }
        if not symmetric:
            opts["ksp_gmres_restart"] = 100
    if nonlinear:
        newton = solver.newton
        opts |= {
            "snes_type": "newtonls",
            "snes_linesearch_type": "bt",
            "snes_rtol": newton.rtol,
            "snes_atol": newton.atol,
            "snes_max_it": newton.max_iterations,
        }
    opts |= {k: ("" if v is None else v) for k, v in solver.petsc_options.items()}
    return opts


def solve_interruptible(problem) -> None:
    """problem.solve() with SIGINT/SIGTERM deferred until PETSc returns, then raised as
    KeyboardInterrupt: the run ends as interrupted at a safe point, not from inside a PETSc
    callback (whose error path PETSc then has to unwind). A solve is bounded by its iteration
    limits, so the wait is short."""
    if threading.current_thread() is not threading.main_thread():  # handlers live in the main thread
        problem.solve()
        return
    caught: list[int] = []
    held = (signal.SIGINT, signal.SIGTERM)
    previous = {s: signal.signal(s, lambda signum, frame: caught.append(signum)) for s in held}
    try:
        problem.solve()
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    if caught:
        raise KeyboardInterrupt


@dataclass
class RunResult:
    """What a physics model returns to the run loop (see sim/runner.py)."""

    metrics: dict[str, float]
    """flat dict of named SI scalars for summary.json"""
    num_dofs: int
    num_steps: int = 1
    newton_iterations: int = 0
    krylov_iterations: int = 0
    plots: dict[str, Any] = field(default_factory=dict)
    """name → dolfinx Function to render as figures/<name>.png"""
    plot_options: dict[str, dict[str, Any]] = field(default_factory=dict)
    """name → keyword arguments of sim.figures.plot_function (interface, mask_metal, divide_by, …)"""
    extra: dict[str, Any] = field(default_factory=dict)
    """further JSON-serialisable data for summary.json (e.g. per-region values, profiles)"""
