"""Between rows and records: the run store's rows made from events, and read back as records.

Query methods return these frozen records, never ORM objects; columns that
older rows left NULL read back as empty values.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import fields
from operator import attrgetter
from typing import Any

from sqlalchemy import Insert, insert

from mfg_ctl.run.events import (
    DeviceInfo,
    Event,
    ReadingsByStep,
    RunFinished,
    RunStarted,
    StepFinished,
    SweepReading,
    UnitIdentity,
)
from mfg_ctl.store.models import (
    Base,
    RunSummary,
    StepResult,
    StoredRun,
    StoredStep,
    SweepReadingRow,
    TestRun,
    plan_hash,
)

__all__ = [
    "device_values",
    "finish_row",
    "finish_values",
    "identity_columns",
    "insert_into",
    "run_values",
    "step_row",
    "step_values",
    "steps_and_sweeps",
    "stored",
    "summary",
    "sweep_reading",
    "sweep_values",
]


class _Fields:
    """A dataclass's fields, read as a shallow dict in one C call (``asdict`` deep-copies
    every value, which a batch of a thousand units pays for tens of thousands of times)."""

    def __init__(self, record: type[Any]) -> None:
        self.names = tuple(f.name for f in fields(record))
        self._get = attrgetter(*self.names)

    def of(self, item: Any) -> dict[str, Any]:
        """The fields of ``item`` by name."""
        return dict(zip(self.names, self._get(item), strict=True))


_STEP_FIELDS = _Fields(StepFinished)
_DEVICE_FIELDS = _Fields(DeviceInfo)
_IDENTITY_FIELDS = _Fields(UnitIdentity)
_READING_FIELDS = _Fields(SweepReading)


def summary(run: TestRun) -> RunSummary:
    """Copy a run's row into a RunSummary."""
    return RunSummary(**_copy(run, RunSummary))


def stored(run: TestRun) -> StoredRun:
    """Copy a run with its devices and steps into a StoredRun."""
    return StoredRun(
        **_copy(run, RunSummary),
        plan_text=run.plan_text,
        selected_steps=tuple(run.selected_steps),
        devices=tuple(DeviceInfo(**_copy(device, DeviceInfo)) for device in run.devices),
        steps=tuple(_stored_step(step) for step in run.steps),
    )


def _stored_step(step: StepResult) -> StoredStep:
    fields_ = _copy(step, StoredStep)
    fields_["teardown"] = bool(step.teardown)
    fields_["error_codes"] = tuple(step.error_codes or ())
    fields_["requirements"] = tuple(step.requirements or ())
    return StoredStep(**fields_)


#: Columns that older rows (or older schemas) left NULL, read back as these.
_EMPTY: dict[str, Any] = {
    "sn": "",
    "batch_id": "",
    "station_id": "",
    "stage": "",
    "operator": "",
    "plan_version": "",
    "skipped": 0,
    "stopped_by": "",
    "error_code": "",
    "unit": "",
}


def _copy(row: Base, record: type[Any]) -> dict[str, Any]:
    """The values of a row's columns named like the fields of a record dataclass."""
    values = {}
    for f in fields(record):
        value = getattr(row, "id" if f.name == "run_id" else f.name)
        values[f.name] = _EMPTY[f.name] if value is None and f.name in _EMPTY else value
    return values


def step_values(ev: StepFinished) -> dict[str, Any]:
    """The column values of a finished step's row: its ``target`` goes in ``register``."""
    values = _STEP_FIELDS.of(ev)
    values["register"] = values.pop("target")
    values["unit"] = ev.unit or None
    values["error_code"] = ev.error_code or None
    values["error_codes"] = list(ev.error_codes)
    values["requirements"] = list(ev.requirements)
    return values


def sweep_values(ev: StepFinished, readings: Sequence[SweepReading]) -> list[dict[str, Any]]:
    """The column values of the rows of a finished step's sweep readings, in order."""
    head = {"run_id": ev.run_id, "step_number": ev.number}
    return [
        {**head, "seq": seq, **_READING_FIELDS.of(reading)} for seq, reading in enumerate(readings)
    ]


def steps_and_sweeps(
    events: Iterable[Event],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The column values of a run's finished steps, and of their sweep readings (each step's
    last attempt's, from the StepProgress events before it)."""
    steps: list[dict[str, Any]] = []
    readings: list[dict[str, Any]] = []
    collected = ReadingsByStep()
    for event in events:
        collected.see(event)
        if isinstance(event, StepFinished):
            steps.append(step_values(event))
            readings += sweep_values(event, collected.take(event))
    return steps, readings


def sweep_reading(row: SweepReadingRow) -> SweepReading:
    """A stored sweep reading as the record the run's events carried."""
    return SweepReading(**_copy(row, SweepReading))


def step_row(ev: StepFinished) -> StepResult:
    """The stored row of a finished step, as an ORM object."""
    return StepResult(**step_values(ev))


@functools.cache
def insert_into(table: type[Base]) -> Insert:
    """The Core INSERT into ``table``, for a list of column values (one ``executemany``).

    Without the ORM's per-object bookkeeping, which was most of what recording
    a batch's unit cost; made once, so its cache key is not built again per unit.
    """
    return insert(table.__table__)  # type: ignore[arg-type]


def run_values(ev: RunStarted, host: str, pid: int) -> dict[str, Any]:
    """The column values of a run's row as it starts (status ``running``, nothing counted)."""
    return {
        "id": ev.run_id,
        "plan_name": ev.plan_name,
        "plan_path": ev.plan_path,
        "plan_text": ev.plan_text,
        "plan_hash": plan_hash(ev.plan_text),
        "devices_from": ev.where,
        "framing": ev.framing,
        "status": "running",
        "started_at": ev.started_at,
        "step_count": ev.step_count,
        "passed": 0,
        "failed": 0,
        "errors": 0,
        "parent_run_id": ev.parent_run_id,
        "selected_steps": list(ev.selected_steps),
        "host": host,
        "pid": pid,
        "plan_version": ev.plan_version,
        "skipped": 0,
        **identity_columns(ev),
    }


def device_values(ev: RunStarted) -> list[dict[str, Any]]:
    """The column values of the rows of a run's devices."""
    return [{"run_id": ev.run_id, **_DEVICE_FIELDS.of(device)} for device in ev.devices]


def finish_values(ev: RunFinished) -> dict[str, Any]:
    """How a run ended, as the column values of its row."""
    return {
        "status": ev.status,
        "passed": ev.passed,
        "failed": ev.failed,
        "errors": ev.errors,
        "skipped": ev.skipped,
        "stopped_by": ev.stopped_by or None,
        "duration_s": ev.duration_s,
        "finished_at": ev.finished_at,
        "first_failure": ev.first_failure,
    }


def finish_row(run: TestRun, ev: RunFinished) -> None:
    """Write how a run ended into its row."""
    for column, value in finish_values(ev).items():
        setattr(run, column, value)


def identity_columns(ev: RunStarted) -> dict[str, str | None]:
    """The unit identity of a run as columns (NULL for what was not said)."""
    return {key: value or None for key, value in _IDENTITY_FIELDS.of(ev.identity).items()}
