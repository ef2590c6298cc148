"""The paged history query (``RunStore.run_page``) and the two indexes it reads through
(a store made before them gains them by revision 0005: test_revisions.py)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.dialects import sqlite

from mfg_ctl.store import RunStore
from mfg_ctl.store.history import RunFilter, page_query
from tests.controller.store.support import T0, finished, started, step


def record(store: RunStore, run_id: str, minutes: int, verdict: str = "pass") -> None:
    at = T0 + timedelta(minutes=minutes)
    store.record_run([started(run_id, at=at), step(run_id, 1, verdict), finished(run_id, verdict)])


def test_pages_are_newest_first_and_runs_started_together_never_repeat(store: RunStore) -> None:
    for index in range(7):
        record(store, f"r{index}", minutes=index // 3)  # three runs start in the same minute
    pages = [store.run_page(RunFilter(), number, per_page=3) for number in (1, 2, 3, 4)]
    listed = [run.run_id for page in pages for run in page.runs]
    assert listed == ["r6", "r5", "r4", "r3", "r2", "r1", "r0"]
    assert [len(page.runs) for page in pages] == [3, 3, 1, 0]
    assert {page.total for page in pages} == {7}
    assert pages[0].pages == 3


def test_filters_combine_and_the_time_window_is_half_open(store: RunStore) -> None:
    record(store, "early", minutes=0)
    record(store, "failed", minutes=10, verdict="fail")
    record(store, "late", minutes=20)
    window = RunFilter(since=T0 + timedelta(minutes=10), until=T0 + timedelta(minutes=20))
    assert [run.run_id for run in store.run_page(window).runs] == ["failed"]
    both = RunFilter(plan="psu_check", status="passed")
    assert [run.run_id for run in store.run_page(both).runs] == ["late", "early"]
    assert store.run_page(RunFilter(status="failed", sn="nobody")).total == 0
    with pytest.raises(ValueError, match="at least 1"):
        store.run_page(RunFilter(), page=0)


def test_a_sweep_is_found_only_for_the_run_that_recorded_it(store: RunStore) -> None:
    record(store, "plain", minutes=0)
    assert not store.has_sweep_readings("plain")
    assert not store.has_sweep_readings("unknown")


@pytest.mark.parametrize(
    ("wanted", "index"),
    [
        (RunFilter(), "ix_test_runs_started_id"),
        (RunFilter(status="failed"), "ix_test_runs_status_started"),
        (RunFilter(plan="psu_check"), "ix_test_runs_plan_started"),
    ],
)
def test_a_page_is_read_in_index_order_without_sorting_the_table(
    sqlite_store: RunStore, db: Path, wanted: RunFilter, index: str
) -> None:
    statement = page_query(wanted, page=1000, per_page=50)
    sql = str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))
    with sqlite3.connect(db) as conn:
        plan = " | ".join(str(row[3]) for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}"))
    assert index in plan
    assert "TEMP B-TREE FOR ORDER BY" not in plan  # a "RIGHT PART" (ties by id) is fine
