"""Where a chen2015 step's time goes (issue 10, "Cost"): `dendrite_peo` with mechanics off (32k
dofs), one rank, in-process under cProfile, with PETSc's event log for the MUMPS factorisation
and triangular solves (C code, unseen by cProfile). Shares of the run loop, per accepted step.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/phasefield_profile.py
"""

import cProfile
import pstats
import sys
import tempfile
from pathlib import Path

from common import ROOT, print_table

sys.path.insert(0, str(ROOT))

from sim._dolfinx import dolfinx  # noqa: F401  (loads the wheel's MPI before petsc4py)

from petsc4py import PETSc
from phasefield_bare import CONFIG, OVERRIDES  # the same case as the bare-script comparison

import sim

PYTHON = {  # part: (file ending, function) whose cumulative time it is
    "run loop": ("sim/loop.py", "run_model"),
    "Newton solves": ("sim/timestep.py", "newton_solve"),
    "Jacobian assembly": ("dolfinx/fem/petsc.py", "assemble_jacobian"),
    "residual assembly": ("dolfinx/fem/petsc.py", "assemble_residual"),
    "observer (record)": ("sim/physics/dendrite_run.py", "record"),
    "field output": ("sim/loop.py", "_write"),
    "checkpoint": ("sim/loop.py", "save"),
}
EVENTS = {"LU numeric": "MatLUFactorNum", "LU symbolic": "MatLUFactorSym", "LU solve": "MatSolve"}


def cumulative(stats: pstats.Stats, ending: str, function: str) -> float:
    """Cumulative seconds of the functions `function` in files ending with `ending`."""
    return sum(
        entry[3]
        for (file, _, name), entry in stats.stats.items()  # type: ignore[attr-defined]
        if name == function and file.endswith(ending)
    )


def main() -> None:
    loaded = sim.load_config(CONFIG, **OVERRIDES)
    with tempfile.TemporaryDirectory() as tmp:  # once unprofiled: the forms are compiled and cached
        sim.run(loaded, out=Path(tmp) / "warm", quiet=True)
        PETSc.Log.begin()
        before = {k: PETSc.Log.Event(e).getPerfInfo()["time"] for k, e in EVENTS.items()}
        profile = cProfile.Profile()
        profile.enable()
        summary = sim.run(loaded, out=Path(tmp) / "run", quiet=True).summary
        profile.disable()
    stats = pstats.Stats(profile)
    seconds = {k: cumulative(stats, *where) for k, where in PYTHON.items()}
    seconds |= {k: PETSc.Log.Event(e).getPerfInfo()["time"] - before[k] for k, e in EVENTS.items()}
    steps, its = summary["num_steps"], summary["newton_iterations"]
    total = seconds["run loop"]
    print(f"dofs {summary['num_dofs']}, {steps} steps, {its} Newton iterations; loop {total:.2f} s profiled")
    rows = [
        {
            "part": k,
            "ms/step": f"{1e3 * s / steps:.1f}",
            "ms/newton": f"{1e3 * s / its:.1f}",
            "share": f"{s / total:.1%}",
        }
        for k, s in seconds.items()
    ]
    print_table(rows)
    pstats.Stats(profile).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()
