"""Run-directory safety of `sim run` (issue 14, run side): one run per directory, a read-only or
full disk, internal errors, signals from process start, interruptible meshing, sweep points that
die with their sweep. Each case asserts the exit code, the one stderr line (no traceback) and what
the run directory holds afterwards."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SIM, one_line_error, run_sim, sim_command, tmpfs

from sim.files import lock_holder, locked

TINY = ROOT / "tests" / "data" / "tiny_layers.yaml"
SLOW_MESH = "geometry.mesh.size=0.02e-6"  # ~500k cells: gmsh meshes for tens of seconds


def _summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def _no_tmp_files(out: Path) -> None:
    assert not list(out.rglob(".*.tmp*")), list(out.rglob(".*.tmp*"))


def _wait_for(condition, timeout: float = 120, what: str = "condition") -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def _catches_sigterm(pid: int) -> bool:
    """Whether process `pid` has a SIGTERM handler (Linux: the SigCgt mask of /proc/PID/status)."""
    status = Path(f"/proc/{pid}/status").read_text()
    caught = int(next(line.split()[1] for line in status.splitlines() if line.startswith("SigCgt:")), 16)
    return bool(caught >> (signal.SIGTERM - 1) & 1)


def test_a_locked_run_directory_is_refused(tmp_path):
    out = tmp_path / "run"
    with locked(out, "`sim run`"):
        result = run_sim("run", TINY, "--out", out, "--quiet", check=False)
    one_line_error(result, 2, f"{out} is in use by `sim run` (pid {os.getpid()}", "choose another --out")
    assert sorted(p.name for p in out.iterdir()) == [".lock"]  # nothing else was created or removed
    assert lock_holder(out) is None
    run_sim("run", TINY, "--out", out, "--quiet")  # free again: runs
    assert _summary(out)["status"] == "ok"


def test_read_only_out_is_exit_2(tmp_path):
    with tmpfs(tmp_path / "ro", size="64k", read_only=True) as ro:
        for out in (ro, ro / "new"):
            result = run_sim("run", TINY, "--out", out, "--quiet", check=False)
            one_line_error(result, 2, f"cannot write the run directory {out}", "Read-only file system")
        assert list(ro.iterdir()) == []


@pytest.mark.parametrize(
    "size,figures,summary_written",
    [("20k", False, True), ("60k", True, True), ("8k", False, False)],
    ids=["fields-fill-the-disk", "figures-fill-the-disk", "no-room-for-the-summary"],
)
def test_full_disk_is_exit_3(tmp_path, size, figures, summary_written):
    """A full disk while writing fields (ADIOS2 used to abort, exit 134), figures or the summary:
    exit 3, one line, a failed summary when it still fits, and no temporary files."""
    with tmpfs(tmp_path / "disk", size=size) as disk:
        out = disk / "run"
        sets = ["--set", "output.fields=true", "--set", f"output.figures={str(figures).lower()}"]
        result = run_sim("run", TINY, "--out", out, "--quiet", *sets, check=False)
        line = one_line_error(result, 3, "No space left on device")
        _no_tmp_files(out)
        if summary_written:
            summary = _summary(out)
            assert summary["status"] == "failed" and "No space left on device" in summary["message"]
        else:
            assert not (out / "summary.json").exists() and "summary.json cannot be written" in line


def test_internal_error_writes_a_failed_summary(tmp_path):
    """A bug (any unexpected exception) is exit 1 with one line and a failed summary naming it; the
    traceback goes to log.txt only."""
    out = tmp_path / "run"
    script = (
        "import sys\n"
        "import sim.physics.conduction as model\n"
        "def broken(*args):\n"
        "    raise ZeroDivisionError('planted bug')\n"
        "model.build = broken\n"
        "from sim.cli import main\n"
        f"sys.argv = ['sim', 'run', {str(TINY)!r}, '--out', {str(out)!r}, '--quiet']\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    one_line_error(result, 1, "internal error: ZeroDivisionError('planted bug')", str(out / "summary.json"))
    summary = _summary(out)
    assert summary["status"] == "failed" and "ZeroDivisionError('planted bug')" in summary["message"]
    assert "Traceback" in (out / "log.txt").read_text()


def test_a_signal_between_the_lock_s_mkdir_and_its_file_leaves_nothing(tmp_path, monkeypatch, capsys):
    """The window a loaded CI hit once: the run directory created by the lock, the signal before
    the lock file exists (so the run has not claimed it): the directory goes again."""
    from sim import runner
    from sim.config import load_config

    def mkdir_then_signal(out, comm, stack):
        out.mkdir(parents=True)
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "_claim", mkdir_then_signal)
    out = tmp_path / "run"
    outcome = runner.execute(load_config(TINY), out, quiet=True)
    assert outcome.exit_code == 130 and not out.exists()
    assert capsys.readouterr().err.strip() == runner.INTERRUPTED_BEFORE


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_every_signal_from_start_is_exit_130(tmp_path, sig):
    """A signal at any moment after start (while Python imports DOLFINx, loads the config, builds
    the mesh or solves): exit 130, no traceback; before the run directory is claimed nothing is
    written, after it the summary says `interrupted`. (Before sim's first line runs, ~0.1 s of
    interpreter start-up, Python's own handling applies: the moments count from sim's handlers.)"""
    seen = set()
    env = os.environ | {"SIM_MESH_CACHE": "off"}  # the run meshes (a second or two) every time
    # seconds after sim's handlers are installed (SIGTERM caught: the first line of sim.cli), or
    # after the run directory's lock appears ("lock+"); a signal during a lazy import of an
    # extension module used to segfault (exit -11) at 0.8 s and lock+3
    for when in (0.0, 0.5, 1.2, 2.2, "lock+0", "lock+0.5", "lock+1.5", "lock+3"):
        out = tmp_path / f"run{when}"
        process = subprocess.Popen(
            sim_command("run", str(TINY), "--out", str(out), "--quiet", "--set", "geometry.mesh.size=0.1e-6"),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        if isinstance(when, str):
            _wait_for(lambda out=out: (out / ".lock").exists(), what="the run directory's lock")
            time.sleep(float(when.removeprefix("lock+")))
        else:  # on a loaded machine the interpreter's start-up alone can take 0.3 s
            _wait_for(
                lambda p=process: p.poll() is not None or _catches_sigterm(p.pid), what="sim's handlers"
            )
            time.sleep(when)
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=120)
        if process.returncode == 0:  # the run was already over: nothing to interrupt
            continue
        assert process.returncode == 130, (when, process.returncode, stderr[-2000:])
        assert "Traceback" not in stderr + stdout, (when, stderr)
        if out.exists() and (out / "summary.json").exists():
            assert _summary(out)["status"] == "interrupted"
            seen.add("summary")
        else:
            assert not out.exists() or [p.name for p in out.iterdir()] == [".lock"]
            assert stderr.strip() == "interrupted before the run started (nothing written)", stderr
            seen.add("before")
    assert seen == {"before", "summary"}  # both phases were hit


def test_sigint_stops_meshing(tmp_path):
    """gmsh meshes in a child process: SIGINT during a long meshing ends the run within seconds
    (measured 2.0 s, most of it interpreter shutdown), summary `interrupted`, no mesher left."""
    out = tmp_path / "run"
    env = os.environ | {"SIM_MESH_CACHE": "off"}
    process = subprocess.Popen(
        sim_command("run", str(TINY), "--out", str(out), "--quiet", "--set", SLOW_MESH),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    mesher = f"sim.mesh_worker .* {process.pid}$"
    meshing = lambda: subprocess.run(["pgrep", "-f", mesher], capture_output=True).returncode == 0  # noqa: E731
    _wait_for(meshing, what="meshing")  # the mesh is built before the run directory is prepared
    time.sleep(1.0)
    assert meshing()
    start = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    took = time.monotonic() - start
    assert process.returncode == 130 and "Traceback" not in stderr, stderr
    assert took < 10.0, took
    assert _summary(out)["status"] == "interrupted"
    assert subprocess.run(["pgrep", "-f", mesher], capture_output=True).returncode == 1  # none left


def _tiny_sweep(directory: Path, sizes: str) -> None:
    shutil.copy(TINY, directory / "base.yaml")
    (directory / "sweep.yaml").write_text(f"base: base.yaml\nzip:\n  geometry.mesh.size: [{sizes}]\n")


def test_sweep_points_die_with_their_sweep(tmp_path):
    """kill -9 of `sim sweep`: its running point stops by itself (summary `interrupted`) instead of
    running on as an orphan; while it runs, a second `sim run` into its directory is refused."""
    _tiny_sweep(tmp_path, f"{SLOW_MESH.split('=')[1]}, 2.4e-6")
    env = os.environ | {"SIM_MESH_CACHE": "off"}
    sweep = subprocess.Popen(
        [*SIM, "sweep", "sweep.yaml", "--jobs", "1", "--out", "out"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    out = tmp_path / "out"
    _wait_for(lambda: (out / "points.json").exists(), what="the sweep to start")
    first = json.loads((out / "points.json").read_text())["points"][0]["id"]
    _wait_for(lambda: lock_holder(out / first) is not None, what="the first point to start")
    second = run_sim("run", out / "configs" / f"{first}.yaml", "--out", out / first, "--quiet", check=False)
    one_line_error(second, 2, f"{out / first} is in use by `sim run` (pid")
    sweep.kill()
    sweep.wait()
    start = time.monotonic()
    _wait_for(lambda: lock_holder(out / first) is None, timeout=30, what="the orphaned point to stop")
    print(f"point stopped {time.monotonic() - start:.2f} s after kill -9 of its sweep")
    assert _summary(out / first)["status"] == "interrupted"


def test_sweep_rerun_does_not_start_a_running_point(tmp_path):
    """A point whose run directory is locked (still running from a sweep that was killed) is
    reported as running and not started a second time; the others run."""
    _tiny_sweep(tmp_path, "2.5e-6, 2.4e-6")
    out = tmp_path / "out"
    run_sim("sweep", "sweep.yaml", "--out", "out", "--dry-run", cwd=tmp_path)
    ids = [p["id"] for p in json.loads((out / "points.json").read_text())["points"]]
    with locked(out / ids[0], "`sim run`"):
        result = run_sim("sweep", "sweep.yaml", "--jobs", "1", "--out", "out", cwd=tmp_path, check=False)
    assert result.returncode == 3, result.stdout + result.stderr
    assert f"running {ids[0]}: `sim run` (pid {os.getpid()}" in result.stdout, result.stdout
    assert not (out / "logs" / f"{ids[0]}.txt").exists() and not (out / ids[0] / "summary.json").exists()
    assert _summary(out / ids[1])["status"] == "ok"
