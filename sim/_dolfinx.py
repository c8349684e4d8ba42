"""The one place that prepares the DOLFINx import.

The `dolfinx-solver-real` wheel bundles its MPI; `import dolfinx_solver` must run before the first
`import dolfinx` or loading fails with `libmpi.so.12`. A conda-forge/Spack DOLFINx has no such
module, hence the guard. Modules that need DOLFINx import it via `from sim._dolfinx import dolfinx`.
"""

try:
    import dolfinx_solver  # noqa: F401
except ImportError:  # conda-forge / Spack DOLFINx
    pass

import dolfinx  # noqa: E402
import dolfinx.fem.petsc  # noqa: E402,F401
import dolfinx.io  # noqa: E402,F401

__all__ = ["dolfinx"]
