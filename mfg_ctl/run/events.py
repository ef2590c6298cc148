"""What a run tells its observers: one small immutable event per thing that happened.

The sequencer emits these and nothing else; the console printer, the run
store, the JSONL log and the web UI all consume the same stream, and none of
them asks the sequencer for more.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

__all__ = [
    "NO_UNIT",
    "RUN_STATUS",
    "SIMULATED_HERE",
    "Event",
    "Observer",
    "OnExhausted",
    "ReadingsByStep",
    "RunFinished",
    "RunStarted",
    "StepAttempt",
    "StepFinished",
    "StepProgress",
    "StepStarted",
    "StepVerdict",
    "SweepReading",
    "UnitIdentity",
    "Verdict",
    "plan_hash",
]

#: ``pass`` and ``fail`` judge a measurement; ``error`` means no trustworthy
#: measurement was made (timeout, dropped connection, device exception).
Verdict = Literal["pass", "fail", "error"]
#: A step's verdict may also be ``skipped``: a plan's ``on_exhausted: skip-rest`` stopped
#: the run before it.
StepVerdict = Literal["pass", "fail", "error", "skipped"]
#: What a run does once a step has not passed after all its attempts (doc/controller.rst).
OnExhausted = Literal["continue", "skip-rest", "abort-unit", "abort-batch"]

#: How a run that ended is recorded, by its verdict (an aborted run is ``aborted``).
RUN_STATUS = {"pass": "passed", "fail": "failed", "error": "error"}


def plan_hash(plan_text: str) -> str:
    """The sha256 of a plan's text: runs of the same plan content share it."""
    return hashlib.sha256(plan_text.encode("utf-8")).hexdigest()


#: Where the devices of a run were when ``mfg-ctl`` served them itself.
SIMULATED_HERE = "simulated in-process"


@dataclass(frozen=True)
class DeviceInfo:
    """Where a device of the run was reached."""

    name: str
    host: str
    port: int
    framing: str
    unit: int = 1
    simulated: bool = True


@dataclass(frozen=True)
class UnitIdentity:
    """Which unit a run tests, where, in which build stage and by whom ("" = not said)."""

    sn: str = ""
    batch_id: str = ""
    station_id: str = ""
    stage: str = ""
    operator: str = ""


#: The identity of a run that names no unit.
NO_UNIT = UnitIdentity()


@dataclass(frozen=True)
class RunStarted:
    """A run began: the plan, its text, where its devices are."""

    run_id: str
    plan_name: str
    plan_path: str
    plan_text: str
    devices: tuple[DeviceInfo, ...]
    framing: str
    started_at: datetime
    step_count: int  # the steps this run executes (all, or those selected)
    parent_run_id: str | None = None  # the run an --only-failed re-run repeats
    selected_steps: tuple[int, ...] = ()  # the plan's step numbers this run executes
    #: Where the devices were: SIMULATED_HERE or the station file as given ("" = unsaid).
    devices_from: str = ""
    identity: UnitIdentity = NO_UNIT
    plan_version: str = ""

    @property
    def where(self) -> str:
        """Where the devices were, said even when the caller did not say it."""
        if self.devices_from:
            return self.devices_from
        if all(device.simulated for device in self.devices):
            return SIMULATED_HERE
        return "a station file"


@dataclass(frozen=True)
class StepStarted:
    """A step is about to run."""

    run_id: str
    number: int  # the step's number in the plan, from 1
    name: str
    device: str
    started_at: datetime


@dataclass(frozen=True, slots=True)
class SweepReading:
    """One raw reading of a temperature sweep: a DMM reading of Vout, and where it was taken.

    ``at`` is the wall clock (UTC) when the reading came back; ``elapsed_s`` the
    bench's seconds since the sweep began (real seconds times the clock speed, so
    a simulated sweep reads in chamber time). ``chamber_c`` (air) and ``dut_c``
    (the product probe on the DUT's case) are the means of the chamber's readings
    taken just before and just after its point's DMM readings: every reading of
    a point shares them.
    """

    at: datetime
    elapsed_s: float
    setpoint_c: float
    chamber_c: float
    dut_c: float | None  # None: a sweep told its chamber has no product probe
    vout_v: float


