"""The one place that prepares the DOLFINx import.

The `dolfinx-solver-real` wheel bundles its MPI; `import dolfinx_solver` must run before the first
`import dolfinx` or loading fails with `libmpi.so.12`. A conda-forge/Spack DOLFINx has no such
module, hence the guard. Modules that need DOLFINx import it via `from sim._dolfinx import dolfinx`.
"""

import contextlib

with contextlib.suppress(ImportError):  # conda-forge / Spack DOLFINx have no such module
    import dolfinx_solver  # noqa: F401

import dolfinx
import dolfinx.fem.petsc
import dolfinx.io

__all__ = ["dolfinx"]
