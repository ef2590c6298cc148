"""The run store's back ends for tests: a fresh, empty store URL on SQLite or PostgreSQL.

PostgreSQL tests each get a database of their own, created on the server of
``$MFG_TEST_DATABASE_URL`` (default :data:`DEFAULT_SERVER`) and dropped after
the test, so tests running in parallel never see each other's runs. They are
skipped, with one line saying why, only when no server answers.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from mfg_ctl.store.schema import driver_url, open_engine

__all__ = ["BACKENDS", "DEFAULT_SERVER", "ENV_SERVER", "fresh_url", "query", "server_url"]

#: Where the PostgreSQL tests make their databases unless ``$MFG_TEST_DATABASE_URL`` says.
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
ENV_SERVER = "MFG_TEST_DATABASE_URL"
#: The back ends every behaviour test of the store runs on.
BACKENDS = ("sqlite", "postgresql")
#: How long to wait for a PostgreSQL server before the tests that need it are skipped.
_CONNECT_TIMEOUT_S = 2


def server_url() -> URL:
    """The PostgreSQL server (and a database on it to connect to) that tests use."""
    return make_url(driver_url(os.environ.get(ENV_SERVER, "").strip() or DEFAULT_SERVER))


def _admin_engine() -> Engine:
    """An autocommit engine on the server, as CREATE/DROP DATABASE need."""
    return create_engine(
        server_url(),
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": _CONNECT_TIMEOUT_S},
    )


@cache
def _unreachable() -> str | None:
    """Why no PostgreSQL server can be used (once per process), or None if one answers."""
    shown = server_url().render_as_string(hide_password=True)
    try:
        engine = _admin_engine()
    except ImportError as exc:
        return f"no PostgreSQL driver (module {exc.name}): install the pg extra"
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        said = " ".join(str(getattr(exc, "orig", exc)).split())[:160]
        return f"no PostgreSQL server answers at {shown} (set {ENV_SERVER}): {said}"
    finally:
        engine.dispose()
    return None


@cache
def _admin() -> Engine:
    return _admin_engine()


def _postgresql_database() -> Iterator[str]:
    """A new, empty database on the test server for one test; dropped afterwards."""
    reason = _unreachable()
    if reason is not None:
        pytest.skip(reason)
    name = f"test_{uuid.uuid4().hex}"
    with _admin().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url().set(database=name).render_as_string(hide_password=False)
    finally:
        with _admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def fresh_url(backend: str, folder: Path) -> Iterator[str]:
    """Yield the URL of a new, empty run store on ``backend``; gone after the test."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'runs.db'}"
    elif backend == "postgresql":
        yield from _postgresql_database()
    else:
        raise ValueError(f"no such back end {backend!r}")


def query(
    url: str, sql: str, params: Mapping[str, object] | None = None
) -> list[tuple[object, ...]]:
    """Run SQL behind the store's back on either back end (``:name`` parameters), committed.

    The engine is the store's own (SQLite enforces foreign keys through it, as for the store).
    """
    engine = open_engine(url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(sql), dict(params or {}))
            return [tuple(row) for row in result] if result.returns_rows else []
    finally:
        engine.dispose()
