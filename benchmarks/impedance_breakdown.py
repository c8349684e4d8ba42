"""Where an impedance spectrum's time goes (issue 12), in-process on one rank: the issue's case,
li_peo_mof_li widened to ~20k NPP dofs (~40k block unknowns), 40 frequencies. Per frequency:
forming A(ω) = A_J + ωA_M (PETSc copy + axpy of matrices assembled once) and b(ω) (a boundary
integral), the MUMPS LU (numeric; PETSc keeps the first frequency's analysis), the triangular
solves, and δI (two dot products with vectors assembled once). Against it, a bare petsc4py
solve of the same matrix: a fresh KSP (preonly, LU, MUMPS) on a copy of A(ω), analysis
included. Every number is the minimum over `REPEATS` spectra (the machine may be shared); the
spectrum's CPU time (process_time) is the least load-dependent number.

    .venv/bin/python benchmarks/impedance_breakdown.py
"""

import sys
import time
from pathlib import Path

import numpy as np
from common import ROOT, print_table
from mpi4py import MPI
from petsc4py import PETSc

# this directory's impedance.py must not shadow the impedance.py package the fits import
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != HERE]

from sim.config import load_config  # noqa: E402
from sim.experiments.impedance import ImpedanceSolver, frequencies  # noqa: E402
from sim.experiments.run import linearise  # noqa: E402
from sim.mesh import build_mesh  # noqa: E402
from sim.solve import petsc_options  # noqa: E402

CONFIG = ROOT / "configs/lab/li_peo_mof_li.yaml"
WIDTH = 72.0e-6
REPEATS = 3


class _Ctx:
    def log(self, message: str) -> None:
        pass


def _spectrum(solver: ImpedanceSolver, omegas: np.ndarray) -> tuple[np.ndarray, float]:
    """(assemble, factorise, solve, current) wall seconds per frequency of one spectrum, and the
    spectrum's CPU seconds (this process)."""
    rows = []
    cpu = time.process_time()
    for w in omegas:
        t0 = time.perf_counter()
        solver.assemble(w)
        t1 = time.perf_counter()
        solver.ksp.getPC().setUp()  # the numeric LU of the changed A(ω)
        t2 = time.perf_counter()
        solver.ksp.solve(solver.b, solver.x.x.petsc_vec)
        t3 = time.perf_counter()
        solver.current()
        rows.append((t1 - t0, t2 - t1, t3 - t2, time.perf_counter() - t3))
    return np.array(rows), time.process_time() - cpu


def _bare(solver: ImpedanceSolver, omegas: np.ndarray) -> np.ndarray:
    """Seconds per frequency of a fresh MUMPS LU + solve of the same A(ω) in plain petsc4py."""
    times = []
    for w in omegas:
        solver.assemble(w)
        A = solver.A.copy()
        x = A.createVecRight()
        t0 = time.perf_counter()
        ksp = PETSc.KSP().create(MPI.COMM_SELF)
        ksp.setOperators(A)
        ksp.setType("preonly")
        ksp.getPC().setType("lu")
        ksp.getPC().setFactorSolverType("mumps")
        ksp.solve(solver.b, x)
        times.append(time.perf_counter() - t0)
        ksp.destroy()
        A.destroy()
    return np.array(times)


def main() -> None:
    cfg = load_config(CONFIG).config
    cfg = cfg.model_copy(update={"geometry": cfg.geometry.model_copy(update={"width": WIDTH})})
    exp = cfg.experiment.model_copy(
        update={"frequencies": cfg.experiment.frequencies.model_copy(update={"points": 40})}
    )
    t0 = time.perf_counter()
    bundle = build_mesh(cfg.geometry, MPI.COMM_SELF)
    split = linearise(cfg, bundle, _Ctx())
    t1 = time.perf_counter()
    solver = ImpedanceSolver(split, bundle, petsc_options(cfg.solver, symmetric=False))
    t2 = time.perf_counter()
    omegas = 2.0 * np.pi * frequencies(exp) * split.time_unit
    timed = [_spectrum(solver, omegas) for _ in range(REPEATS)]
    runs, cpu = [r for r, _ in timed], min(c for _, c in timed)
    bare = [_bare(solver, omegas) for _ in range(REPEATS)]
    per_f = np.min([r.sum(axis=1).mean() for r in runs])
    parts = np.min([r.mean(axis=0) for r in runs], axis=0)
    rows = [
        {
            "block unknowns": f"{solver.num_dofs:,}",
            "frequencies": str(len(omegas)),
            "spectrum s (min)": f"{np.min([r.sum() for r in runs]):.2f}",
            "s / frequency": f"{per_f:.3f}",
            "spectrum CPU s (min)": f"{cpu:.2f}",
            "A(ω), b(ω) s": f"{parts[0]:.4f}",
            "LU s": f"{parts[1]:.3f}",
            "solve s": f"{parts[2]:.4f}",
            "δI s": f"{parts[3]:.5f}",
            "bare petsc4py LU+solve s": f"{np.min([b.mean() for b in bare]):.3f}",
            "state s (mesh, steady NPP, JIT)": f"{t1 - t0:.2f}",
            "setup s (JIT, A_J, A_M)": f"{t2 - t1:.2f}",
        }
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
