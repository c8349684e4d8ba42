"""Debian's ParaView (`pvpython`) for the field-file tests: installed with apt-get when missing and
this is root (as the SLURM daemons are, slurm_cluster.py); otherwise `unavailable()` says why.
Opening files and Integrate Variables need no display, so no X server (xvfb) is installed."""

from __future__ import annotations

import os
import shutil
import subprocess

PACKAGES = ["paraview", "python3-paraview"]  # pvpython is in python3-paraview


def pvpython() -> str | None:
    return shutil.which("pvpython")


def unavailable() -> str | None:
    """Why pvpython cannot be run here (None if it can; installs the packages if root)."""
    if pvpython():
        return None
    if os.geteuid() != 0:
        return "ParaView (pvpython) not installed and not root to apt-get it"
    if shutil.which("apt-get") is None:
        return "ParaView (pvpython) not installed and no apt-get"
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        result = subprocess.run(install, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            return f"apt-get install {' '.join(PACKAGES)} failed: {result.stderr.strip()[-300:]}"
    return None if pvpython() else "pvpython still missing after apt-get"
