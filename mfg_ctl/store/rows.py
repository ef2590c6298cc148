"""Between rows and records: the run store's rows made from events, and read back as records.

Query methods return these frozen records, never ORM objects; columns that
older rows left NULL read back as empty values.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from mfg_ctl.run.events import DeviceInfo, RunFinished, RunStarted, StepFinished
from mfg_ctl.store.models import (
    Base,
    RunSummary,
    StepResult,
    StoredRun,
    StoredStep,
    TestRun,
)

__all__ = ["finish_row", "identity_columns", "step_row", "stored", "summary"]

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
    "sn": "", "batch_id": "", "station_id": "", "stage": "", "operator": "",
    "plan_version": "", "skipped": 0, "stopped_by": "", "error_code": "",
}


def _copy(row: Base, record: type[Any]) -> dict[str, Any]:
    """The values of a row's columns named like the fields of a record dataclass."""
    values = {}
    for f in fields(record):
        value = getattr(row, "id" if f.name == "run_id" else f.name)
        values[f.name] = _EMPTY[f.name] if value is None and f.name in _EMPTY else value
    return values


def step_row(ev: StepFinished) -> StepResult:
    """The stored row of a finished step: its ``target`` goes in the ``register`` column."""
    fields = asdict(ev)
    fields["register"] = fields.pop("target")
    del fields["unit"]  # not stored
    fields["error_code"] = ev.error_code or None
    fields["error_codes"] = list(ev.error_codes)
    fields["requirements"] = list(ev.requirements)
    return StepResult(**fields)


def finish_row(run: TestRun, ev: RunFinished) -> None:
    """Write how a run ended into its row."""
    run.status = ev.status
    run.passed, run.failed, run.errors = ev.passed, ev.failed, ev.errors
    run.skipped, run.stopped_by = ev.skipped, ev.stopped_by or None
    run.duration_s = ev.duration_s
    run.finished_at = ev.finished_at
    run.first_failure = ev.first_failure


def identity_columns(ev: RunStarted) -> dict[str, str | None]:
    """The unit identity of a run as columns (NULL for what was not said)."""
    return {key: value or None for key, value in asdict(ev.identity).items()}
