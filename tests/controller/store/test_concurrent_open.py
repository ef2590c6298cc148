"""Many processes (here: threads, each with its own connections) open a new store at once.

Switching a new file to WAL needs it to itself, and while another opener holds
the write lock (``BEGIN IMMEDIATE``, preparing the tables) SQLite refuses at
once instead of waiting its busy timeout: before the retry, about 3 in 100
simultaneous first opens failed with "database is locked".
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.store import store as store_module
from mfg_ctl.store.models import SCHEMA_VERSION
from tests.controller.store.backends import query
from tests.controller.store.support import raw, started, url_of

OPENERS = 40
ROUNDS = 1


def open_all_at_once(url: str) -> list[str]:
    """Open OPENERS stores at ``url`` released together; return the errors."""
    barrier = threading.Barrier(OPENERS)
    errors: list[str] = []

    def open_one(number: int) -> None:
        barrier.wait()
        try:
            with RunStore(url) as store:
                store(started(f"run{number:02d}"))
        except StoreError as error:
            errors.append(str(error))

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(OPENERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return errors


def test_simultaneous_first_opens_of_a_new_store_all_succeed(tmp_path: Path) -> None:
    for round_number in range(ROUNDS):
        db = tmp_path / f"runs{round_number}.db"
        assert open_all_at_once(url_of(db)) == []
        assert raw(db, "SELECT count(*) FROM test_runs") == [(OPENERS,)]
        assert raw(db, "PRAGMA journal_mode") == [("wal",)]


def test_simultaneous_first_opens_of_a_new_postgresql_store_take_turns(pg_url: str) -> None:
    assert open_all_at_once(pg_url) == []  # only the first creates the tables
    assert query(pg_url, "SELECT count(*) FROM test_runs") == [(OPENERS,)]
    assert query(pg_url, "SELECT version FROM mfg_ctl_schema") == [(SCHEMA_VERSION,)]


def test_the_switch_to_wal_waits_for_another_opener_holding_the_write_lock(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race, made certain: another opener takes the write lock just before our switch."""
    real_set_wal = store_module.set_wal  # type: ignore[attr-defined]
    other = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    released = threading.Event()

    def release() -> None:
        other.execute("COMMIT")
        released.set()

    def set_wal_while_locked(*args: object, **kwargs: object) -> None:
        other.execute("BEGIN IMMEDIATE")  # another process preparing its tables
        threading.Timer(0.2, release).start()
        real_set_wal(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_module, "set_wal", set_wal_while_locked)
    with RunStore(url_of(db)) as store:
        store(started("r1"))
    assert released.wait(10)
    other.close()
    assert raw(db, "PRAGMA journal_mode") == [("wal",)]
