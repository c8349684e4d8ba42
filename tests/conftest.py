"""Session-wide test settings and the one way tests run the `sim` command (`from conftest import ...`
or the fixtures).

Fixtures: `sim` runs `sim ARGS` in a subprocess (under mpiexec when ranks > 1) and returns the
CompletedProcess; `sim_run` runs `sim run CONFIG --out DIR --quiet --set ...` and returns the
summary. `reduced(config)` gives the --set overrides that make a shipped config run in seconds.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

# A mesh cache of the test session's own (inherited by the CLI subprocesses): tests start from
# cold meshes on every run and never read or fill the user's ~/.cache/sim/meshes.
os.environ["SIM_MESH_CACHE"] = tempfile.mkdtemp(prefix="sim-mesh-cache-")
atexit.register(shutil.rmtree, os.environ["SIM_MESH_CACHE"], ignore_errors=True)

ROOT = Path(__file__).resolve().parents[1]
SIM = SIM_MODULE = [sys.executable, "-m", "sim.cli"]
SMALL_DENDRITE = [
    "geometry.width=8.0e-6",
    "geometry.nuclei=[{center_x: 4.0e-6, radius: 1.6e-6}]",
    "output.figures=false",
    "output.fields=false",
    "physics.time.t_end=0.02",
]
"""--set overrides that make configs/dendrite_peo.yaml a run of seconds (one nucleus, 8 µm wide, 0.02 s)"""


def mpiexec() -> str:
    """The venv's mpiexec (the wheel's MPICH), else one on PATH; skips the test without one."""
    candidate = Path(sys.executable).parent / "mpiexec"
    found = str(candidate) if candidate.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("no mpiexec")
    return found


def sim_command(*args: str, ranks: int = 1) -> list[str]:
    """The argv of `sim ARGS` (python -m sim.cli), under `mpiexec -n ranks` when ranks > 1."""
    return [*SIM_MODULE, *args] if ranks == 1 else [mpiexec(), "-n", str(ranks), *SIM_MODULE, *args]


def run_sim(
    *args: str | Path,
    ranks: int = 1,
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    timeout: float = 600,
    check: bool = True,
) -> subprocess.CompletedProcess:
    """Run `sim ARGS` to its end; with check, assert exit 0 (the message shows the end of stdout and
    stderr); check=False for the tests of refusals and failures, which look at the exit code."""
    argv = sim_command(*map(str, args), ranks=ranks)
    result = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    return result


def read_summary(out: Path) -> dict[str, Any]:
    return json.loads((Path(out) / "summary.json").read_text())


def run_config(config: str | Path, out: Path, sets: Sequence[str] = (), ranks: int = 1) -> dict[str, Any]:
    """`sim run CONFIG --out OUT --quiet --set S...` (exit 0 asserted); returns summary.json."""
    args = [arg for s in sets for arg in ("--set", s)]
    run_sim("run", str(ROOT / config), "--out", str(out), "--quiet", *args, ranks=ranks, timeout=900)
    return read_summary(out)


def assert_metrics_close(
    reference: dict[str, float], other: dict[str, float], bounds: dict[str, float], names: tuple[str, str]
) -> None:
    """Each metric of `other` within its relative bound of `reference`, printed side by side."""
    for key, bound in bounds.items():
        ref, value = reference[key], other[key]
        print(f"{key}: {names[0]} {ref:.7g}, {names[1]} {value:.7g}, relative {abs(value / ref - 1):.1e}")
        assert value == pytest.approx(ref, rel=bound), key


def reduced(config: Path, npp_t_end: float | None = None) -> list[str]:
    """--set overrides that run a shipped config in seconds, by physics kind: NPP and cathode meshes
    twice as coarse (and at most npp_t_end simulated, if given); the phase field on an 8 µm wide film
    with one nucleus for 0.03 s (grand potential: a 6 × 30 µm strip for 0.1 s, no stop_at_tip); conduction as
    shipped (it is fast). Fields off, figures as configured."""
    from sim.config import load_config

    cfg = load_config(config).config
    sets = ["output.fields=false"]
    if cfg.physics.kind in ("npp", "cathode"):
        size, min_size, _ = cfg.geometry.mesh.sizes()
        sets += [f"geometry.mesh.size={2 * size!r}", f"geometry.mesh.min_size={2 * min_size!r}"]
        if npp_t_end is not None and cfg.physics.time is not None and cfg.physics.time.t_end > npp_t_end:
            sets.append(f"physics.time.t_end={npp_t_end!r}")
    elif cfg.physics.kind == "phasefield" and cfg.physics.formulation == "grand_potential":
        sets += ["geometry.width=6.0e-6", "geometry.height=30.0e-6", "physics.time.t_end=0.1"]
        if cfg.physics.stop_at_tip is not None:  # a height on the full domain, above the strip's top
            sets.append("physics.stop_at_tip=null")
    elif (
        cfg.physics.kind == "phasefield"
        and cfg.physics.parameters == "table_s1"
        and not cfg.physics.deviations
    ):
        sets += ["physics.time.t_end=0.2"]  # Table S1 as printed needs its 160 µm cell (11.5 µm interface)
    elif cfg.physics.kind == "phasefield":
        sets += [
            "geometry.width=8.0e-6",
            "geometry.nuclei=[{center_x: 4.0e-6, radius: 1.6e-6}]",
            "physics.time.t_end=0.03",
        ]
        if cfg.geometry.filaments is not None:
            sets.append("geometry.filaments.offset=2.0e-6")
    return sets


@pytest.fixture(scope="session")
def sim() -> Callable[..., subprocess.CompletedProcess]:
    return run_sim


@pytest.fixture(scope="session")
def sim_run() -> Callable[..., dict[str, Any]]:
    return run_config


@pytest.fixture(scope="session")
def sim_argv() -> Callable[..., list[str]]:
    return sim_command


@pytest.fixture(scope="session")
def reduced_sets() -> Callable[..., list[str]]:
    return reduced


@pytest.fixture
def mpiexec_path() -> str:
    return mpiexec()


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
