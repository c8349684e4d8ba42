"""Debian packages a test needs, installed by the test set-up when missing (CI runs on a fresh machine)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

LOCK = Path(tempfile.gettempdir()) / "sim-tests-apt.lock"
"""held while apt-get runs: pytest-xdist workers (and other test runs) install one at a time"""


@contextlib.contextmanager
def apt_lock() -> Iterator[None]:
    """An exclusive flock on LOCK for the duration (blocks until the other holder is done)."""
    with open(LOCK, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def apt_install(packages: tuple[str, ...] | list[str], what: str) -> str | None:
    """`apt-get install` `packages` (an `apt-get update` and a retry if the first try fails); returns
    why `what` cannot be installed here, or None once the install command succeeded. One install at
    a time (apt_lock); apt-get also waits up to 10 min for a dpkg lock held by anything else."""
    if os.geteuid() != 0:
        return f"{what} not installed and not root to apt-get it"
    if shutil.which("apt-get") is None:
        return f"{what} not installed and no apt-get"
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    wait = ["-o", "DPkg::Lock::Timeout=600"]
    install = ["apt-get", *wait, "install", "-y", "-q", "--no-install-recommends", *packages]
    with apt_lock():
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            subprocess.run(["apt-get", *wait, "update", "-q"], env=env, capture_output=True)
            result = subprocess.run(install, env=env, capture_output=True, text=True)
            if result.returncode != 0:
                return f"apt-get install {' '.join(packages)} failed: {result.stderr.strip()[-300:]}"
    return None
