"""Fixtures of the run store tests: a database file and stores opened on it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mfg_ctl.store import (
    RunStore,
)
from tests.controller.store.support import (
    url_of,
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def opener() -> Iterator[Callable[[Path], RunStore]]:
    """Open more stores on a file; all are closed after the test."""
    opened: list[RunStore] = []

    def open_store(path: Path) -> RunStore:
        opened.append(RunStore(url_of(path)))
        return opened[-1]

    yield open_store
    for each in opened:
        each.close()


@pytest.fixture
def store(db: Path) -> Iterator[RunStore]:
    with RunStore(url_of(db)) as opened:
        yield opened
