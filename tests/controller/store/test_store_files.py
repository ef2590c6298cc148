"""Where the run store lives and what it refuses: default location, bad files, schema."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.store import (
    RunStore,
    StoreError,
    default_url,
)
from mfg_ctl.store.models import SCHEMA_VERSION
from tests.controller.store.backends import query
from tests.controller.store.support import (
    digest,
    raw,
    started,
    step,
    url_of,
)


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., str]:
    def set_env(**values: str | None) -> str:
        for name in ("MFG_CTL_DB", "XDG_DATA_HOME", "HOME"):
            value = values.get(name)
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return default_url()

    monkeypatch.chdir(tmp_path)
    return set_env


def test_default_url_precedence(env: Callable[..., str], tmp_path: Path) -> None:
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    explicit = tmp_path / "db" / "station.db"
    assert env(MFG_CTL_DB=str(explicit), XDG_DATA_HOME=str(xdg)) == f"sqlite:///{explicit}"
    assert explicit.parent.is_dir()
    assert env(MFG_CTL_DB="postgresql+psycopg://u@h/runs") == "postgresql+psycopg://u@h/runs"
    assert env(MFG_CTL_DB="here.db") == f"sqlite:///{tmp_path / 'here.db'}"
    assert env(XDG_DATA_HOME=str(xdg), HOME=str(home)) == f"sqlite:///{xdg}/mfg-ctl/runs.db"
    assert (xdg / "mfg-ctl").is_dir()
    want_home = f"sqlite:///{home}/.local/share/mfg-ctl/runs.db"
    assert env(HOME=str(home)) == want_home
    assert env(MFG_CTL_DB="  ", XDG_DATA_HOME="relative/ignored", HOME=str(home)) == want_home
    assert (home / ".local" / "share" / "mfg-ctl").is_dir()
    RunStore(default_url()).close()


def test_default_url_whose_folder_cannot_be_made(env: Callable[..., str], tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder") as caught:
        env(MFG_CTL_DB=str(tmp_path / "a_file" / "sub" / "runs.db"))
    assert "MFG_CTL_DB" in str(caught.value)


# -- bad places and bad files ------------------------------------------------------------------


def test_junk_file_is_refused_and_left_untouched(db: Path) -> None:
    db.write_text("these are my notes, not a database\n" * 20)
    before = digest(db)
    with pytest.raises(StoreError, match="not an SQLite database") as caught:
        RunStore(url_of(db))
    assert "\n" not in str(caught.value)
    assert str(db) in str(caught.value)
    assert digest(db) == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["runs.db"]


def test_damaged_sqlite_file_is_refused_and_left_untouched(db: Path) -> None:
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    before = digest(db)
    with pytest.raises(StoreError, match="cannot open the run store") as caught:
        RunStore(url_of(db))
    assert "\n" not in str(caught.value)
    assert digest(db) == before


def test_another_applications_database_is_refused_and_left_untouched(db: Path) -> None:
    raw(db, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    before = digest(db)
    with pytest.raises(StoreError, match="not an mfg-ctl run store"):
        RunStore(url_of(db))
    assert digest(db) == before
    assert raw(db, "PRAGMA journal_mode") == [("delete",)]


def test_a_store_from_a_newer_version_is_refused(db: Path) -> None:
    RunStore(url_of(db)).close()
    raw(db, "UPDATE mfg_ctl_schema SET version = 99")
    with pytest.raises(StoreError, match="schema version 99"):
        RunStore(url_of(db))
    assert raw(db, "SELECT version FROM mfg_ctl_schema") == [(99,)]


def test_reopening_keeps_the_schema_and_the_runs(db: Path) -> None:
    with RunStore(url_of(db)) as first:
        first(started("r1"))
    with RunStore(url_of(db)) as second:
        assert second.get("r1").plan_name == "psu_check"
    assert raw(db, "SELECT id, version FROM mfg_ctl_schema") == [(1, SCHEMA_VERSION)]
    assert raw(db, "PRAGMA journal_mode") == [("wal",)]


def test_unwritable_places_give_one_line(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    for where, words in [
        (tmp_path / "a_file" / "runs.db", "cannot read the run store"),
        (tmp_path, "is a folder"),
        (tmp_path / "missing" / "runs.db", "folder .* does not exist"),
    ]:
        with pytest.raises(StoreError, match=words) as caught:
            RunStore(url_of(where))
        assert "\n" not in str(caught.value)
        assert "MFG_CTL_DB" in str(caught.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_folder_gives_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    try:
        with pytest.raises(StoreError, match="cannot open the run store"):
            RunStore(url_of(folder / "runs.db"))
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("not a url", "bad run store URL"),
        ("nosuchdb://somewhere/x", "unknown kind of database"),
        ("postgresql+psycopg://me:s3cret@127.0.0.1:1/runs", "postgresql"),
    ],
)
def test_bad_urls_give_one_line(url: str, words: str) -> None:
    with pytest.raises(StoreError, match=words) as caught:
        RunStore(url)
    assert "\n" not in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_a_table_lost_behind_the_stores_back_is_a_store_error(
    store_url: str, store: RunStore
) -> None:
    store(started("r1"))
    query(store_url, "DROP TABLE step_results")
    with pytest.raises(StoreError, match=r"no such table|does not exist"):
        store.get("r1")


def test_in_memory_store_for_quick_experiments() -> None:
    with RunStore("sqlite://") as store:
        store(started("r1"))
        store(step("r1", 1))
        assert store.get("r").steps[0].name == "step_1"
