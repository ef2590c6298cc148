"""``mfg-ctl export``: the step results of recorded runs as CSV, for a spreadsheet or a notebook.

The columns are those of a batch's ``events.csv``
(:data:`~mfg_ctl.analytics.records.ATTEMPT_FIELDS`), so one reader takes both.
The store keeps each step's final result, not every attempt: a row is that result,
``attempt`` its number of attempts (0 for a skipped step), and ``unit``, which the
store does not keep, is empty.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from mfg_ctl.artifacts.files import attempt_rows_csv
from mfg_ctl.cli.support import EXIT_STORE, db_option, fail, opened_store, say
from mfg_ctl.store import AmbiguousRunId, RunNotFound, RunStore, StoredRun, StoreError
from mfg_ctl.wording import clip

__all__ = ["export", "step_rows"]

#: The most runs one batch export reads (far more than any batch holds).
_MOST_RUNS = 1_000_000


def step_rows(run: StoredRun) -> list[dict[str, Any]]:
    """One row per step result of a stored run, keyed by the events.csv fields."""
    head = {
        "run_id": run.run_id,
        "batch_id": run.batch_id,
        "station_id": run.station_id,
        "stage": run.stage,
        "sn": run.sn,
        "operator": run.operator,
        "plan": run.plan_name,
        "plan_version": run.plan_version,
        "plan_hash": run.plan_hash,
        "run_status": run.status,
        "run_started": run.started_at.isoformat(),
    }
    return [
        {
            **head,
            "step": step.name,
            "step_index": step.number,
            "attempt": 0 if step.verdict == "skipped" else step.attempts,
            "status": step.verdict,
            "value": step.measured,
            "low": step.low,
            "high": step.high,
            "unit": None,
            "error_code": step.error_code,
            "reason": step.detail,
            "requirements": step.requirements,
            "started": (step.finished_at - timedelta(seconds=step.duration_s)).isoformat(),
            "finished": step.finished_at.isoformat(),
        }
        for step in run.steps
    ]


def _chosen_runs(store: RunStore, run_id: str | None, batch_id: str | None) -> list[StoredRun]:
    """The run named, or every run of the batch oldest first (exit 2 if there is none)."""
    try:
        if run_id is not None:
            return [store.get(run_id)]
        assert batch_id is not None
        summaries = store.runs(limit=_MOST_RUNS, batch_id=batch_id)
        if not summaries:
            fail(f"no recorded run belongs to batch {clip(batch_id)}; see mfg-ctl runs")
        return [store.get(summary.run_id) for summary in reversed(summaries)]
    except (RunNotFound, AmbiguousRunId) as error:
        fail(str(error))
    except StoreError as error:
        fail(str(error), EXIT_STORE)


@click.command(short_help="Export the step results of recorded runs as CSV.")
@click.option("--run-id", help="one run (its id or a unique prefix)")
@click.option("--batch-id", help="every run of this batch")
@click.option(
    "--csv", "csv_out", type=click.Path(path_type=Path), required=True, help="the CSV file"
)
@db_option
def export(
    run_id: str | None, batch_id: str | None, csv_out: Path, db_url: str | None
) -> None:
    """Write one CSV row per step result of a run (--run-id) or a batch (--batch-id)."""
    if (run_id is None) == (batch_id is None):
        fail("give exactly one of --run-id and --batch-id")
    with opened_store(db_url) as store:
        runs = _chosen_runs(store, run_id, batch_id)
    rows = [row for run in runs for row in step_rows(run)]
    try:
        csv_out.write_text(attempt_rows_csv(rows, header=True), encoding="utf-8")
    except OSError as error:
        fail(f"cannot write {csv_out}: {error.strerror}")
    say(f"wrote {len(rows)} step result(s) of {len(runs)} run(s) to {csv_out}")
