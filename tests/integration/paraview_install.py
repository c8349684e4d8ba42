"""Debian's ParaView (`pvpython`) for the field-file tests: installed with apt-get when missing and
this is root (as the SLURM daemons are, slurm_cluster.py); otherwise `unavailable()` says why.
Opening files and Integrate Variables need no display, so no X server (xvfb) is installed."""

from __future__ import annotations

import shutil

from apt import apt_install

PACKAGES = ["paraview", "python3-paraview"]  # pvpython is in python3-paraview


def pvpython() -> str | None:
    return shutil.which("pvpython")


def unavailable() -> str | None:
    """Why pvpython cannot be run here (None if it can; installs the packages if root)."""
    if pvpython():
        return None
    why = apt_install(PACKAGES, "ParaView (pvpython)")
    if why is not None:
        return why
    return None if pvpython() else "pvpython still missing after apt-get"
