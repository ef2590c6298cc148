"""Test a batch: each slot (a set of devices) takes the next serial number until none is left.

Theory of operation. One thread per slot; every unit is one
:class:`~mfg_ctl.run.sequencer.Sequencer` run whose events are collected and,
once the run has ended, written in one go: first its rows to the run folder,
then the run to the store in one transaction. So a batch killed with ``-9``
leaves every finished unit stored, and at most one unit's rows in the folder
that the store lacks (``--resume`` drops them and tests that unit again).

The batch stops taking new units when the main thread is interrupted (Ctrl-C,
SIGTERM: the units in flight finish), when a unit's plan says
``on_exhausted: abort-batch``, when the store or the folder cannot be written,
or when every slot has lost a device. Units never started are "not tested".
When ``mfg-ctl`` serves the devices itself, each unit's line devices (the dut)
are made a fresh unit first, seeded by (``--seed``, serial number), so a batch
run twice gives the same outcomes whatever slot a unit lands in.
"""

from __future__ import annotations

import dataclasses
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from mfg_ctl.artifacts.writer import RunArtifacts
from mfg_ctl.batch.units import unit_seed
from mfg_ctl.connect import Connected, open_devices
from mfg_ctl.plan import Plan
from mfg_ctl.run.events import Event, Observer, RunFinished, UnitIdentity
from mfg_ctl.run.sequencer import Sequencer, Terminated
from mfg_ctl.stations import Framing, Station
from mfg_ctl.store import RunStore
from simulators.client import Client

__all__ = ["BatchOutcome", "BatchRunner", "BatchSetup", "UnitDone"]

#: How long the main thread sleeps between looks at the slots (it must stay interruptible).
_POLL_S = 0.1
#: Ctrl-C and SIGTERM: held while the slots start, so they land where they stop a batch gently.
_STOP_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})


@dataclass(frozen=True)
class BatchSetup:
    """What to test and where: the plan, the units, the slots' devices and the DUT behaviour."""

    plan: Plan
    identity: UnitIdentity  # batch, station, stage and operator; each unit adds its sn
    sns: tuple[str, ...]
    parallel: int = 1
    station: Station | None = None  # None: serve one simulated device set per slot
    framing: Framing | None = None
    dut_profile: str = "clean"
    seed: int = 0
    devices_from: str = ""


@dataclass(frozen=True)
class UnitDone:
    """One unit tested: its serial number and how its run ended."""

    sn: str
    finished: RunFinished


@dataclass
class BatchOutcome:
    """How a batch ended: units tested, units not tested, and why it stopped early if it did."""

    tested: list[UnitDone] = field(default_factory=list)
    not_tested: list[str] = field(default_factory=list)
    interrupted: BaseException | None = None  # Ctrl-C or SIGTERM
    stopped_by_plan: str = ""  # the serial number whose abort-batch stopped it
    unreachable: str = ""  # why the last slot was lost
    failure: Exception | None = None  # the store or the folder failed


