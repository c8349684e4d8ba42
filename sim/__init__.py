"""sim: finite-element multiphysics for solid-state Li-metal battery electrolytes.

Python API (sim.api), imported on first use so `import sim` stays light:
`sim.load_config(path, **overrides)`, `sim.run(config, out=...)`, `sim.open_results(run_dir)`.
"""

import os
from typing import Any

from sim.version import __version__

# PETSc must not install its signal handlers (set before any PETSc import, which reads this at
# initialisation): they turn SIGTERM into MPI_Abort (exit 15, no summary) instead of the run's own
# interrupt handling (exit 130, summary `interrupted`).
if "-no_signal_handler" not in os.environ.get("PETSC_OPTIONS", ""):
    os.environ["PETSC_OPTIONS"] = f"{os.environ.get('PETSC_OPTIONS', '')} -no_signal_handler".strip()

_API = ("run", "ConfigError", "FieldSeries", "Result", "RunFailed", "SavedRun", "load_config", "open_results")

__all__ = [*_API, "__version__"]


def __getattr__(name: str) -> Any:
    if name in _API:
        from sim import api

        return getattr(api, name)
    raise AttributeError(f"module 'sim' has no attribute '{name}'")
