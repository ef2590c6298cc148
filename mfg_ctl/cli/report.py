"""``mfg-ctl report``: a recorded run's or batch's report, on the console and as files; and the
report files of ``mfg-ctl batch``, read back from the run store.

The console shows the batch's closing summary (as ``mfg-ctl batch`` printed it); the
files are those :class:`~mfg_ctl.cli.report_files.ReportFiles` asks for. An unknown
batch is exit 2, a failing store exit 4, a file that cannot be written exit 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click

from mfg_ctl.artifacts.files import ArtifactError
from mfg_ctl.artifacts.writer import RunArtifacts
from mfg_ctl.batch.lifecycle import finish_batch
from mfg_ctl.batch.progress import summary_lines
from mfg_ctl.batch.recorded import BatchNotFound, RecordedBatch, recorded_batch
from mfg_ctl.batch.runner import BatchOutcome
from mfg_ctl.cli.report_files import (
    ReportFiles,
    report_file_options,
    write_batch_files,
    write_run_files,
)
from mfg_ctl.cli.support import (
    EXIT_FAIL,
    EXIT_INTERRUPTED,
    EXIT_PASS,
    EXIT_STORE,
    EXIT_TERMINATED,
    EXIT_UNREACHABLE,
    EXIT_USAGE,
    CommandExit,
    db_option,
    fail,
    opened_store,
    say,
    shown_path,
    store_call,
)
from mfg_ctl.report import RunReport, render_text
from mfg_ctl.run.sequencer import Terminated
from mfg_ctl.store import AmbiguousRunId, RunNotFound, RunStore, StoredRun, StoreError
from mfg_ctl.store.models import BatchRecord

__all__ = ["batch_report", "close_batch", "read_batch", "report", "write_batch_report_files"]


def read_batch(store: RunStore, batch_id: str) -> RecordedBatch:
    """The batch as recorded; exit 2 if the store has no such batch, 4 if it cannot be read."""
    try:
        return recorded_batch(store, batch_id)
    except BatchNotFound as error:
        fail(str(error))
    except StoreError as error:
        fail(str(error), EXIT_STORE)


def write_batch_report_files(store: RunStore, batch_id: str, files: ReportFiles) -> list[str]:
    """Write the files ``files`` asks for (none: nothing read); one line per file not written."""
    if not files.asked:
        return []
    return write_batch_files(read_batch(store, batch_id), files)


def batch_report(batch_id: str, files: ReportFiles, db_url: str | None) -> None:
    """Print batch ``batch_id``'s summary and write its report files."""
    with opened_store(db_url) as store:
        batch = read_batch(store, batch_id)
    say(f"batch {batch.record.batch_id} recorded in {store.where}")
    folder = batch.record.artifacts_dir
    for line in summary_lines(batch.summary, shown_path(Path(folder)) if folder else "-"):
        click.echo(line)
    problems = write_batch_files(batch, files)
    if problems:
        fail("; ".join(problems))


def close_batch(
    store: RunStore,
    record: BatchRecord,
    artifacts: RunArtifacts,
    outcome: BatchOutcome,
    folder: Path,
    *,
    files: ReportFiles,
) -> NoReturn:
    """Write the summary files, mark the batch, print the summary, write the report files
    asked for; exit with the batch's status."""
    try:
        summary, not_tested = finish_batch(store, record, artifacts)
    except (ArtifactError, StoreError) as error:
        fail(f"{error}; batch {record.batch_id} can be resumed with --resume", EXIT_STORE)
    for line in summary_lines(summary, shown_path(folder)):
        click.echo(line)
    problems = write_batch_report_files(store, record.batch_id, files)
    for problem in problems:
        say(f"error: {problem}")
    if outcome.failure is not None:
        fail(f"{outcome.failure}; --resume {record.batch_id} tests the units left", EXIT_STORE)
    if outcome.interrupted is not None:
        stopped = isinstance(outcome.interrupted, Terminated)
        fail(
            f"{'terminated' if stopped else 'interrupted'}: {len(not_tested)} unit(s) not "
            f"tested; --resume {record.batch_id} tests them",
            EXIT_TERMINATED if stopped else EXIT_INTERRUPTED,
        )
    if outcome.unreachable and not outcome.tested:
        fail(f"{outcome.unreachable}; no unit was tested", EXIT_UNREACHABLE)
    if outcome.unreachable:
        say(f"error: {outcome.unreachable}: a slot stopped")
    if outcome.stopped_by_plan:
        fail(
            f"unit {outcome.stopped_by_plan} stopped the batch (on_exhausted: abort-batch); "
            f"{len(not_tested)} unit(s) not tested",
            EXIT_FAIL,
        )
    failed = summary["units"]["failed"] + len(not_tested)
    raise CommandExit("", EXIT_FAIL if failed else EXIT_USAGE if problems else EXIT_PASS)


def _stored(store: RunStore, run_id: str) -> StoredRun:
    try:
        return store.get(run_id)
    except (RunNotFound, AmbiguousRunId) as error:
        fail(str(error))
    except StoreError as error:
        fail(str(error), EXIT_STORE)


@click.command(short_help="Print or export the report of a recorded run or batch.")
@click.argument("run_id", required=False)
@click.option("--batch-id", metavar="B", help="the report of batch B instead of one run")
@report_file_options
@db_option
def report(
    run_id: str | None, batch_id: str | None, report_files: ReportFiles, db_url: str | None
) -> None:
    """Print (or write as files) the report of a recorded run or of a batch.

    RUN_ID may be a unique prefix. With --batch-id, the console shows the batch's yield
    figures and the files hold the whole batch: JSON its summary, JUnit one testsuite per
    unit run, Markdown, HTML and PDF its qualification report.
    """
    if (run_id is None) == (batch_id is None):
        fail("give a RUN_ID or --batch-id B, not both")
    if batch_id is not None:
        batch_report(batch_id, report_files, db_url)
        return
    assert run_id is not None
    with opened_store(db_url) as store:
        stored = _stored(store, run_id)
        readings = store_call(store.sweep_readings, stored.run_id)
    rebuilt = RunReport.from_stored(stored, readings)
    say(rebuilt.where)
    click.echo(render_text(rebuilt))
    problems = write_run_files(rebuilt, report_files)
    if problems:
        fail("; ".join(problems))
