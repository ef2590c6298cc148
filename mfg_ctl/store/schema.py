"""Opening a run store safely: the engine, SQLite's settings, and the schema (created or migrated).

An SQLite file is checked before it is opened (a file that is not an SQLite
database is never touched), and a database that is not an mfg-ctl run store is
refused before anything is written to it. A store of an older schema version is
brought to the latest Alembic revision in one transaction (:mod:`~mfg_ctl.store.revisions`)
when it is opened, if the caller allows it (an SQLite file of one station) or by
``mfg-ctl db upgrade`` (a shared server); a newer one is refused.
"""

from __future__ import annotations

import math
import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Engine,
    create_engine,
    event,
    func,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import StaticPool

from mfg_ctl.store import legacy, revisions
from mfg_ctl.store.models import FIX_HINT, SCHEMA_VERSION, Base, SchemaInfo, StoreError
from mfg_ctl.store.revisions import BASELINE, HEAD, VERSION_TABLE, current_revision

__all__ = [
    "BUSY_TIMEOUT_S",
    "ENV_BUSY_TIMEOUT",
    "busy_timeout",
    "driver_url",
    "open_engine",
    "open_hint",
    "prepare_schema",
    "schema_ready",
    "set_wal",
]

#: How long an SQLite writer waits for another one before giving up, by default.
BUSY_TIMEOUT_S = 30.0
#: Overrides that wait (seconds), e.g. shorter on a station that must fail fast.
ENV_BUSY_TIMEOUT = "MFG_CTL_DB_BUSY_TIMEOUT"

_SQLITE_MAGIC = b"SQLite format 3\x00"
#: How to install the driver a ``postgresql://`` URL selects.
_PG_EXTRA = "the pg extra (pip install 'simulators[pg]')"
#: The PostgreSQL advisory lock key that serialises schema creation ("mfgc" in ASCII).
_SCHEMA_LOCK = 0x6D666763
#: Pauses between attempts to switch a new file to WAL while other openers hold it.
_WAL_PAUSE_S = 0.02


def busy_timeout() -> float:
    """The writers' wait in seconds: ``$MFG_CTL_DB_BUSY_TIMEOUT`` if it is a number >= 0."""
    configured = os.environ.get(ENV_BUSY_TIMEOUT, "").strip()
    try:
        seconds = float(configured) if configured else BUSY_TIMEOUT_S
    except ValueError:
        raise StoreError(
            f"{ENV_BUSY_TIMEOUT}={configured!r:.40} is not a number of seconds; "
            f"unset it or give e.g. {BUSY_TIMEOUT_S:g}"
        ) from None
    if not 0 <= seconds <= 3600:
        raise StoreError(f"{ENV_BUSY_TIMEOUT}={configured} is out of range: give 0 to 3600 s")
    return seconds


def driver_url(url: str) -> str:
    """The URL with its driver made explicit where SQLAlchemy would pick the wrong one.

    ``postgresql://`` (and ``postgres://``) means psycopg 3 here, the ``pg``
    extra's driver; SQLAlchemy alone would pick psycopg2. A URL naming its
    driver (``postgresql+psycopg2://``) keeps it.
    """
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare) :]
    return url


def open_engine(url: str, wait_s: float | None = None) -> Engine:
    """Build the engine for ``url``, refusing files that are not SQLite databases.

    ``wait_s`` is how long an SQLite writer waits for another (default
    :func:`busy_timeout`), and how long a connection to a server may take.
    """
    try:
        parsed = make_url(driver_url(url))
    except ArgumentError as exc:
        raise StoreError(
            f"bad run store URL {url!r:.80}: expected e.g. sqlite:////path/to/runs.db "
            f"or postgresql://user@host/db; {FIX_HINT}"
        ) from exc
    shown = parsed.render_as_string(hide_password=True)
    kwargs: dict[str, Any] = {}
    sqlite = parsed.get_backend_name() == "sqlite"
    wait = busy_timeout() if wait_s is None else wait_s
    if parsed.get_backend_name() == "postgresql" and "connect_timeout" not in parsed.query:
        kwargs["connect_args"] = {"connect_timeout": max(1, math.ceil(wait))}
    if sqlite:
        kwargs["connect_args"] = {"timeout": wait, "check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
        else:
            _check_sqlite_file(Path(parsed.database))
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise StoreError(f"unknown kind of database in {shown}; {FIX_HINT}") from exc
    except ImportError as exc:
        raise StoreError(
            f"the database driver for {shown} is missing (no module {exc.name}); install "
            f"{_PG_EXTRA if exc.name == 'psycopg' else 'it'} or {FIX_HINT}"
        ) from exc
    if sqlite:
        event.listen(engine, "connect", _sqlite_connect(wait))
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _check_sqlite_file(path: Path) -> None:
    """Refuse a path that exists but is not an SQLite database, without touching it."""
    if path.is_dir():
        raise StoreError(f"the run store {path} is a folder, not a database file; {FIX_HINT}")
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise StoreError(
                f"the folder {path.parent} for the run store does not exist; "
                f"create it or {FIX_HINT}"
            ) from None
        return  # a new store
    except OSError as exc:
        raise StoreError(f"cannot read the run store {path}: {exc.strerror}; {FIX_HINT}") from exc
    if head and head != _SQLITE_MAGIC:
        raise StoreError(
            f"{path} is not an SQLite database (left untouched); move it away or {FIX_HINT}"
        )


def _sqlite_connect(wait_s: float) -> Callable[[Any, Any], None]:
    def connect(dbapi_connection: Any, _record: Any) -> None:
        """Per connection: enforce foreign keys, wait for other writers, let us issue BEGIN."""
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(wait_s * 1000)}")
        cursor.close()

    return connect


