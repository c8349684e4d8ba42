"""sim: finite-element multiphysics for solid-state Li-metal battery electrolytes."""

import os

__version__ = "0.1.0"

# PETSc must not install its signal handlers (set before any PETSc import, which reads this at
# initialisation): they turn SIGTERM into MPI_Abort (exit 15, no summary) instead of the run's own
# interrupt handling (exit 130, summary `interrupted`).
if "-no_signal_handler" not in os.environ.get("PETSC_OPTIONS", ""):
    os.environ["PETSC_OPTIONS"] = f"{os.environ.get('PETSC_OPTIONS', '')} -no_signal_handler".strip()
