"""Read a batch's run directory (its ``events.jsonl``) into :class:`UnitRun` records.

Every line is checked before :func:`~mfg_ctl.analytics.records.runs_from_rows`
folds the rows, so a damaged file gives one :class:`EventsFileError` naming
the file and the line, never a traceback. Rows of a run still going
(``run_status`` ``running``) are left out, as the run store leaves out
unfinished runs.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from mfg_ctl.analytics.records import (
    ATTEMPT_FIELDS,
    FINISHED_STATUSES,
    STEP_STATUSES,
    UnitRun,
    runs_from_rows,
)
from mfg_ctl.wording import clip, describe_type

__all__ = ["EVENTS_FILE", "EventsFileError", "check_row", "read_run_dir"]

#: The file of a run directory the analytics read.
EVENTS_FILE = "events.jsonl"
#: A run whose rows are left out: it has not finished.
UNFINISHED = "running"
#: The most missing fields an error line names one by one.
_NAMED_MISSING = 4
_TEXT_FIELDS = ("run_id", "sn", "step", "run_status", "status", "run_started")


class EventsFileError(ValueError):
    """A run directory whose events cannot be read; the message says where and why."""


def _shape(row: Any) -> str | None:
    if not isinstance(row, dict):
        return f"expected a JSON object, found {describe_type(row)}"
    missing = [field for field in ATTEMPT_FIELDS if field not in row]
    if len(missing) > _NAMED_MISSING:
        some = ", ".join(missing[:_NAMED_MISSING])
        return (
            f"missing {len(missing)} of the {len(ATTEMPT_FIELDS)} fields of a step attempt "
            f"({some}, ...): is it a batch's events.jsonl?"
        )
    if missing:
        return f"missing field{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
    return None


def _types(row: dict[str, Any]) -> str | None:
    for field in _TEXT_FIELDS:
        if not isinstance(row[field], str):
            return f"{field} must be text, not {describe_type(row[field])}"
    for field in ("step_index", "attempt"):
        value = row[field]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            return f"{field} must be a whole number, not {clip(value)}"
    if not isinstance(row["error_code"], str | None):
        return f"error_code must be text or null, not {describe_type(row['error_code'])}"
    return None


def _values(row: dict[str, Any]) -> str | None:
    if row["status"] not in STEP_STATUSES:
        return f"status {clip(row['status'])} is not one of {', '.join(STEP_STATUSES)}"
    if row["run_status"] not in (*FINISHED_STATUSES, UNFINISHED):
        known = ", ".join((*FINISHED_STATUSES, UNFINISHED))
        return f"run_status {clip(row['run_status'])} is not one of {known}"
    try:
        datetime.fromisoformat(row["run_started"])
    except ValueError:
        return f"run_started {clip(row['run_started'])} is not an ISO 8601 time"
    return None


def check_row(row: Any) -> str | None:
    """What is wrong with one decoded line of ``events.jsonl``, or None when it is usable."""
    return _shape(row) or _types(row) or _values(row)


def read_run_dir(directory: Path) -> list[UnitRun]:
    """The finished runs recorded in ``directory/events.jsonl``."""
    path = directory / EVENTS_FILE
    if not directory.is_dir():
        raise EventsFileError(f"{directory} is not a directory: give a batch's run directory")
    try:
        with path.open(encoding="utf-8") as lines:
            rows = [_row(path, number, line) for number, line in enumerate(lines, 1)]
    except FileNotFoundError:
        message = f"no {EVENTS_FILE} in {directory}: is it a batch's run directory?"
        raise EventsFileError(message) from None
    except OSError as error:
        raise EventsFileError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise EventsFileError(f"{path} is not UTF-8 text: {error.reason}") from None
    return runs_from_rows(row for row in rows if row and row["run_status"] != UNFINISHED)


def _row(path: Path, number: int, line: str) -> dict[str, Any] | None:
    """One line decoded and checked; None for a blank line."""
    if not line.strip():
        return None
    try:
        row = json.loads(line)
    except ValueError as error:
        raise EventsFileError(f"{path} line {number}: not valid JSON ({error})") from None
    except RecursionError:
        raise EventsFileError(f"{path} line {number}: JSON nested too deep") from None
    problem = check_row(row)
    if problem:
        raise EventsFileError(f"{path} line {number}: {problem}")
    return row  # type: ignore[no-any-return]  # check_row made sure it is a dict
