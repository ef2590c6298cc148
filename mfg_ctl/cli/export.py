"""``mfg-ctl export``: the step results of recorded runs as CSV and/or Parquet, for a
spreadsheet, a notebook or a data pipeline.

A thin shell: pick the runs (one, a batch's, or those started in a time window),
turn each step result into a row of :data:`~mfg_ctl.report.tables.ATTEMPT_COLUMNS`
(the columns of a batch's ``events.csv``, so one reader takes both), and write the
files asked for with :mod:`mfg_ctl.report.tables`. The store keeps each step's final
result, not every attempt: a row is that result, ``attempt`` its number of attempts
(0 for a skipped step), and ``unit``, which the store does not keep, is empty.
Nothing is written unless every file asked for can be (pyarrow there for Parquet,
each path in an existing folder and no folder itself); each file is replaced at once,
never left half-written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from mfg_ctl.cli.analytics import parse_moment
from mfg_ctl.cli.support import (
    EXIT_STORE,
    db_option,
    fail,
    opened_store,
    say,
    shown_path,
    store_call,
)
from mfg_ctl.report.tables import (
    ATTEMPT_COLUMNS,
    READING_COLUMNS,
    ParquetUnavailableError,
    Table,
    TableError,
    reading_rows,
    require_parquet,
    step_rows,
)
from mfg_ctl.store import AmbiguousRunId, RunNotFound, RunStore, StoredRun, StoreError
from mfg_ctl.wording import clip

__all__ = ["export"]

#: The most runs one batch or time-window export reads (far more than any store holds).
_MOST_RUNS = 1_000_000
_SEE_RUNS = "see mfg-ctl runs"


def _window_runs(store: RunStore, since: datetime, until: datetime | None) -> list[StoredRun]:
    """The runs started in [since, until), oldest first (exit 2 if there is none)."""
    summaries = [
        summary
        for summary in reversed(store.runs(limit=_MOST_RUNS))
        if summary.started_at >= since and (until is None or summary.started_at < until)
    ]
    if not summaries:
        window = f"since {since.isoformat()}" + (f" until {until.isoformat()}" if until else "")
        fail(f"no recorded run started {window}; {_SEE_RUNS}")
    return [store.get(summary.run_id) for summary in summaries]


def _chosen_runs(
    store: RunStore,
    run_id: str | None,
    batch_id: str | None,
    window: tuple[datetime, datetime | None] | None,
) -> list[StoredRun]:
    """The run named, every run of the batch, or of the window, oldest first (exit 2 if none)."""
    try:
        if run_id is not None:
            return [store.get(run_id)]
        if window is not None:
            return _window_runs(store, *window)
        assert batch_id is not None
        summaries = store.runs(limit=_MOST_RUNS, batch_id=batch_id)
        if not summaries:
            fail(f"no recorded run belongs to batch {clip(batch_id)}; {_SEE_RUNS}")
        return [store.get(summary.run_id) for summary in reversed(summaries)]
    except (RunNotFound, AmbiguousRunId) as error:
        fail(str(error))
    except StoreError as error:
        fail(str(error), EXIT_STORE)


def _rows(store: RunStore, runs: list[StoredRun], readings: bool) -> list[dict[str, Any]]:
    """The step rows of ``runs``, or with ``readings`` the raw readings of their sweeps (exit 2
    if none of them swept: nothing to export)."""
    if not readings:
        return [row for run in runs for row in step_rows(run)]
    rows = []
    for run in runs:
        if not store_call(store.sweep_readings, run.run_id):
            continue  # most runs sweep nothing: one query tells
        by_step = {step.number: store.sweep_readings(run.run_id, step.number) for step in run.steps}
        rows += reading_rows(run, by_step)
    if not rows:
        fail(f"none of the {len(runs)} run(s) recorded sweep readings (mfg-ctl tempco does)")
    return rows


def _window(since_text: str | None, until_text: str | None) -> tuple[datetime, datetime | None]:
    """--since and --until as UTC times; exit 2 unless since comes first."""
    if since_text is None:
        fail("--until ends a time window: give --since too")
    since = parse_moment("--since", since_text)
    until = None if until_text is None else parse_moment("--until", until_text)
    if until is not None and since >= until:
        fail(f"--since {since.isoformat()} is not before --until {until.isoformat()}")
    return since, until


def _check_outputs(parquet_out: Path | None, outputs: list[Path]) -> None:
    """Exit 2 before anything is written if a file surely cannot be: no pyarrow for Parquet,
    a folder in the way, or no folder to write in."""
    if parquet_out is not None:
        try:
            require_parquet()
        except ParquetUnavailableError as error:
            fail(str(error))
    for path in outputs:
        if path.is_dir():
            fail(f"cannot write {shown_path(path)}: it is a folder; give a file name")
        if not path.parent.is_dir():
            fail(f"cannot write {shown_path(path)}: there is no folder {shown_path(path.parent)}")


def _write(path: Path, write: Callable[[Path], None]) -> None:
    """``write(path)``; exit 2 naming the file if it cannot be written (it is left as it was)."""
    try:
        write(path)
    except OSError as error:
        fail(f"cannot write {shown_path(path)}: {error.strerror or error}")


@click.command(short_help="Export the step results of recorded runs as CSV or Parquet.")
@click.option("--run-id", metavar="ID", help="one run (its id or a unique prefix)")
@click.option("--batch-id", metavar="B", help="every run of batch B")
@click.option("--since", metavar="ISO", help="every run started at or after this time")
@click.option("--until", metavar="ISO", help="with --since: started before this time")
@click.option("--csv", "csv_out", type=click.Path(path_type=Path), metavar="FILE", help="write CSV")
@click.option(
    "--parquet",
    "parquet_out",
    type=click.Path(path_type=Path),
    metavar="FILE",
    help="write Parquet (needs pyarrow)",
)
@click.option(
    "--readings",
    is_flag=True,
    help="the raw readings of the runs' TempCo sweeps instead of their step results",
)
@db_option
def export(
    *,
    run_id: str | None,
    batch_id: str | None,
    since: str | None,
    until: str | None,
    csv_out: Path | None,
    parquet_out: Path | None,
    readings: bool,
    db_url: str | None,
) -> None:
    """Write one row per step result of a run, a batch, or the runs started in a time window.

    Times are ISO 8601 dates or date-times, UTC unless they carry an offset;
    --until is exclusive. doc/controller.rst lists the columns and their types.
    """
    window_given = since is not None or until is not None
    if sum((run_id is not None, batch_id is not None, window_given)) != 1:
        fail("give exactly one of --run-id, --batch-id and --since [--until]")
    if csv_out is None and parquet_out is None:
        fail("say where to write: --csv FILE, --parquet FILE, or both")
    if csv_out is not None and csv_out == parquet_out:
        fail("--csv and --parquet name the same file: give two")
    window = _window(since, until) if window_given else None
    with opened_store(db_url) as store:
        runs = _chosen_runs(store, run_id, batch_id, window)
        rows = _rows(store, runs, readings)
    try:
        table = Table.from_rows(READING_COLUMNS if readings else ATTEMPT_COLUMNS, rows)
    except TableError as error:
        fail(f"cannot export the runs: {error}")
    writes = [
        (path, write)
        for path, write in ((csv_out, table.write_csv), (parquet_out, table.write_parquet))
        if path is not None
    ]
    _check_outputs(parquet_out, [path for path, _write_file in writes])
    for path, write in writes:
        _write(path, write)
    written = " and ".join(shown_path(path) for path, _write_file in writes)
    what = "sweep reading(s)" if readings else "step result(s)"
    say(f"wrote {table.row_count} {what} of {len(runs)} run(s) to {written}")
