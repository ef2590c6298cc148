"""What yield analytics read: one record per run of a unit, from the store or from artifacts.

Both sources of the figures meet here. A batch's ``events.jsonl`` holds one
row per step attempt (:data:`ATTEMPT_FIELDS`); :func:`runs_from_rows` folds
those rows back into :class:`UnitRun` records, and the run store builds the
same records from its tables, so ``mfg-ctl analytics`` gives the same figures
from either. Pure data: no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mfg_ctl.wording import clip, describe_type

__all__ = [
    "ATTEMPT_FIELDS",
    "FINISHED_STATUSES",
    "STEP_STATUSES",
    "UNFINISHED",
    "StepRecord",
    "UnitRun",
    "check_row",
    "runs_from_rows",
]

#: The fields of one step attempt in ``events.jsonl`` and ``events.csv``, in column order.
#: ``attempt`` counts from 1 (0: a step the run skipped); ``run_status`` and
#: ``run_started`` repeat the run's outcome on each of its rows.
ATTEMPT_FIELDS = (
    "run_id",
    "batch_id",
    "station_id",
    "stage",
    "sn",
    "operator",
    "plan",
    "plan_version",
    "plan_hash",
    "run_status",
    "run_started",
    "step",
    "step_index",
    "attempt",
    "status",
    "value",
    "low",
    "high",
    "unit",
    "error_code",
    "reason",
    "requirements",
    "started",
    "finished",
)

#: What an attempt (and a step's final result) can be.
STEP_STATUSES = ("pass", "fail", "error", "skipped")
#: How a recorded run of a unit ended (the run store's statuses, less ``running``).
FINISHED_STATUSES = ("passed", "failed", "error", "aborted")


#: The status of a run still going: its rows are left out of the figures.
UNFINISHED = "running"
#: The most missing fields an error line names one by one.
_NAMED_MISSING = 4
_TEXT_FIELDS = ("run_id", "sn", "step", "run_status", "status", "run_started")


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


def _requirements_problem(value: Any) -> str | None:
    if isinstance(value, list | str) and all(isinstance(item, str) for item in value):
        return None
    return f"requirements must be a list of requirement ids, not {describe_type(value)}"


def check_row(row: Any) -> str | None:
    """What is wrong with one decoded attempt row (a line of ``events.jsonl``), or None."""
    return (
        _shape(row)
        or _types(row)
        or _values(row)
        or _requirements_problem(row["requirements"])
    )



@dataclass(frozen=True)
class StepRecord:
    """One step of a unit's run: its final status and every attempt's error code."""

    index: int  # the step's number in its plan, from 1
    name: str
    status: str  # the last attempt's: one of STEP_STATUSES
    attempts: int  # 0 for a skipped step
    error_codes: tuple[str, ...] = ()  # the code of each attempt that had one, in order
    requirements: tuple[str, ...] = ()

    @property
    def passed_on_retry(self) -> bool:
        """It passed, but not on its first attempt."""
        return self.status == "pass" and self.attempts > 1


@dataclass(frozen=True)
class UnitRun:
    """One run of a plan on one unit, as the analytics count it."""

    run_id: str
    sn: str
    batch_id: str
    station_id: str
    stage: str
    operator: str
    plan_name: str
    plan_version: str
    plan_hash: str
    started: datetime
    status: str  # one of FINISHED_STATUSES
    steps: tuple[StepRecord, ...] = ()

    @property
    def passed(self) -> bool:
        """The unit passed this run."""
        return self.status == "passed"

    @property
    def retried(self) -> bool:
        """Some step of this run passed only on a retry."""
        return any(step.passed_on_retry for step in self.steps)


def runs_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[UnitRun]:
    """Fold attempt rows (as read from ``events.jsonl``) into runs, in order of first row.

    A step's final status is its last attempt's; its error codes are those of
    all its attempts. ``requirements`` may be a list or a ``;``-separated string
    (``events.csv``).
    """
    heads: dict[str, Mapping[str, Any]] = {}
    attempts: dict[str, dict[int, list[Mapping[str, Any]]]] = {}
    for row in rows:
        run_id = str(row["run_id"])
        heads.setdefault(run_id, row)
        attempts.setdefault(run_id, {}).setdefault(int(row["step_index"]), []).append(row)
    runs = []
    for run_id, head in heads.items():
        steps = []
        for index, tries in sorted(attempts[run_id].items()):
            tries.sort(key=lambda row: int(row["attempt"]))
            last = tries[-1]
            steps.append(
                StepRecord(
                    index=index,
                    name=str(last["step"]),
                    status=str(last["status"]),
                    attempts=int(last["attempt"]),
                    error_codes=tuple(str(r["error_code"]) for r in tries if r["error_code"]),
                    requirements=_requirements(last["requirements"]),
                )
            )
        runs.append(
            UnitRun(
                run_id=run_id,
                sn=str(head["sn"]),
                batch_id=str(head["batch_id"]),
                station_id=str(head["station_id"]),
                stage=str(head["stage"]),
                operator=str(head["operator"]),
                plan_name=str(head["plan"]),
                plan_version=str(head["plan_version"]),
                plan_hash=str(head["plan_hash"]),
                started=datetime.fromisoformat(str(head["run_started"])),
                status=str(head["run_status"]),
                steps=tuple(steps),
            )
        )
    return runs


def _requirements(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part for part in value.split(";") if part)
    return tuple(str(part) for part in value or ())