@dataclass(frozen=True)
class StepProgress:
    """A running step measured a part of what it judges (a TempCo point), before its verdict.

    ``readings`` are the raw readings behind that part (a sweep's), in the order
    taken; a retried step reports its parts again, so only those of its last
    attempt (the progress after its last-but-one :class:`StepAttempt`) count.
    """

    run_id: str
    number: int  # the step's number
    name: str  # the step's name
    part: str  # what was measured: point_25C
    detail: str  # what the report would say about it
    value: float | None = None
    unit: str = ""
    readings: tuple[SweepReading, ...] = ()


@dataclass(frozen=True)
class StepAttempt:
    """One attempt at a step ended (``attempt`` counts from 1), or a skipped step (attempt 0).

    A step retried twice makes three of these before its :class:`StepFinished`.
    ``error_code`` is the device's own code for what went wrong (``E210``), if it gave one.
    """

    run_id: str
    number: int
    name: str
    attempt: int
    status: StepVerdict
    reason: str
    value: float | None = None
    low: float | None = None
    high: float | None = None
    unit: str = ""
    error_code: str = ""
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    finished_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class StepFinished:
    """A step ended with a verdict; ``detail`` is the report text after the name.

    ``target`` is what the step acted on (a register, a SCPI command, ``vout``
    for a sweep; the store and the exports call it ``register``); ``measured``
    is in ``unit``.
    """

    run_id: str
    number: int
    name: str
    device: str
    target: str
    action: str  # write, read, query, sweep, or what another step kind does
    verdict: StepVerdict
    detail: str
    measured: float | None
    expected: float | None = None
    low: float | None = None
    high: float | None = None
    attempts: int = 1
    duration_s: float = 0.0
    finished_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    teardown: bool = False  # one of the plan's teardown steps, which always run
    unit: str = ""
    error_code: str = ""  # the last attempt's device error code, if it had one
    error_codes: tuple[str, ...] = ()  # the code of every attempt that had one, in order
    requirements: tuple[str, ...] = ()  # what the step verifies (traceability)

    @property
    def passed_on_retry(self) -> bool:
        """It passed, but not on its first attempt."""
        return self.verdict == "pass" and self.attempts > 1


@dataclass(frozen=True)
class RunFinished:
    """The run ended: its verdict, counts, and the first failing step if any."""

    run_id: str
    verdict: Verdict
    passed: int
    failed: int
    errors: int
    duration_s: float
    finished_at: datetime
    first_failure: str | None = None  # "9 check_dmm_dc_voltage"
    aborted: bool = False  # stopped before every step ran (Ctrl-C, unreachable device, store)
    skipped: int = 0  # steps an ``on_exhausted: skip-rest`` skipped
    #: The plan's ``on_exhausted`` that ended the run early (abort-unit, abort-batch), if any.
    stopped_by: str = ""

    @property
    def status(self) -> str:
        """How the run is recorded: ``aborted``, else ``passed``, ``failed`` or ``error``."""
        return "aborted" if self.aborted else RUN_STATUS[self.verdict]


Event = RunStarted | StepStarted | StepProgress | StepAttempt | StepFinished | RunFinished
Observer = Callable[[Event], None]


class ReadingsByStep:
    """The sweep readings of each step's last attempt, gathered from a run's events in order.

    Hand it every event (:meth:`see`), then :meth:`take` a step's readings when
    its :class:`StepFinished` arrives: an attempt's readings replace those of
    the attempt before (a retried sweep starts again). Keyed by run and step, so
    one collector may hear several runs.
    """

    def __init__(self) -> None:
        self._pending: dict[tuple[str, int], list[SweepReading]] = {}
        self._attempted: dict[tuple[str, int], tuple[SweepReading, ...]] = {}

    def see(self, event: Event) -> None:
        """Note the readings of a StepProgress; close an attempt on StepAttempt."""
        if isinstance(event, StepProgress) and event.readings:
            self._pending.setdefault((event.run_id, event.number), []).extend(event.readings)
        elif isinstance(event, StepAttempt):
            key = (event.run_id, event.number)
            self._attempted[key] = tuple(self._pending.pop(key, ()))
        elif isinstance(event, RunFinished):  # a step cut short leaves nothing behind
            for held in (self._pending, self._attempted):
                for key in [key for key in list(held) if key[0] == event.run_id]:
                    held.pop(key, None)

    def take(self, finished: StepFinished) -> tuple[SweepReading, ...]:
        """The readings of the finished step's last attempt (forgotten here)."""
        key = (finished.run_id, finished.number)
        pending = tuple(self._pending.pop(key, ()))
        return self._attempted.pop(key, pending)
