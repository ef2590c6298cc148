"""The run store's schema under Alembic: every road to the latest revision ends in the tables
the models describe, old stores keep their runs, and a store is never half-upgraded.

"The tables the models describe" is Alembic's own comparison (``compare_metadata``:
tables, columns, types, nullability, indexes) coming back empty.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.store.models import SCHEMA_VERSION
from mfg_ctl.store.revisions import BASELINE, HEAD, known_revisions
from mfg_ctl.store.schema import open_engine, schema_ready
from mfg_ctl.store.upgrades import revision_state, upgrade_store
from tests.controller.store.backends import query
from tests.controller.store.revision_support import at_revision, differences, old_store
from tests.controller.store.support import digest, finished, raw, started, step, url_of

HISTORY_INDEXES = {"ix_test_runs_started_id", "ix_test_runs_status_started"}
#: The runs in runs_v4.sql: a bring-up, then a batch of three units.
V4_RUNS = {"55cf75ed", "6dfc782f", "74fe86c4", "59c8e054"}


def sqlite_indexes(db: Path) -> set[str]:
    return {str(row[0]) for row in raw(db, "SELECT name FROM sqlite_master WHERE type='index'")}


def test_the_revisions_run_from_the_baseline_to_the_latest() -> None:
    ids = [revision.id for revision in known_revisions()]
    assert (ids[0], ids[-1]) == (BASELINE, HEAD)
    assert all(revision.doc for revision in known_revisions())


def test_a_new_store_and_the_migrations_from_nothing_build_the_same_tables(
    store_url: str, tmp_path: Path
) -> None:
    with RunStore(store_url) as made:
        assert made.opened_at is None  # created here, at the latest revision
    assert differences(store_url) == []
    assert query(store_url, "SELECT version FROM mfg_ctl_schema") == [(SCHEMA_VERSION,)]
    second = f"sqlite:///{tmp_path / 'migrated.db'}" if "sqlite" in store_url else None
    if second is not None:  # (on PostgreSQL: test_a_shared_store_waits_for_db_upgrade)
        at_revision(second, HEAD)
        assert differences(second) == []
        with RunStore(second) as opened:
            assert opened.opened_at == HEAD  # nothing left to do


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_an_old_sqlite_store_upgrades_in_place_to_the_models_tables(db: Path, version: int) -> None:
    old_store(db, version)
    runs_before = raw(db, "SELECT id, status FROM test_runs ORDER BY id")
    steps_before = raw(db, "SELECT count(*) FROM step_results")
    with RunStore(url_of(db)) as store:
        assert store.opened_at == BASELINE
        assert len(store.runs()) == len(runs_before)
    assert differences(url_of(db)) == []
    assert raw(db, "SELECT id, status FROM test_runs ORDER BY id") == runs_before
    assert raw(db, "SELECT count(*) FROM step_results") == steps_before
    assert raw(db, "SELECT version FROM mfg_ctl_schema") == [(SCHEMA_VERSION,)]
    assert raw(db, "SELECT version_num FROM mfg_ctl_alembic_version") == [(HEAD,)]
    engine = open_engine(url_of(db))
    try:
        with engine.connect() as conn:
            assert schema_ready(conn)  # the next opening only reads
    finally:
        engine.dispose()


def test_a_schema_4_store_from_before_the_history_indexes_gains_them(db: Path) -> None:
    old_store(db, 4)
    for name in HISTORY_INDEXES:
        raw(db, f"DROP INDEX {name}")
    with RunStore(url_of(db)) as store:
        assert {run.run_id[:8] for run in store.runs()} == V4_RUNS
    assert sqlite_indexes(db) >= HISTORY_INDEXES | {"ux_step_results_run_number"}
    assert differences(url_of(db)) == []


def test_a_store_holding_a_step_twice_is_refused_and_left_unchanged(db: Path) -> None:
    old_store(db, 4)
    columns = (
        "run_id, number, name, device, register, action, verdict, detail, attempts, "
        "duration_s, finished_at"
    )
    raw(
        db,
        f"INSERT INTO step_results ({columns}) SELECT {columns} FROM step_results "
        "WHERE run_id LIKE '55cf75ed%' AND number = 3",
    )
    before = digest(db)
    with pytest.raises(StoreError) as refused:
        RunStore(url_of(db))
    said = str(refused.value)
    assert "1 run(s) hold a step number twice (55cf75ed)" in said
    assert "\n" not in said
    assert digest(db) == before
    assert revision_state(url_of(db)).revision is None  # still the schema-4 store it was


def test_the_database_refuses_a_step_recorded_twice(store: RunStore, store_url: str) -> None:
    store(started("r1"))
    store(step("r1", 1, "pass"))
    with pytest.raises(StoreError, match="cannot record step 1 of run r1"):
        store(step("r1", 1, "fail"))
    store(finished("r1"))
    assert [s.verdict for s in store.get("r1").steps] == ["pass"]  # the first one stands
    with pytest.raises(IntegrityError):
        query(
            store_url,
            "INSERT INTO step_results (run_id, number, name, device, register, "
            "action, verdict, detail, attempts, duration_s, finished_at) SELECT "
            "run_id, number, name, device, register, action, verdict, detail, "
            "attempts, duration_s, finished_at FROM step_results",
        )


def test_a_store_at_a_newer_revision_is_refused(store_url: str) -> None:
    RunStore(store_url).close()
    query(store_url, "UPDATE mfg_ctl_alembic_version SET version_num = '0099'")
    with pytest.raises(StoreError, match=r"revision 0099, newer than this mfg-ctl's 0005"):
        RunStore(store_url)
    with pytest.raises(StoreError, match="newer than this mfg-ctl's"):
        revision_state(store_url)


def test_a_shared_store_waits_for_db_upgrade(pg_url: str) -> None:
    at_revision(pg_url, BASELINE)  # as the mfg-ctl of schema 4 left it
    with pytest.raises(StoreError) as refused:
        RunStore(pg_url)
    assert (
        "is at run-store revision 0004 and this mfg-ctl needs 0005: run `mfg-ctl db "
        "upgrade` on it once" in str(refused.value)
    )
    assert revision_state(pg_url).revision == BASELINE
    assert upgrade_store(pg_url) == BASELINE
    assert differences(pg_url) == []
    with RunStore(pg_url) as store:
        assert store.opened_at == HEAD


@pytest.mark.parametrize("opening", ["sqlite", "postgresql"])
def test_stores_upgraded_at_once_are_upgraded_once(
    opening: str, db: Path, request: pytest.FixtureRequest
) -> None:
    if opening == "sqlite":
        url = url_of(old_store(db, 4))
    else:
        url = request.getfixturevalue("pg_url")
        at_revision(url, BASELINE)
    found: list[str | None] = []
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            found.append(upgrade_store(url))
        except BaseException as error:  # reported by the assert below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(str(each) for each in found) == [
        BASELINE,
        HEAD,
        HEAD,
        HEAD,
    ]  # one migrated, three found it done
    assert differences(url) == []
