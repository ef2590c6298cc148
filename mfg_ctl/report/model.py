"""What a report shows, built from a live run's events or from a stored run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import cast

from mfg_ctl.run.events import (
    NO_UNIT,
    DeviceInfo,
    Event,
    ReadingsByStep,
    RunFinished,
    RunStarted,
    StepFinished,
    StepVerdict,
    SweepReading,
    UnitIdentity,
)
from mfg_ctl.store import StoredRun

__all__ = ["RunReport", "StepLine"]


@dataclass(frozen=True)
class StepLine:
    """One step's outcome, as the report prints it."""

    number: int
    name: str
    device: str
    register: str
    action: str
    verdict: StepVerdict
    detail: str
    measured: float | None = None
    expected: float | None = None
    low: float | None = None
    high: float | None = None
    attempts: int = 1
    duration_s: float = 0.0
    teardown: bool = False
    error_code: str = ""
    requirements: tuple[str, ...] = ()
    unit: str = ""  # of measured


@dataclass(frozen=True)
class RunReport:
    """A whole run: plan, verdict, timing, devices and step lines.

    ``readings`` are the raw readings of its sweep steps (a TempCo curve), each
    step's last attempt's, in step order.
    """

    run_id: str
    plan_name: str
    plan_path: str
    framing: str
    verdict: str  # pass / fail / error / aborted / running
    started_at: datetime
    duration_s: float
    step_count: int
    devices: tuple[DeviceInfo, ...] = ()
    steps: tuple[StepLine, ...] = ()
    first_failure: str | None = None
    parent_run_id: str | None = None
    finished_at: datetime | None = None
    devices_from: str = ""  # SIMULATED_HERE or the station file as given
    identity: UnitIdentity = NO_UNIT
    plan_version: str = ""
    readings: tuple[SweepReading, ...] = ()

    @property
    def unit_line(self) -> str:
        """``Unit: SN0001, batch B1, station ST1, stage EVT, operator ana`` ("": no unit named)."""
        unit = self.identity
        if not (unit.sn or unit.batch_id or unit.station_id or unit.stage):
            return ""
        parts = [f"Unit: {unit.sn or '-'}"]
        labels = ("batch", "station", "stage", "operator")
        values = (unit.batch_id, unit.station_id, unit.stage, unit.operator)
        parts += [f"{label} {value}" for label, value in zip(labels, values, strict=True) if value]
        return ", ".join(parts)

    @property
    def where(self) -> str:
        """The context line: ``devices: simulated in-process`` or ``devices: FILE``."""
        return f"devices: {self.devices_from or 'not recorded'}"

    @property
    def passed(self) -> int:
        """Steps that passed."""
        return sum(step.verdict == "pass" for step in self.steps)

    @classmethod
    def from_stored(cls, stored: StoredRun, readings: Iterable[SweepReading] = ()) -> RunReport:
        """Rebuild the report of a run from the run store.

        ``readings``: its sweep readings, which the store gives apart
        (``RunStore.sweep_readings(run_id)``).
        """
        return replace(_from_stored(stored), readings=tuple(readings))

    @classmethod
    def from_events(cls, events: Iterable[Event]) -> RunReport:
        """Build the report of a run from its events (RunStarted first)."""
        started: RunStarted | None = None
        finished: RunFinished | None = None
        steps: list[StepLine] = []
        readings: list[SweepReading] = []
        by_step = ReadingsByStep()
        for event in events:
            by_step.see(event)
            if isinstance(event, RunStarted):
                started = event
            elif isinstance(event, StepFinished):
                steps.append(step_line(event))
                readings += by_step.take(event)
            elif isinstance(event, RunFinished):
                finished = event
        if started is None:
            raise ValueError("no RunStarted event")
        verdict = "running"
        if finished is not None:
            verdict = "aborted" if finished.aborted else finished.verdict
        return cls(
            run_id=started.run_id,
            plan_name=started.plan_name,
            plan_path=started.plan_path,
            framing=started.framing,
            verdict=verdict,
            started_at=started.started_at,
            duration_s=finished.duration_s if finished else 0.0,
            step_count=started.step_count,
            devices=started.devices,
            steps=tuple(steps),
            first_failure=finished.first_failure if finished else None,
            parent_run_id=started.parent_run_id,
            finished_at=finished.finished_at if finished else None,
            devices_from=started.where,
            identity=started.identity,
            plan_version=started.plan_version,
            readings=tuple(readings),
        )


def _from_stored(stored: StoredRun) -> RunReport:
    steps = tuple(
        StepLine(
            number=s.number,
            name=s.name,
            device=s.device,
            register=s.register,
            action=s.action,
            verdict=cast("StepVerdict", s.verdict),
            detail=s.detail,
            measured=s.measured,
            expected=s.expected,
            low=s.low,
            high=s.high,
            attempts=s.attempts,
            duration_s=s.duration_s,
            teardown=s.teardown,
            error_code=s.error_code,
            requirements=s.requirements,
            unit=s.unit,
        )
        for s in stored.steps
    )
    return RunReport(
        run_id=stored.run_id,
        plan_name=stored.plan_name,
        plan_path=stored.plan_path,
        framing=stored.framing,
        verdict={"passed": "pass", "failed": "fail"}.get(stored.status, stored.status),
        started_at=stored.started_at,
        duration_s=stored.duration_s or 0.0,
        step_count=stored.step_count,
        devices=stored.devices,
        steps=steps,
        first_failure=stored.first_failure,
        parent_run_id=stored.parent_run_id,
        finished_at=stored.finished_at,
        devices_from=stored.devices_from or "",
        identity=stored.identity,
        plan_version=stored.plan_version,
    )


def step_line(event: StepFinished) -> StepLine:
    """The report line of a finished step."""
    return StepLine(
        number=event.number,
        name=event.name,
        device=event.device,
        register=event.target,
        action=event.action,
        verdict=event.verdict,
        detail=event.detail,
        measured=event.measured,
        expected=event.expected,
        low=event.low,
        high=event.high,
        attempts=event.attempts,
        duration_s=event.duration_s,
        teardown=event.teardown,
        error_code=event.error_code,
        requirements=event.requirements,
        unit=event.unit,
    )