def set_wal(engine: Engine, wait_s: float | None = None) -> None:
    """Switch the file to WAL once it is known to be ours (the mode stays with the file).

    The switch needs the file to itself and ignores the busy timeout, so when
    several processes open a new store at once it is retried (for up to
    ``wait_s``) while the file is locked; a file already in WAL is left alone.
    """
    deadline = time.monotonic() + (busy_timeout() if wait_s is None else wait_s)
    raw = engine.raw_connection()  # outside any transaction, as SQLite requires
    try:
        cursor = raw.cursor()
        try:
            while True:
                try:
                    cursor.execute("PRAGMA journal_mode")
                    row = cursor.fetchone()
                    if row is not None and str(row[0]).lower() == "wal":
                        return
                    cursor.execute("PRAGMA journal_mode=WAL")
                    return
                except sqlite3.OperationalError as exc:
                    locked = "locked" in str(exc) or "busy" in str(exc)
                    if not locked or time.monotonic() >= deadline:
                        raise
                    time.sleep(_WAL_PAUSE_S)
        finally:
            cursor.close()
    finally:
        raw.close()


def _sqlite_begin(conn: Connection) -> None:
    """Start writes with BEGIN IMMEDIATE so a busy writer waits instead of failing."""
    immediate = conn.get_execution_options().get("mfg_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def schema_ready(conn: Connection) -> bool:
    """Whether the database already holds the latest revision (nothing to write to open it).

    Read-only: a store that another process is writing to opens at once for
    reading; anything else (new, older, foreign, damaged) goes through
    :func:`prepare_schema` in a write transaction.
    """
    tables = set(inspect(conn).get_table_names())
    if not set(Base.metadata.tables) <= tables or current_revision(conn) != HEAD:
        return False
    return conn.execute(select(SchemaInfo.version)).scalar_one_or_none() == SCHEMA_VERSION


def prepare_schema(conn: Connection, where: str, *, upgrade: bool) -> str | None:
    """Create the tables in an empty database, or check the store is ours and, if ``upgrade``,
    bring it to the latest revision; return the revision it was at (None: created here).

    A store made before Alembic is first brought to the baseline
    (:mod:`~mfg_ctl.store.legacy`). On PostgreSQL a transaction-scoped advisory
    lock makes stores opened at once take turns (SQLite's ``BEGIN IMMEDIATE``
    does that there), so only the first creates or migrates the tables.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
    tables = set(inspect(conn).get_table_names())
    ours = set(Base.metadata.tables) | {VERSION_TABLE}
    if (
        tables
        and SchemaInfo.__tablename__ not in tables
        and (conn.dialect.name == "sqlite" or tables & ours)
    ):
        raise StoreError(f"{where} is a database but not an mfg-ctl run store; {FIX_HINT}")
    if not tables & ours:
        Base.metadata.create_all(conn)
        conn.execute(insert(SchemaInfo).values(id=1, version=SCHEMA_VERSION))
        revisions.stamp(conn, HEAD)
        return None
    version = conn.execute(select(SchemaInfo.version)).scalar_one_or_none()
    if version is not None and version > SCHEMA_VERSION:
        raise StoreError(
            f"{where} holds run-store schema version {version} but this mfg-ctl uses version "
            f"{SCHEMA_VERSION}; use the matching mfg-ctl or {FIX_HINT}"
        )
    found = current_revision(conn)
    if found == HEAD:
        return HEAD  # another process brought it here while this one waited its turn
    if found is not None and found not in {known.id for known in revisions.known_revisions()}:
        raise StoreError(
            f"{where} is at run-store revision {found}, newer than this mfg-ctl's {HEAD}; "
            f"use the mfg-ctl that upgraded it or {FIX_HINT}"
        )
    if not upgrade:
        raise StoreError(
            f"{where} is at run-store {f'revision {found}' if found else f'schema {version}'}"
            f" and this mfg-ctl needs {HEAD}: run `mfg-ctl db upgrade` on it once, with the "
            f"stations that use it stopped"
        )
    if found is None:
        legacy.to_baseline(conn, where)
        revisions.stamp(conn, BASELINE)
    revisions.upgrade(conn, HEAD)
    return found or BASELINE


def open_hint(engine: Engine, reason: str = "") -> str:
    """What to check when a store cannot be opened, for its kind of database and the
    database's ``reason``."""
    if engine.dialect.name == "sqlite":
        if "locked" in reason or "busy" in reason:
            return (
                f"another process kept it locked for writing longer than ${ENV_BUSY_TIMEOUT} "
                f"allows ({busy_timeout():g} s); try again once it is done, or wait longer"
            )
        return (
            "check that its folder exists and is writable and the file is an mfg-ctl run "
            f"store, or {FIX_HINT}"
        )
    database = engine.url.database or "the database"
    return (
        f"check that the server is running and reachable, that the user may log in, and that "
        f"{database} exists (createdb {database}), or {FIX_HINT}"
    )
