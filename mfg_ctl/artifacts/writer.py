"""A run folder's five files, kept from the events of each unit's run.

``DIR/<run_id>/`` holds ``events.jsonl`` and ``events.csv`` (one row per step
attempt), ``results_summary.json``, ``coverage_matrix.csv`` and
``qualification_report.html``. A unit's rows are appended in one write when its
run has ended (a batch killed mid-unit leaves no half unit behind); the other
three files are computed again from ``events.jsonl`` by :meth:`RunArtifacts.finish`
and replaced whole.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from mfg_ctl.analytics.records import UnitRun, runs_from_rows
from mfg_ctl.analytics.yields import yield_report
from mfg_ctl.artifacts.coverage import coverage_csv, coverage_matrix, plan_steps
from mfg_ctl.artifacts.files import (
    ArtifactError,
    append_text,
    attempt_rows_csv,
    attempt_rows_jsonl,
    attempt_rows_texts,
    read_attempt_rows,
    write_atomic,
)
from mfg_ctl.artifacts.html import render_qualification_report
from mfg_ctl.plan import Plan
from mfg_ctl.run.events import (
    Event,
    RunFinished,
    RunStarted,
    StepAttempt,
    StepFinished,
    plan_hash,
)

__all__ = ["FILES", "RunArtifacts", "RunFolder", "attempt_rows", "batch_summary"]

#: The files of a run folder, in the order they are written.
FILES = (
    "events.jsonl",
    "events.csv",
    "results_summary.json",
    "coverage_matrix.csv",
    "qualification_report.html",
)


def attempt_rows(events: Sequence[Event]) -> list[dict[str, Any]]:
    """The attempt rows of one ended run (RunStarted ... RunFinished), in the order they came."""
    started = next(e for e in events if isinstance(e, RunStarted))
    finished = next(e for e in events if isinstance(e, RunFinished))
    requirements = {e.number: e.requirements for e in events if isinstance(e, StepFinished)}
    unit = started.identity
    head = {
        "run_id": started.run_id,
        "batch_id": unit.batch_id,
        "station_id": unit.station_id,
        "stage": unit.stage,
        "sn": unit.sn,
        "operator": unit.operator,
        "plan": started.plan_name,
        "plan_version": started.plan_version,
        "plan_hash": plan_hash(started.plan_text),
        "run_status": finished.status,
        "run_started": started.started_at.isoformat(),
    }
    return [
        {
            **head,
            "step": attempt.name,
            "step_index": attempt.number,
            "attempt": attempt.attempt,
            "status": attempt.status,
            "value": attempt.value,
            "low": attempt.low,
            "high": attempt.high,
            "unit": attempt.unit,
            "error_code": attempt.error_code,
            "reason": attempt.reason,
            "requirements": list(requirements.get(attempt.number, ())),
            "started": attempt.started_at.isoformat(),
            "finished": attempt.finished_at.isoformat(),
        }
        for attempt in events
        if isinstance(attempt, StepAttempt)
    ]


class RunArtifacts:
    """The files of one run folder: rows appended per run, the rest rewritten by :meth:`finish`.

    ``header`` is the ``batch`` part of ``results_summary.json`` (batch id,
    station, stage, operators, plan, times). Thread-safe: a batch's slots add
    their units' runs concurrently.
    """

    def __init__(self, folder: Path, plan: Plan, header: Mapping[str, Any]) -> None:
        self.folder = folder
        self.plan = plan
        self.header = dict(header)
        self._lock = threading.Lock()

    @property
    def events_path(self) -> Path:
        """``events.jsonl``."""
        return self.folder / FILES[0]

    def create(self) -> None:
        """Make the folder (ArtifactError if it cannot be written)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ArtifactError(f"cannot create {self.folder}: {error.strerror}") from None

    def add_run(self, events: Sequence[Event]) -> None:
        """Append one ended run's attempt rows to ``events.jsonl`` and ``events.csv``."""
        rows = attempt_rows(events)
        jsonl, csv_rows = attempt_rows_texts(rows, header=False)
        with self._lock:
            csv_path = self.folder / FILES[1]
            if not csv_path.exists() or csv_path.stat().st_size == 0:
                csv_rows = attempt_rows_csv([], header=True) + csv_rows
            append_text(self.events_path, jsonl)
            append_text(csv_path, csv_rows)

    def keep_only(self, run_ids: set[str]) -> int:
        """Drop the rows of runs not in ``run_ids`` (written by a process killed before it could
        record them); returns how many runs were dropped."""
        if not self.events_path.exists():
            return 0
        rows = read_attempt_rows(self.events_path)
        kept = [row for row in rows if row["run_id"] in run_ids]
        dropped = {row["run_id"] for row in rows} - run_ids
        if dropped:
            write_atomic(self.events_path, attempt_rows_jsonl(kept))
            write_atomic(self.folder / FILES[1], attempt_rows_csv(kept, header=True))
        return len(dropped)

    def finish(self, not_tested: Sequence[str], finished_at: str | None) -> dict[str, Any]:
        """Write the summary, the coverage matrix and the report from ``events.jsonl``.

        Returns the summary as written.
        """
        with self._lock:
            rows = read_attempt_rows(self.events_path) if self.events_path.exists() else []
            runs = runs_from_rows(rows)
            matrix = coverage_matrix(self.plan.requirements, plan_steps(self.plan), runs)
            summary = self.summary(runs, not_tested, finished_at)
            summary["coverage"] = matrix.to_dict()
            write_atomic(self.folder / FILES[2], json.dumps(summary, indent=2) + "\n")
            write_atomic(self.folder / FILES[3], coverage_csv(matrix))
            write_atomic(self.folder / FILES[4], render_qualification_report(summary, matrix, rows))
            return summary

    def summary(
        self, runs: Sequence[UnitRun], not_tested: Sequence[str], finished_at: str | None
    ) -> dict[str, Any]:
        """``results_summary.json``: the header, the yield figures, each run's outcome."""
        return batch_summary(self.header, runs, not_tested, finished_at)


