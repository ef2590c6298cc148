"""``mfg-ctl db current`` and ``mfg-ctl db upgrade``: an old SQLite file and a shared
PostgreSQL store brought to the latest revision, the SQL shown before it is run, and bad
stores refused in one line."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from mfg_ctl.store.revisions import BASELINE, HEAD
from mfg_ctl.store.upgrades import revision_state
from tests.controller.cli.support import Ctl, closed_port
from tests.controller.store.backends import fresh_url, query
from tests.controller.store.revision_support import at_revision, differences, old_store
from tests.controller.store.support import digest, raw

WAITING = (
    "  0005  Schema 5: a run's step numbers are unique; the history's indexes are part of "
    "the schema."
)


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    for url in fresh_url("postgresql", tmp_path):
        yield url.replace("postgresql+psycopg://", "postgresql://", 1)


def test_an_old_file_is_shown_upgraded_and_then_current(ctl: Ctl, tmp_path: Path) -> None:
    db = old_store(tmp_path / "old.db", 4)
    shown = ctl("db", "current", "--db", db)
    assert shown.status == 0
    assert shown.out.splitlines() == [
        f"{db}: schema 4, made before revisions; 1 upgrade(s) waiting:",
        WAITING,
        f"run: mfg-ctl db upgrade --db {db}",
    ]
    assert ctl("db", "upgrade", "--db", db).out == f"{db}: upgraded from revision 0004 to 0005\n"
    again = ctl("db", "upgrade", "--db", db)
    assert (again.status, again.out) == (
        0,
        f"{db}: already at revision 0005, the latest; nothing to do\n",
    )
    assert ctl("db", "current", "--db", db).out == f"{db}: revision 0005 (schema 5), the latest\n"
    assert len(ctl("runs", "--db", db).out.splitlines()) == 1 + 4  # header and the four runs


def test_an_empty_store_is_created_by_upgrade(ctl: Ctl, isolated: Path) -> None:
    assert (
        ctl("db", "current").out == f"{isolated}: empty; mfg-ctl db upgrade (or any run) "
        "creates it at 0005\n"
    )
    assert ctl("db", "upgrade").out == f"{isolated}: created at revision 0005\n"
    assert differences(f"sqlite:///{isolated}") == []


def test_a_shared_store_shows_its_sql_then_upgrades(ctl: Ctl, pg_url: str) -> None:
    at_revision(pg_url, BASELINE)
    refused = ctl("runs", "--db", pg_url)
    assert refused.status == 2
    assert refused.err.count("\n") == 1
    assert (
        "run `mfg-ctl db upgrade` on it once, with the stations that use it stopped" in refused.err
    )
    assert WAITING in ctl("db", "current", "--db", pg_url).out.splitlines()
    sql = ctl("db", "upgrade", "--sql", "--db", pg_url)
    assert sql.status == 0
    assert (
        "CREATE UNIQUE INDEX ux_step_results_run_number ON step_results (run_id, number);"
        in sql.out
    )
    assert "UPDATE mfg_ctl_alembic_version SET version_num='0005'" in sql.out
    assert query(pg_url, "SELECT version_num FROM mfg_ctl_alembic_version") == [(BASELINE,)]
    upgraded = ctl("db", "upgrade", "--db", pg_url)
    assert (upgraded.status, upgraded.err) == (0, "")
    assert upgraded.out.endswith(": upgraded from revision 0004 to 0005\n")
    assert query(pg_url, "SELECT version_num FROM mfg_ctl_alembic_version") == [(HEAD,)]
    assert ctl("runs", "--db", pg_url).out == "no recorded runs\n"


def test_the_sql_of_a_store_made_before_revisions_is_refused(ctl: Ctl, tmp_path: Path) -> None:
    db = old_store(tmp_path / "old.db", 3)
    before = digest(db)
    refused = ctl("db", "upgrade", "--sql", "--db", db)
    assert (refused.status, refused.out) == (2, "")
    assert refused.err == (
        f"error: {db} was made before Alembic (schema 3); its SQL cannot "
        "be written out: run mfg-ctl db upgrade without --sql\n"
    )
    assert digest(db) == before


@pytest.mark.parametrize("command", ["current", "upgrade"])
def test_what_is_not_a_store_gets_one_line(ctl: Ctl, tmp_path: Path, command: str) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n")
    refused = ctl("db", command, "--db", text)
    assert (refused.status, refused.out) == (2, "")
    assert refused.err == (
        f"error: {text} is not an SQLite database (left untouched); move it "
        "away or set MFG_CTL_DB to another file or URL\n"
    )
    newer = old_store(tmp_path / f"{command}.db", 4)
    ctl("db", "upgrade", "--db", newer)
    raw(newer, "UPDATE mfg_ctl_alembic_version SET version_num = '0099'")
    refused = ctl("db", command, "--db", newer)
    assert refused.status == 2
    assert "is at run-store revision 0099, newer than this mfg-ctl's 0005" in refused.err
    assert refused.err.count("\n") == 1


def test_a_server_that_does_not_answer_is_one_line(ctl: Ctl) -> None:
    url = f"postgresql://postgres@127.0.0.1:{closed_port()}/mfg"
    refused = ctl("db", "current", "--db", url)
    assert (refused.status, refused.out, refused.err.count("\n")) == (2, "", 1)
    assert refused.err.startswith(
        f"error: cannot read the run store {url.replace('ql:', 'ql+psycopg:')}"
    )
    assert "check that the server is running and reachable" in refused.err


def test_a_store_locked_by_a_writer_is_one_line_and_left_as_it_was(
    ctl: Ctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = old_store(tmp_path / "old.db", 4)
    monkeypatch.setenv("MFG_CTL_DB_BUSY_TIMEOUT", "0.2")
    writer = sqlite3.connect(db, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
        refused = ctl("db", "upgrade", "--db", db)
    finally:
        writer.close()
    assert (refused.status, refused.out) == (2, "")
    assert refused.err == (
        f"error: cannot open the run store sqlite:///{db}: database is locked; another process "
        "kept it locked for writing longer than $MFG_CTL_DB_BUSY_TIMEOUT allows (0.2 s); try "
        "again once it is done, or wait longer\n"
    )
    assert revision_state(f"sqlite:///{db}").revision is None  # still the schema-4 store
    assert ctl("db", "upgrade", "--db", db).status == 0  # the writer done, it upgrades


def test_an_in_memory_store_is_refused(ctl: Ctl) -> None:
    for command in ("current", "upgrade"):
        refused = ctl("db", command, "--db", "sqlite://")
        assert (refused.status, refused.out) == (2, "")
        assert refused.err == (
            "error: an in-memory store (sqlite://) lives only as long as one process: there is "
            "nothing to look at or upgrade; give a file path or a server URL\n"
        )
