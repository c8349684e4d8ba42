"""Light file helpers shared by the run loop and tools that must not import DOLFINx (e.g. sweeps):
atomic writes and the per-directory lock (sweep directories and run directories)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUMMARY = "summary.json"
LOCK = ".lock"


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file and an atomic rename; on failure (e.g. a full
    disk) the temporary file is removed and `path` keeps its old content."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


class LockHeld(Exception):
    """Another process holds a directory's lock; the message names the holder."""


@contextmanager
def locked(directory: Path, holder: str) -> Iterator[None]:
    """Hold `directory/.lock` (an flock, released when the process ends however it ends, even by
    kill -9); `holder` (e.g. "`sim run`") is written into it so a refused process can name it.
    Raises LockHeld if another process holds it, OSError if the directory cannot be written."""
    import fcntl

    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / LOCK, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            raise LockHeld(f"{directory} is in use by {f.read().strip() or 'another process'}") from None
        f.truncate(0)
        f.write(f"{holder} (pid {os.getpid()} on {os.uname().nodename})")
        f.flush()
        yield


def lock_holder(directory: Path) -> str | None:
    """Who holds `directory/.lock` now (its text), or None if nobody does."""
    import fcntl

    try:
        f = open(directory / LOCK)  # noqa: SIM115 (closed below; a `with` would hide the flock test)
    except OSError:
        return None
    with f:
        try:
            fcntl.flock(f, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return f.read().strip() or "another process"
        fcntl.flock(f, fcntl.LOCK_UN)
        return None


PARENT_ENV = "SIM_SWEEP_PID"
"""set by `sim sweep` for its points: the pid whose death stops the point"""


def watch_parent(interval: float = 0.5) -> None:
    """If $SIM_SWEEP_PID is set, stop this process when that process is gone: a daemon thread sends
    SIGTERM to this process group (the point's own session: its mpiexec and every rank, as a Ctrl-C
    of the sweep would), so the point ends `interrupted` instead of running on as an orphan."""
    import signal
    import threading
    import time

    value = os.environ.get(PARENT_ENV, "")
    if not value.isdigit():
        return
    parent = int(value)

    def watch() -> None:
        while _alive(parent):
            time.sleep(interval)
        os.killpg(os.getpgrp(), signal.SIGTERM)

    threading.Thread(target=watch, name="sim-watch-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True
