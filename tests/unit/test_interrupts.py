"""sim.interrupts.armed, what a run and a sweep stop under: SIGTERM and SIGINT raise
KeyboardInterrupt at once, except inside `deferred()`, where they wait for the block's end; the
handlers the caller had (Python's own, from a notebook or a script) come back after."""

from __future__ import annotations

import os
import signal
import time

import pytest

from sim import interrupts


def _signal(sig: int) -> None:
    os.kill(os.getpid(), sig)
    time.sleep(0.05)  # the handler runs between bytecodes: it has run by the end of the sleep


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_waits_for_the_deferred_block(sig: int) -> None:
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    finished = False
    with pytest.raises(KeyboardInterrupt), interrupts.armed():
        with interrupts.deferred():
            _signal(sig)
            finished = True  # not raised inside
        pytest.fail("not raised at the end of the deferred block")
    assert finished
    with pytest.raises(KeyboardInterrupt), interrupts.armed():
        _signal(sig)  # outside a deferred block: at once
        pytest.fail("not raised at once")
    assert {s: signal.getsignal(s) for s in before} == before
