"""SIGINT and SIGTERM from process start: the `sim` CLI installs `handler` before any other import.

While *deferred* (from `install` until `arm`, and inside `deferred()`), a signal is only recorded:
raising KeyboardInterrupt in the middle of importing a compiled module (DOLFINx, PETSc, MPI) can
leave it half-initialised and crash the interpreter (measured: exit -11 for a SIGTERM during
`import dolfinx`). Leaving the deferred state raises the recorded interrupt; when armed, a signal
raises KeyboardInterrupt at once (the run loop turns it into summary `interrupted`, exit 130) —
unless an import is under way (a lazy `import matplotlib` or DOLFINx's nanobind module inside the
run: measured exit -11 for a SIGINT there): then the signal is delivered again every 50 ms until the
import is over.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

_state = {"deferring": True, "pending": False, "redelivery": False}
_RETRY_S = 0.05


def handler(signum: int, frame: FrameType | None) -> None:
    """SIGINT/SIGTERM: record while deferred, deliver again later during an import, else raise
    KeyboardInterrupt."""
    if _state["deferring"]:
        _state["pending"] = True
        return
    if _importing(frame):
        if not _state["redelivery"]:
            _state["redelivery"] = True
            threading.Timer(_RETRY_S, _redeliver, (signum,)).start()
        return
    raise KeyboardInterrupt


def _importing(frame: FrameType | None) -> bool:
    """Whether importlib is on the stack of `frame` (a module is being imported)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _redeliver(signum: int) -> None:
    _state["redelivery"] = False
    signal.raise_signal(signum)


def install() -> None:
    """Route SIGINT and SIGTERM to `handler` (deferred until `arm`)."""
    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def arm() -> None:
    """From now on a signal raises KeyboardInterrupt; one recorded while deferred raises now."""
    _state["deferring"] = False
    if _state["pending"]:
        _state["pending"] = False
        raise KeyboardInterrupt


@contextmanager
def armed() -> Iterator[None]:
    """SIGINT and SIGTERM routed to `handler` and armed for the duration (a run, a sweep; also
    when called from Python, where `install` never ran), so `deferred()` holds them back there as
    everywhere; the previous handlers and state come back after."""
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    before = _state["deferring"]
    try:
        arm()
        yield
    finally:
        _state["deferring"] = before
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextmanager
def deferred() -> Iterator[None]:
    """Hold signals back (e.g. around heavy imports); a signal that came meanwhile is raised on exit."""
    before = _state["deferring"]
    _state["deferring"] = True
    try:
        yield
    finally:
        _state["deferring"] = before
    if not before:
        arm()


@contextmanager
def ignored() -> Iterator[None]:
    """Drop signals (e.g. while a run writes its summary: the outcome is being recorded already)."""
    before = _state["deferring"]
    _state["deferring"] = True
    try:
        yield
    finally:
        _state["deferring"] = before
        _state["pending"] = False
