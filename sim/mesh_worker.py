"""Meshing in a child process, so a signal can stop it: gmsh's C++ meshers do not return to Python
while they run, so Ctrl-C or SIGTERM in the run's own process would wait for the whole meshing.

    python -m sim.mesh_worker GEOMETRY.json OUT_DIR KEY PARENT_PID [--verbose]

builds the geometry section in GEOMETRY.json (a `geometry:` config as JSON) and writes
OUT_DIR/KEY.msh (binary, exact coordinates) and OUT_DIR/KEY.json (analytic and CAD region areas),
or OUT_DIR/error.json ({"type", "message"}) and exits 2 if the geometry cannot be built. The child
dies with its parent (PR_SET_PDEATHSIG) and on the first SIGINT/SIGTERM (default handlers).
Imports no DOLFINx or MPI.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1
LENGTH_SCALE = 1e-6
"""metres per mesh coordinate unit (the mesh is in µm)"""


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this process when its parent ends (also if it ended before this call)."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent kills the child on its way out
        return
    if os.getppid() != parent:
        os._exit(1)


def write_msh(path: Path) -> None:
    """Write the current gmsh model to `path` as binary .msh (restoring gmsh's Mesh.Binary)."""
    import gmsh

    binary = gmsh.option.getNumber("Mesh.Binary")
    gmsh.option.setNumber("Mesh.Binary", 1)
    try:
        gmsh.write(str(path))
    finally:
        gmsh.option.setNumber("Mesh.Binary", binary)


def main(argv: list[str]) -> int:
    geometry_file, out, key, parent = Path(argv[0]), Path(argv[1]), argv[2], int(argv[3])
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent(parent)
    import gmsh
    from pydantic import TypeAdapter

    from sim.config.geometry import GeometryConfig
    from sim.geometry import GeometryError, build, region_cad_areas

    cfg = TypeAdapter(GeometryConfig).validate_json(geometry_file.read_text())
    gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 1 if "--verbose" in argv else 0)
        gmsh.model.add(cfg.kind)
        try:
            areas = build(cfg, LENGTH_SCALE)
        except GeometryError as exc:
            (out / "error.json").write_text(json.dumps({"type": "GeometryError", "message": str(exc)}))
            return 2
        cad = region_cad_areas(LENGTH_SCALE) if cfg.kind != "file" else {}  # a file has no CAD
        write_msh(out / f"{key}.msh")
        (out / f"{key}.json").write_text(json.dumps({"areas": areas, "cad_areas": cad}))
    finally:
        gmsh.finalize()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
