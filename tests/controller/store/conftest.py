"""Fixtures of the run store tests: a store on each back end, and an SQLite file for the
tests of what only a file has (locking, WAL, permissions, old files migrated)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mfg_ctl.store import (
    RunStore,
)
from tests.controller.store.backends import BACKENDS, fresh_url
from tests.controller.store.support import (
    url_of,
)


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty store: an SQLite file, or a PostgreSQL database of its own."""
    yield from fresh_url(request.param, tmp_path)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database of this test's own."""
    yield from fresh_url("postgresql", tmp_path)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def opener() -> Iterator[Callable[[Path | str], RunStore]]:
    """Open more stores on a file (a Path) or a URL; all are closed after the test."""
    opened: list[RunStore] = []

    def open_store(where: Path | str) -> RunStore:
        opened.append(RunStore(url_of(where) if isinstance(where, Path) else where))
        return opened[-1]

    yield open_store
    for each in opened:
        each.close()


@pytest.fixture
def store(store_url: str) -> Iterator[RunStore]:
    """A store on each back end."""
    with RunStore(store_url) as opened:
        yield opened


@pytest.fixture
def sqlite_store(db: Path) -> Iterator[RunStore]:
    """A store in the SQLite file ``db``, for tests that look at the file itself."""
    with RunStore(url_of(db)) as opened:
        yield opened
