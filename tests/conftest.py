"""Session-wide test settings."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# A mesh cache of the test session's own (inherited by the CLI subprocesses): tests start from
# cold meshes on every run and never read or fill the user's ~/.cache/sim/meshes.
os.environ["SIM_MESH_CACHE"] = tempfile.mkdtemp(prefix="sim-mesh-cache-")
atexit.register(shutil.rmtree, os.environ["SIM_MESH_CACHE"], ignore_errors=True)