class BatchRunner:
    """Runs a :class:`BatchSetup`, recording into ``store`` and ``artifacts`` (either may be None).

    ``on_unit`` hears each unit as it is recorded (from the slots' threads);
    ``observers`` hear every event as it happens, from the slots' threads too.
    """

    def __init__(
        self,
        setup: BatchSetup,
        store: RunStore | None,
        artifacts: RunArtifacts | None,
        on_unit: Callable[[UnitDone], None] = lambda done: None,
        observers: Sequence[Observer] = (),
    ) -> None:
        self.setup = setup
        self.store = store
        self.artifacts = artifacts
        self.on_unit = on_unit
        self.observers = tuple(observers)
        self._queue = deque(setup.sns)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._outcome = BatchOutcome()
        self._live_slots = 0
        self._working = 0  # slot threads not yet returned (counted by us, not by Thread)
        self._all_returned = threading.Event()

    def stop(self) -> None:
        """Take no new unit; the units in flight finish."""
        self._stop.set()

    def run(self) -> BatchOutcome:
        """Test the units; return how it went. Ctrl-C in the main thread stops it gracefully."""
        outcome = self._outcome
        with self._slots() as slots:
            threads = [
                threading.Thread(target=self._work, args=(slot,), name=f"slot-{place}", daemon=True)
                for place, slot in enumerate(slots, start=1)
            ]
            self._live_slots = self._working = len(threads)
            # The slots start with Ctrl-C and SIGTERM held (they inherit the mask, so
            # only the main thread ever gets them); the main thread takes them again in
            # _wait, where an interrupt stops the batch gracefully.
            held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
            try:
                for thread in threads:
                    thread.start()
                self._wait(held)
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, held)
        with self._lock:
            outcome.not_tested = [sn for sn in self.setup.sns if sn in set(self._queue)]
        return outcome

    def _wait(self, held: set[signal.Signals | int]) -> None:
        """Wait for every slot thread to return, turning an interrupt into a graceful stop.

        ``held`` is the signal mask to restore: a Ctrl-C that came while the
        slots started is raised here, where it stops the batch gracefully. The
        slots count themselves out (see :meth:`_work`): ``Thread.join`` cut
        short by Ctrl-C can mark a thread that still runs as stopped (CPython
        3.11), which would close the batch with a unit still in flight.
        """
        restore = True
        while True:
            try:
                if restore:  # inside the try: a signal held meanwhile is raised right here
                    restore = False
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)
                if self._all_returned.wait(_POLL_S):
                    return
            except (KeyboardInterrupt, Terminated) as stop:
                self._outcome.interrupted = self._outcome.interrupted or stop
                self.stop()

    @contextmanager
    def _slots(self) -> Iterator[list[Connected]]:
        """Connect (or serve) one device set per slot."""
        setup = self.setup
        with ExitStack() as stack:
            yield [
                stack.enter_context(
                    open_devices(
                        setup.plan,
                        None if setup.station is None else setup.station.slot(place),
                        setup.framing,
                        setup.dut_profile,
                    )
                )
                for place in range(setup.parallel)
            ]

    def _next(self) -> str | None:
        with self._lock:
            if self._stop.is_set() or not self._queue:
                return None
            return self._queue.popleft()

    def _work(self, slot: Connected) -> None:
        """One slot's thread: test units until none is left or the batch stops."""
        try:
            self._test_units(slot)
        finally:
            with self._lock:
                self._working -= 1
                if self._working == 0:
                    self._all_returned.set()

    def _test_units(self, slot: Connected) -> None:
        """Test the next unit, until none is left, the batch stops or the slot is lost."""
        while (sn := self._next()) is not None:
            try:
                ended = self._test(slot, sn)
            except Exception as error:
                with self._lock:
                    self._queue.appendleft(sn)
                    self._outcome.failure = self._outcome.failure or error
                self.stop()
                return
            if ended is None:  # the slot lost a device: the unit was not tested
                return

    def _test(self, slot: Connected, sn: str) -> RunFinished | None:
        """Test one unit in ``slot`` and record it; None if the slot lost a device."""
        setup = self.setup
        if setup.station is None:
            self._fresh_units(slot, sn)
        events: list[Event] = []
        sequencer = Sequencer(
            setup.plan,
            slot.clients,
            slot.devices,
            [events.append, *self.observers],
            slot.framing,
            clock_speed=slot.clock_speed,
            devices_from=setup.devices_from,
            identity=dataclasses.replace(setup.identity, sn=sn),
        )
        outcome = sequencer.run()
        for client in slot.clients.values():
            client.close()  # the next unit starts on fresh connections
        if outcome.unreachable:
            with self._lock:
                self._queue.appendleft(sn)
                self._live_slots -= 1
                self._outcome.unreachable = outcome.ended_because
                if self._live_slots == 0:
                    self._stop.set()
            return None
        if self.artifacts is not None:
            self.artifacts.add_run(events)
        if self.store is not None:
            self.store.record_run(events)
        done = UnitDone(sn, outcome.finished)
        with self._lock:
            self._outcome.tested.append(done)
            if outcome.finished.stopped_by == "abort-batch":
                self._outcome.stopped_by_plan = sn
                self._stop.set()
        self.on_unit(done)
        return outcome.finished

    def _fresh_units(self, slot: Connected, sn: str) -> None:
        """Make every simulated line device of the slot a fresh unit seeded by (seed, sn)."""
        seed = unit_seed(self.setup.seed, sn)
        for device in slot.devices:
            if device.framing == "line":
                with Client(device.host, device.port, timeout=5.0) as client:
                    reply = client.custom("new_unit", seed)
                if reply != "ok":
                    raise RuntimeError(f"{device.name} refused a new unit: {reply}")
