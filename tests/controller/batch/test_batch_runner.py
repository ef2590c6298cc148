"""The batch runner waits for the units in flight when interrupted, however the signal lands.

The slots are faked here: one unit blocks until the test lets it go, while the
main thread is interrupted again and again. ``run()`` must not return before
that unit is recorded (CPython 3.11's ``Thread.join``, cut short by a signal,
can report a running thread as stopped). The signals start as soon as the
blocking unit has started, possibly while the other slot is still starting.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import pytest

from mfg_ctl.batch.runner import BatchRunner, BatchSetup
from mfg_ctl.plan import load_plan
from mfg_ctl.run.events import RunFinished, UnitIdentity
from mfg_ctl.run.sequencer import Terminated
from tests.controller.batch.support import PLAN

GUARD_S = 30.0


@contextlib.contextmanager
def sigterm_terminates(heard: threading.Event) -> Iterator[None]:
    """While it lasts, SIGTERM raises Terminated in the main thread, as in the CLI (and sets
    ``heard``)."""

    def terminate(_signum: int, _frame: FrameType | None) -> None:
        heard.set()
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_run_returns_only_after_the_unit_in_flight_is_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow_started, release, heard = threading.Event(), threading.Event(), threading.Event()
    returned = threading.Event()
    recorded: list[str] = []

    def fake_test(_runner: BatchRunner, _slot: Any, sn: str) -> RunFinished:
        if sn == "SLOW":
            slow_started.set()
            release.wait(GUARD_S)
        else:
            heard.wait(GUARD_S)  # the other slot's units wait for the interrupt
        recorded.append(sn)
        return RunFinished(f"run-{sn}", "pass", 1, 0, 0, 0.0, datetime.now(UTC))

    monkeypatch.setattr(BatchRunner, "_test", fake_test)
    monkeypatch.setattr(BatchRunner, "_slots", lambda _runner: contextlib.nullcontext([1, 2]))
    units = ("SLOW", *(f"SN{number}" for number in range(1000)))
    setup = BatchSetup(load_plan(PLAN), UnitIdentity(batch_id="B1"), units, parallel=2)
    runner = BatchRunner(setup, None, None)
    main = threading.main_thread().ident
    assert main is not None

    def interrupt_then_release() -> None:
        slow_started.wait(GUARD_S)
        for _ in range(10):  # the main thread is waiting on the slots: interrupt it, often
            if returned.is_set():  # too early: the bug this test is about
                break
            signal.pthread_kill(main, signal.SIGTERM)
            release.wait(0.03)
        release.set()

    helper = threading.Thread(target=interrupt_then_release, daemon=True)
    with sigterm_terminates(heard):
        helper.start()
        try:
            outcome = runner.run()
            recorded_at_return = list(recorded)
        finally:
            returned.set()
            release.set()
            helper.join(GUARD_S)  # no signal comes once the handler is gone
    assert isinstance(outcome.interrupted, Terminated)
    assert "SLOW" in recorded_at_return  # run() waited for it
    assert len(recorded_at_return) + len(outcome.not_tested) == len(units)
    assert outcome.not_tested  # the interrupt stopped the batch early


def test_run_leaves_ctrl_c_and_sigterm_deliverable_however_fast_the_slots_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Slots that end before the main thread waits must not leave the signals held."""
    monkeypatch.setattr(BatchRunner, "_slots", lambda _runner: contextlib.nullcontext([1, 2]))
    before = signal.pthread_sigmask(signal.SIG_BLOCK, set())
    setup = BatchSetup(load_plan(PLAN), UnitIdentity(batch_id="B1"), (), parallel=2)
    outcome = BatchRunner(setup, None, None).run()
    assert outcome.tested == []
    assert signal.pthread_sigmask(signal.SIG_BLOCK, set()) == before
    assert signal.SIGINT not in before
    assert signal.SIGTERM not in before
