"""``mfg-ctl db``: which schema revision a run store is at, and upgrading it.

A thin shell over :mod:`mfg_ctl.store.upgrades`. An SQLite file is upgraded
whenever mfg-ctl opens it; a PostgreSQL store shared by stations is upgraded
only here, once, with the stations stopped (doc/store.rst).
"""

from __future__ import annotations

import click

from mfg_ctl.cli.support import db_option, fail, store_url
from mfg_ctl.store import StoreError
from mfg_ctl.store.revisions import HEAD
from mfg_ctl.store.upgrades import RevisionState, pending_sql, revision_state, upgrade_store

__all__ = ["db"]


@click.group(short_help="Show or upgrade the run store's schema revision.")
def db() -> None:
    """The run store's schema: its revision (current) and bringing it to this mfg-ctl's
    (upgrade)."""


def _at(state: RevisionState) -> str:
    if state.revision is not None:
        return f"revision {state.revision} (schema {state.schema_version})"
    return f"schema {state.schema_version}, made before revisions"


@db.command()
@db_option
def current(db_url: str | None) -> None:
    """Say which revision the run store is at and which upgrades wait (writes nothing)."""
    try:
        state = revision_state(store_url(db_url))
    except StoreError as error:
        fail(str(error))
    if state.empty:
        click.echo(f"{state.where}: empty; mfg-ctl db upgrade (or any run) creates it at {HEAD}")
        return
    if state.latest:
        click.echo(f"{state.where}: {_at(state)}, the latest")
        return
    click.echo(f"{state.where}: {_at(state)}; {len(state.waiting)} upgrade(s) waiting:")
    for revision in state.waiting:
        click.echo(f"  {revision.id}  {revision.doc}")
    click.echo("run: mfg-ctl db upgrade" + (f" --db {db_url}" if db_url else ""))


@db.command()
@click.option(
    "--sql",
    "as_sql",
    is_flag=True,
    help="print the SQL of the waiting upgrades instead of running them",
)
@db_option
def upgrade(as_sql: bool, db_url: str | None) -> None:
    """Bring the run store to this mfg-ctl's revision, in one transaction (an empty database:
    create it). Stop the stations that use it first."""
    url = store_url(db_url)
    try:
        if as_sql:
            click.echo(pending_sql(url), nl=False)
            return
        before = upgrade_store(url)
        where = revision_state(url).where
    except StoreError as error:
        fail(str(error))
    if before is None:
        click.echo(f"{where}: created at revision {HEAD}")
    elif before == HEAD:
        click.echo(f"{where}: already at revision {HEAD}, the latest; nothing to do")
    else:
        click.echo(f"{where}: upgraded from revision {before} to {HEAD}")