def batch_summary(
    header: Mapping[str, Any],
    runs: Sequence[UnitRun],
    not_tested: Sequence[str],
    finished_at: str | None,
) -> dict[str, Any]:
    """A batch's summary (``results_summary.json`` less its coverage): the header, the yield
    figures, each run's outcome and the units not tested."""
    figures = yield_report(runs).to_dict()
    operators = sorted({run.operator for run in runs if run.operator})
    return {
        "batch": {**header, "operators": operators, "finished": finished_at},
        "units": {**figures["units"], "not_tested": len(not_tested)},
        "yield": figures["yield"],
        "pareto": figures["pareto"],
        "stratification": figures["stratification"],
        "unit_outcomes": [_outcome(run) for run in runs],
        "not_tested": list(not_tested),
    }


def _outcome(run: UnitRun) -> dict[str, Any]:
    failing = next((s for s in run.steps if s.status in ("fail", "error")), None)
    return {
        "sn": run.sn,
        "run_id": run.run_id,
        "status": run.status,
        "first_failure": None if failing is None else f"{failing.index} {failing.name}",
        "retried": run.retried,
        "error_codes": [code for step in run.steps for code in step.error_codes],
    }


class RunFolder:
    """An observer writing one run's folder ``root/<run_id>/`` when the run ends (``--artifacts``).

    The run is its own batch of one: the summary names its unit's batch,
    station and stage if the run was told them.
    """

    def __init__(self, root: Path, plan: Plan) -> None:
        self.root = root
        self.plan = plan
        self.folder: Path | None = None
        self._events: list[Event] = []

    def __call__(self, event: Event) -> None:
        self._events.append(event)
        if not isinstance(event, RunFinished):
            return
        started = next(e for e in self._events if isinstance(e, RunStarted))
        unit = started.identity
        self.folder = self.root / started.run_id
        header = {
            "batch_id": unit.batch_id,
            "station_id": unit.station_id,
            "stage": unit.stage,
            "plan": self.plan.name,
            "plan_version": self.plan.version,
            "plan_hash": self.plan.hash,
            "started": started.started_at.isoformat(),
            "run_dir": str(self.folder),
        }
        artifacts = RunArtifacts(self.folder, self.plan, header)
        artifacts.create()
        artifacts.add_run(self._events)
        artifacts.finish([], event.finished_at.isoformat())
