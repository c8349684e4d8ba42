"""Debian packages a test needs, installed by the test set-up when missing (CI runs on a fresh machine)."""

from __future__ import annotations

import os
import shutil
import subprocess


def apt_install(packages: tuple[str, ...] | list[str], what: str) -> str | None:
    """`apt-get install` `packages` (an `apt-get update` and a retry if the first try fails); returns
    why `what` cannot be installed here, or None once the install command succeeded."""
    if os.geteuid() != 0:
        return f"{what} not installed and not root to apt-get it"
    if shutil.which("apt-get") is None:
        return f"{what} not installed and no apt-get"
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        result = subprocess.run(install, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            return f"apt-get install {' '.join(packages)} failed: {result.stderr.strip()[-300:]}"
    return None
