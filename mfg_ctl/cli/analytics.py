"""``mfg-ctl analytics`` and ``mfg-ctl history``: yield figures and a unit's runs, from the run
store or from a batch's run directory.

Thin shells over :mod:`mfg_ctl.analytics.yields`: pick the runs (a run
directory's ``events.jsonl``, or the store by batch or time window), compute,
print text or ``--json``. Bad input is one line and exit 2; a failing store,
exit 4.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from mfg_ctl.analytics.records import UNFINISHED, UnitRun, runs_from_rows
from mfg_ctl.analytics.yields import (
    history as unit_history,
)
from mfg_ctl.analytics.yields import (
    render_history_text,
    render_yield_text,
    run_to_dict,
    utc,
    yield_report,
)
from mfg_ctl.artifacts.files import ArtifactError, read_run_folder
from mfg_ctl.cli.support import db_option, fail, opened_store, store_call
from mfg_ctl.wording import clip

__all__ = ["analytics", "history", "parse_moment"]


def parse_moment(option: str, text: str) -> datetime:
    """An ISO 8601 date or date-time as a UTC time (naive counts as UTC); bad text: exit 2."""
    try:
        return utc(datetime.fromisoformat(text))
    except ValueError:
        fail(f"{option} {clip(text)} is not an ISO 8601 date or time, e.g. 2026-11-02T09:00")


def _moment_option(
    _ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    return None if value is None else parse_moment(f"--{param.name}", value)


def _store_runs(db_url: str | None, **filters: Any) -> list[UnitRun]:
    with opened_store(db_url) as store:
        return store_call(store.unit_runs, **filters)


def _echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2))


def _selected_runs(
    run_dir: Path | None,
    batch_id: str | None,
    since: datetime | None,
    until: datetime | None,
    db_url: str | None,
) -> list[UnitRun]:
    """The runs the options pick: one run directory, or the store's by batch and/or time."""
    if run_dir is not None:
        if batch_id is not None or since is not None or until is not None:
            fail("--run-dir reads one batch's events: give it alone, or --batch-id/--since/--until")
        if db_url is not None:
            fail("--run-dir reads DIR/events.jsonl, not the run store: drop --db")
        try:
            rows = read_run_folder(run_dir)
        except ArtifactError as error:
            fail(str(error))
        return runs_from_rows(row for row in rows if row["run_status"] != UNFINISHED)
    if batch_id is None and since is None and until is None:
        fail("say which runs: --run-dir DIR, --batch-id B, or --since ISO --until ISO")
    if since is not None and until is not None and since >= until:
        fail(f"--since {since.isoformat()} is not before --until {until.isoformat()}")
    return _store_runs(db_url, batch_id=batch_id, since=since, until=until)


@click.command(short_help="Yield figures: FPY, final yield, RTY, Paretos, strata.")
@click.option(
    "--run-dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="a batch's run directory (reads DIR/events.jsonl)",
)
@click.option("--batch-id", metavar="B", help="the stored runs of batch B")
@click.option(
    "--since", metavar="ISO", callback=_moment_option, help="stored runs started at or after"
)
@click.option(
    "--until", metavar="ISO", callback=_moment_option, help="stored runs started before"
)
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
@db_option
def analytics(
    *,
    run_dir: Path | None,
    batch_id: str | None,
    since: datetime | None,
    until: datetime | None,
    as_json: bool,
    db_url: str | None,
) -> None:
    """Yield figures of finished runs: a run directory's, a batch's, or a time window's.

    Times are ISO 8601 dates or date-times, UTC unless they carry an offset;
    --until is exclusive. doc/analytics.rst defines every figure.
    """
    report = yield_report(_selected_runs(run_dir, batch_id, since, until, db_url))
    if as_json:
        _echo_json(report.to_dict())
    else:
        click.echo(render_yield_text(report))


def _history_json(runs: Sequence[UnitRun]) -> list[dict[str, Any]]:
    return [run_to_dict(run) for run in runs]


@click.command(short_help="Every recorded run of one serial number, oldest first.")
@click.argument("sn")
@click.option("--json", "as_json", is_flag=True, help="print the runs and their steps as JSON")
@db_option
def history(sn: str, as_json: bool, db_url: str | None) -> None:
    """Every finished run of serial number SN in the run store, oldest first, in any stage."""
    runs = unit_history(_store_runs(db_url, sn=sn), sn)
    if as_json:
        _echo_json(_history_json(runs))
    elif not runs:
        click.echo(f"no finished runs of {clip(sn)}")
    else:
        click.echo(render_history_text(runs))
