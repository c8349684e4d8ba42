"""Session-wide test settings, and the helpers the CLI tests share (`from conftest import ...`)."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# A mesh cache of the test session's own (inherited by the CLI subprocesses): tests start from
# cold meshes on every run and never read or fill the user's ~/.cache/sim/meshes.
os.environ["SIM_MESH_CACHE"] = tempfile.mkdtemp(prefix="sim-mesh-cache-")
atexit.register(shutil.rmtree, os.environ["SIM_MESH_CACHE"], ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
SIM = [sys.executable, "-m", "sim.cli"]


def mpiexec() -> str:
    """The venv's mpiexec (from the mpich wheel), else the one on PATH (skips the test if none)."""
    candidate = Path(sys.executable).parent / "mpiexec"
    found = str(candidate) if candidate.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec")
    return found


def sim_cmd(*args, ranks: int = 1) -> list[str]:
    """The command line of `sim ARGS` (under `mpiexec -n RANKS` if ranks > 1)."""
    return [mpiexec(), "-n", str(ranks), *SIM, *args] if ranks > 1 else [*SIM, *args]


def run_cli(*args, cwd=ROOT, ranks: int = 1, timeout: float = 600, env=None) -> subprocess.CompletedProcess:
    """Run `sim ARGS` to its end; stdout and stderr as text."""
    return subprocess.run(
        sim_cmd(*[str(a) for a in args], ranks=ranks),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def one_line_error(result: subprocess.CompletedProcess, code: int, *fragments: str) -> str:
    """Assert exit `code`, exactly one non-empty stderr line containing every fragment, no traceback;
    returns that line."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == code, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout, result.stderr
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def tree(directory: Path) -> dict[str, bytes]:
    """Every file below `directory` (relative path → content) but the lock file (which a refused
    run may create): to assert a directory is unchanged."""
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.name != ".lock")
    return {str(p.relative_to(directory)): p.read_bytes() for p in files}


@contextlib.contextmanager
def tmpfs(path: Path, size: str = "1m", read_only: bool = False):
    """A small (or read-only) tmpfs mounted at `path` for the duration (needs root: skipped if not)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {mounted.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)
