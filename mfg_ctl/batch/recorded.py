"""A batch read back from the run store: what ``mfg-ctl report --batch-id`` and ``mfg-ctl batch
--html/--pdf/...`` make their files from.

The summary is computed as the batch's run folder computes ``results_summary.json``
(:func:`~mfg_ctl.artifacts.writer.batch_summary`), from the store's records of the
batch's units, so the two agree; the coverage matrix comes from the plan text the batch
ran. A batch the store does not know is :class:`~mfg_ctl.store.StoreError`'s
:class:`BatchNotFound`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mfg_ctl.analytics.records import UnitRun
from mfg_ctl.artifacts.coverage import CoverageMatrix, coverage_matrix, plan_steps
from mfg_ctl.artifacts.writer import batch_summary
from mfg_ctl.batch.lifecycle import batch_header
from mfg_ctl.plan import Plan, PlanError, parse_plan
from mfg_ctl.report import RunReport
from mfg_ctl.report.tables import step_rows
from mfg_ctl.store import RunStore, StoredRun, StoreError
from mfg_ctl.store.models import BatchRecord
from mfg_ctl.wording import clip

__all__ = ["BatchNotFound", "RecordedBatch", "recorded_batch"]


class BatchNotFound(StoreError, LookupError):  # noqa: N818 - the CLI's name for it
    """The store has no batch of that id."""


@dataclass(frozen=True)
class RecordedBatch:
    """One batch as the store holds it: its record, summary (coverage included), coverage
    matrix, step rows and runs."""

    record: BatchRecord
    summary: dict[str, Any]
    matrix: CoverageMatrix
    rows: tuple[dict[str, Any], ...]
    runs: tuple[StoredRun, ...]

    @property
    def reports(self) -> tuple[RunReport, ...]:
        """Each unit run's report, oldest first (JUnit: one testsuite each)."""
        return tuple(RunReport.from_stored(run) for run in self.runs)

    def json_text(self) -> str:
        """The summary as the batch's ``results_summary.json`` has it."""
        return json.dumps(self.summary, indent=2) + "\n"


def _plan(record: BatchRecord) -> Plan | None:
    """The plan the batch ran, from its recorded text (None if it no longer parses, e.g. its
    requirements file has moved: the coverage then lists the ids the steps name)."""
    try:
        return parse_plan(record.plan_text, record.plan_path)
    except PlanError:
        return None


def recorded_batch(store: RunStore, batch_id: str) -> RecordedBatch:
    """Read batch ``batch_id`` back from ``store`` (StoreError if it cannot be read)."""
    record = store.batch(batch_id)
    if record is None:
        raise BatchNotFound(f"no batch {clip(batch_id)} in {store.where}; see mfg-ctl runs")
    units: Sequence[UnitRun] = store.unit_runs(batch_id=batch_id)
    runs = tuple(store.batch_runs(batch_id))
    plan = _plan(record)
    header = batch_header(record, plan.version if plan is not None else "")
    tested = {unit.sn for unit in units}
    not_tested = [sn for sn in record.sns if sn not in tested]
    finished = record.finished_at.isoformat() if record.finished_at is not None else None
    steps = plan_steps(plan) if plan is not None else ()
    matrix = coverage_matrix(plan.requirements if plan is not None else None, steps, units)
    summary = batch_summary(header, units, not_tested, finished)
    summary["coverage"] = matrix.to_dict()
    rows = tuple(row for run in runs for row in step_rows(run))
    return RecordedBatch(record, summary, matrix, rows, runs)
