"""Light file helpers shared by the run loop and tools that must not import DOLFINx (e.g. sweeps)."""

from __future__ import annotations

import os
from pathlib import Path

SUMMARY = "summary.json"


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` via a temporary file and an atomic rename."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
