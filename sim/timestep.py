"""Adaptive time stepping shared by the transient models (Nernst–Planck–Poisson, phase field).

A model provides a `Stepper` (sim.physics.model: solve one step from the accepted state; accept or
roll back) and this loop chooses Δt from Newton convergence, a change-per-step bound and, where
the model estimates it (`LocalError`) and the config bounds it, the local time error; it rejects
and retries failed steps, reports progress, and calls back for output and checkpoints.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from mpi4py import MPI

from sim.config.time import TimeConfig
from sim.physics.model import StepOutcome, Stepper, TimeStats
from sim.solve import SolverFailed, solve_interruptible


def newton_solve(
    problem, functions: list, unknowns: Sequence[str] = (), length_scale: float = 1.0
) -> StepOutcome:
    """One interruptible SNES solve; converged only if PETSc says so and `functions` are finite
    on every rank (so all ranks take the same accept/reject decision). A PETSc error in the solve
    (e.g. a preconditioner that cannot factor this matrix type) is SolverFailed, naming its code.
    With `unknowns` (the names of the sub-spaces of functions[0]'s space, or of the space itself),
    a failure's reason says where the residual is largest (`largest_residual`; mesh coordinates ×
    `length_scale` are metres)."""
    from petsc4py import PETSc

    try:
        solve_interruptible(problem)
    except PETSc.Error as exc:
        raise SolverFailed(
            f"PETSc stopped the solve with error code {getattr(exc, 'ierr', exc)}: check solver.preset and "
            "solver.petsc_options (e.g. pc_type ilu is serial: on several ranks use pc_type bjacobi "
            "with sub_pc_type ilu; a factor package must be built into PETSc)"
        ) from None
    snes = problem.solver
    reason, its, kits = snes.getConvergedReason(), snes.getIterationNumber(), snes.getLinearSolveIterations()
    comm = functions[0].function_space.mesh.comm
    finite = comm.allreduce(all(bool(np.isfinite(f.x.array).all()) for f in functions), op=MPI.LAND)
    if reason <= 0 or not finite:
        failed = discard_failed_factorisation(snes)
        why = f"Newton diverged (PETSc reason {reason}{'; ' + failed if failed else ''})"
        if unknowns:
            why += f"; {largest_residual(problem.b.array_r, functions[0], unknowns, length_scale)}"
        return StepOutcome(False, its, kits, reason=why)
    return StepOutcome(True, its, kits)


def largest_residual(residual: np.ndarray, u, unknowns: Sequence[str], length_scale: float) -> str:
    """'largest residual |r| = R in UNKNOWN at (x, y) µm': the owned residual entry of largest
    magnitude (`residual`, laid out as u's owned dofs) over every rank, its unknown and its node."""
    V = u.function_space
    spaces = [V.sub(i) for i in range(V.num_sub_spaces)] if len(unknowns) > 1 else [V]
    best: tuple[float, str, list[float]] = (-1.0, "", [])
    for name, space in zip(unknowns, spaces, strict=True):
        collapsed, parent = space.collapse() if space is not V else (V, np.arange(len(u.x.array)))
        parent, bs = np.asarray(parent).ravel(), collapsed.dofmap.index_map_bs  # (0.11: [array])
        owned = np.flatnonzero(parent < residual.size)
        if owned.size:
            k = owned[np.argmax(np.abs(residual[parent[owned]]))]
            value = float(abs(residual[parent[k]]))
            if value > best[0]:
                point = collapsed.tabulate_dof_coordinates()[k // bs]
                best = (value, name, [float(x) * length_scale * 1e6 for x in point[: V.mesh.geometry.dim]])
    value, name, point = max(V.mesh.comm.allgather(best), key=lambda b: b[0])
    return f"largest residual |r| = {value:.3g} in {name} at ({', '.join(f'{x:.4g}' for x in point)}) µm"


def discard_failed_factorisation(snes) -> str:
    """Reset the preconditioner after a failed factorisation; returns what failed ('' if none).

    MUMPS keeps a failed numerical factorisation's INFOG(1) < 0, and PETSc's MUMPS interface
    (3.25, MatFactorNumeric_MUMPS) then skips the retry's numerical factorisation as if the analysis
    had failed, so the retry solves without factors: INFOG(1) = −3, an error instead of a rejected
    step. A reset makes the retry factorise afresh (one more symbolic factorisation)."""
    pc = snes.getKSP().getPC()
    failed = int(pc.getFailedReason())
    if not snes.comm.tompi4py().allreduce(failed != 0, op=MPI.LOR):
        return ""
    why = f"PC failed reason {failed}"
    if pc.getType() == "lu" and pc.getFactorSolverType() == "mumps":
        why += f", MUMPS INFOG(1) = {pc.getFactorMatrix().getMumpsInfog(1)}"
    pc.reset()
    return why


class LocalError:
    """Backward Euler's local error in the entries `dofs` of a state U (e.g. ξ of a mixed unknown),
    estimated with the last two accepted states (Milne's device; the predictor is the linear
    extrapolation of Uⁿ⁻¹, Uⁿ): e = Δt/(Δt + Δt₋) · max|(U − Uⁿ) − (Δt/Δt₋)(Uⁿ − Uⁿ⁻¹)|, which is
    ½Δt² max|Ü| to leading order, like the error itself. The same extrapolation, of every entry,
    is Newton's initial guess if the model calls `predict` before its solve. It calls `measure` after its
    solve (the step's largest change, for max_change, and e) and `accept` before it copies U to Uⁿ;
    `previous` (Uⁿ⁻¹) goes into its checkpoint state, so a resumed or re-meshed run keeps its
    estimate."""

    def __init__(self, U, U_n, dofs: np.ndarray) -> None:
        self.U, self.U_n, self.dofs = U, U_n, dofs
        self.previous = U_n.copy()
        """Uⁿ⁻¹ (used from the third step on; set at every accepted step)"""
        self.dt_previous = 0.0
        self.dt = 0.0

    def _has_rate(self, t: float) -> bool:
        return self.dt_previous > 0.0 and t > self.dt_previous * (1.0 + 1e-9)

    def predict(self, t: float, dt: float) -> None:
        """Newton's initial guess for the step from `t` by `dt`: the same linear extrapolation
        Uⁿ + (Δt/Δt₋)(Uⁿ − Uⁿ⁻¹), in every entry of U (Uⁿ while there is no rate, as in `measure`)."""
        u, u_n = self.U.x.array, self.U_n.x.array
        u[:] = u_n
        if self._has_rate(t):
            u += (dt / self.dt_previous) * (u_n - self.previous.x.array)

    def measure(self, t: float, dt: float) -> tuple[float, float | None]:
        """(max|U − Uⁿ|, the estimate e) at the dofs, of the step from `t` by `dt` just solved, on
        every rank; e is None while there is no rate: before the second accepted step, and for the
        step after the first, whose increment also takes up the boundary values the initial state
        lacks (a jump whatever Δt)."""
        self.dt = dt
        d, u, u_n, u_p = self.dofs, self.U.x.array, self.U_n.x.array, self.previous.x.array
        increment = u[d] - u_n[d]
        rate = self._has_rate(t)
        gap = increment - (dt / self.dt_previous) * (u_n[d] - u_p[d]) if rate else increment[:0]
        largest = np.array([np.abs(a).max() if a.size else 0.0 for a in (increment, gap)])
        self.U.function_space.mesh.comm.Allreduce(MPI.IN_PLACE, largest, op=MPI.MAX)
        return float(largest[0]), dt / (dt + self.dt_previous) * float(largest[1]) if rate else None

    def accept(self) -> None:
        self.previous.x.array[:] = self.U_n.x.array
        self.dt_previous = self.dt

    def restore(self, dt: float) -> None:
        """After Uⁿ and Uⁿ⁻¹ were restored (a checkpoint, a mesh change): `dt` the last accepted Δt."""
        self.dt_previous = dt


def error_factor(ratio: float) -> float:
    """The Δt factor that brings a local error of order Δt², `ratio` × its tolerance, to 0.9² of
    the tolerance (at most 4)."""
    return 0.9 / math.sqrt(ratio) if ratio > 0.0 else 4.0


def integrate(
    stepper: Stepper,
    cfg: TimeConfig,
    *,
    stats: TimeStats | None = None,
    on_step: Callable[[TimeStats], bool | None] | None = None,
    on_output: Callable[[float], None] | None = None,
    on_checkpoint: Callable[[TimeStats], None] | None = None,
    progress: Callable[[float], None] | None = None,
    on_reject: Callable[[str], None] | None = None,
) -> TimeStats:
    """Advance from stats.t (0 by default) to cfg.t_end; raises SolverFailed when Δt < dt_min.

    `stats` lets a resumed run continue with its step count and Δt. `on_step` runs after every
    accepted step (metrics, depletion checks); it may raise SolverFailed to stop the run, or return
    True to end the integration early (e.g. a steady state is reached; the output callback still runs).
    `on_reject` gets a line saying why each rejected step was rejected.
    """
    stats = stats or TimeStats(dt=cfg.dt_initial)
    tolerance: float | None = getattr(cfg, "error_tolerance", None)  # sim.config.time.PhaseFieldTime
    # a resume continues with the step it would have taken, within a dt_max it may have lowered
    dt = min(stats.next_dt, cfg.dt_upper) if stats.next_dt else stats.dt or cfg.dt_initial
    eps = 1e-12 * cfg.t_end
    while stats.t < cfg.t_end - eps:
        if stats.steps >= cfg.max_steps:
            raise SolverFailed(f"reached max_steps = {cfg.max_steps} at t = {stats.t:.6g} s")
        dt = min(dt, cfg.t_end - stats.t)
        outcome = stepper.step(stats.t, dt)
        stats.newton_iterations += outcome.newton_iterations
        stats.krylov_iterations += outcome.krylov_iterations
        too_big = cfg.max_change is not None and outcome.change > cfg.max_change
        # the local error estimate in units of the tolerance, where both exist
        ratio = None
        if tolerance is not None and outcome.error is not None and outcome.converged:
            ratio = outcome.error / tolerance
        inaccurate = ratio is not None and ratio > 1.0
        if not outcome.converged or too_big or inaccurate:
            stepper.reject()
            stats.rejected_steps += 1
            if outcome.reason:
                why = outcome.reason
            elif not outcome.converged:
                why = "Newton did not converge"
            elif too_big:
                why = f"change {outcome.change:.3g} > max_change"
            else:
                why = f"local error {ratio:.3g} × error_tolerance"
            if on_reject is not None:
                on_reject(f"step rejected at t = {stats.t:.6g} s, dt = {dt:.3g} s: {why}")
            if ratio is not None and inaccurate and not too_big:
                dt *= min(max(error_factor(ratio), 0.2), 0.9)
            else:
                dt *= cfg.shrink
            stats.next_dt = dt
            if dt < cfg.dt_min:
                raise SolverFailed(
                    f"time step fell below dt_min = {cfg.dt_min:g} s at t = {stats.t:.6g} s ({why})"
                )
            continue
        stepper.accept()
        if outcome.error is not None:
            stats.largest_error = max(stats.largest_error, outcome.error)
        stats.t += dt
        stats.steps += 1
        stats.dt = dt
        easy = outcome.newton_iterations <= cfg.target_newton_iterations
        small = cfg.max_change is None or outcome.change < 0.5 * cfg.max_change
        if ratio is not None:  # Δt from the error estimate, growing only on easy steps
            factor = min(error_factor(ratio), cfg.growth)
            dt = min(dt * (factor if easy and small else min(factor, 1.0)), cfg.dt_upper)
        elif easy and small:
            dt = min(dt * cfg.growth, cfg.dt_upper)
        stats.next_dt = dt  # before the callbacks: a checkpoint taken in them resumes exactly
        stop = bool(on_step(stats)) if on_step is not None else False
        last = stop or stats.t >= cfg.t_end - eps
        if on_output is not None and (stats.steps % cfg.output_every == 0 or last):
            on_output(stats.t)
        if on_checkpoint is not None and cfg.checkpoint_every and stats.steps % cfg.checkpoint_every == 0:
            on_checkpoint(stats)
        if progress is not None:
            progress(stats.t)
        if stop:
            break
    return stats
