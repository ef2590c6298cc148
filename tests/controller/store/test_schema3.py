"""Run store schema 3: a schema-2 store migrates keeping its runs; units, batches, and
``record_run`` writing a whole run or nothing.

``tests/controller/data/runs_v2.sql`` is the dump of a schema-2 store written by
the mfg-ctl of before schema 3 (its header says how): two bring-up runs, one
passed, one failed at step 9.
"""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from mfg_ctl.run.events import Event, UnitIdentity
from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.store.models import BatchRecord
from tests.controller.store.backends import query
from tests.controller.store.support import ROOT, T0, finished, raw, started, step, url_of

V2_DUMP = ROOT / "tests" / "controller" / "data" / "runs_v2.sql"
PASSED, FAILED = "004f305128fe4c0da54ab5f42b26b765", "2142dc97914243f4bb32108962ae2e6b"


def v2_store(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(V2_DUMP.read_text())
    assert raw(path, "SELECT version FROM mfg_ctl_schema") == [(2,)]
    return path


def test_a_version_2_store_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    db = v2_store(tmp_path / "runs.db")
    with RunStore(url_of(db)) as store:
        runs = {run.run_id: run for run in store.runs()}
        assert set(runs) == {PASSED, FAILED}
        assert (runs[PASSED].status, runs[FAILED].status) == ("passed", "failed")
        failed_run = store.get(FAILED)
        assert len(failed_run.steps) == 11
        assert failed_run.not_passed == (9,)
        assert failed_run.steps[8].name == "check_dmm_dc_voltage"
        assert failed_run.plan_path == "plans/station_bringup_4000.yaml"
        assert failed_run.identity == UnitIdentity()
        assert (failed_run.plan_version, failed_run.skipped, failed_run.stopped_by) == ("", 0, "")
        assert {(s.error_code, s.error_codes, s.requirements) for s in failed_run.steps} == {
            ("", (), ())
        }
        assert store.unit_runs() == []  # runs of before schema 3 named no unit
        assert store.runs(sn="SN1") == []
    assert raw(db, "SELECT version FROM mfg_ctl_schema") == [(5,)]  # and on to schema 5
    assert raw(db, "SELECT count(*) FROM step_results") == [(22,)]
    assert raw(db, "SELECT DISTINCT skipped FROM test_runs") == [(0,)]
    indexes = {row[0] for row in raw(db, "SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"ix_test_runs_sn", "ix_test_runs_batch_id", "ix_test_runs_station_id"} <= indexes
    with RunStore(url_of(db)) as again:  # a migrated store records schema-3 runs beside them
        again.record_run(unit_run("new", "SN9", T0))
        assert len(again.runs()) == 3
        assert [run.sn for run in again.unit_runs()] == ["SN9"]


# -- units ----------------------------------------------------------------------------------


def unit_run(
    run_id: str,
    sn: str,
    at: datetime,
    *,
    batch_id: str = "B1",
    stage: str = "EVT",
    verdict: str = "pass",
    codes: tuple[str, ...] = (),
) -> list[Event]:
    identity = UnitIdentity(sn, batch_id, "ST1", stage, "ann")
    first = dataclasses.replace(started(run_id, at=at), identity=identity, plan_version="1.0")
    end = dataclasses.replace(finished(run_id, verdict), finished_at=at + timedelta(seconds=5))
    return [
        first,
        step(run_id, 1, attempts=len(codes) + 1, error_codes=codes, requirements=("REQ-1",)),
        step(run_id, 2, verdict, attempts=1),
        end,
    ]


@pytest.fixture
def units(store: RunStore) -> RunStore:
    """Four unit runs in two batches an hour apart, and one run naming no unit."""
    store.record_run(unit_run("r1", "SN1", T0, codes=("E210",)))
    store.record_run(unit_run("r2", "SN2", T0 + timedelta(hours=1), verdict="fail"))
    store.record_run(unit_run("r3", "SN1", T0 + timedelta(hours=2)))
    store.record_run(unit_run("r4", "SN3", T0 + timedelta(hours=3), batch_id="B2", stage="DVT"))
    store.record_run([started("anon", at=T0), finished("anon")])
    return store


def test_unit_runs_are_the_named_ones_oldest_first(units: RunStore) -> None:
    runs = units.unit_runs()
    assert [run.run_id for run in runs] == ["r1", "r2", "r3", "r4"]
    first = runs[0]
    assert (first.sn, first.batch_id, first.station_id, first.stage, first.operator) == (
        "SN1",
        "B1",
        "ST1",
        "EVT",
        "ann",
    )
    assert (first.plan_version, first.status, first.started) == ("1.0", "passed", T0)
    assert [(s.index, s.status, s.attempts) for s in first.steps] == [
        (1, "pass", 2),
        (2, "pass", 1),
    ]
    assert first.steps[0].error_codes == ("E210",)
    assert first.steps[0].passed_on_retry
    assert first.steps[0].requirements == ("REQ-1",)
    assert runs[1].status == "failed"


def test_unit_runs_filters(units: RunStore) -> None:
    def ids(**filters: object) -> list[str]:
        return [run.run_id for run in units.unit_runs(**filters)]  # type: ignore[arg-type]

    assert ids(batch_id="B1") == ["r1", "r2", "r3"]
    assert ids(sn="SN1") == ["r1", "r3"]
    assert ids(batch_id="B2", sn="SN1") == []
    hour = timedelta(hours=1)
    assert ids(since=T0 + hour) == ["r2", "r3", "r4"]  # since is inclusive
    assert ids(until=T0 + 2 * hour) == ["r1", "r2"]  # until is exclusive
    assert ids(since=T0 + hour, until=T0 + 3 * hour) == ["r2", "r3"]
    assert ids(since=T0 + hour, until=T0 + hour) == []


def test_a_run_still_going_is_no_units_result(store: RunStore) -> None:
    events = unit_run("going", "SN5", T0)
    store.store(events[0])
    store.store(events[1])
    assert store.unit_runs() == []
    assert store.finished_units("B1") == {}
    store.store(events[2])
    store.store(events[3])
    assert [run.run_id for run in store.unit_runs()] == ["going"]


def test_finished_units_gives_each_units_last_run(units: RunStore) -> None:
    assert units.finished_units("B1") == {"SN1": "r3", "SN2": "r2"}
    assert units.finished_units("B2") == {"SN3": "r4"}
    assert units.finished_units("B9") == {}


def test_runs_filters_by_identity(units: RunStore) -> None:
    assert [run.run_id for run in units.runs(sn="SN1")] == ["r3", "r1"]
    assert [run.run_id for run in units.runs(batch_id="B2")] == ["r4"]
    assert [run.run_id for run in units.runs(stage="EVT", sn="SN2")] == ["r2"]
    assert len(units.runs(station_id="ST1")) == 4
    assert len(units.runs(sn=None)) == 5  # None filters nothing
    assert [run.run_id for run in units.runs("psu_check", limit=2, batch_id="B1")] == ["r3", "r2"]
    with pytest.raises(TypeError, match="runs\\(\\) cannot filter by operator"):
        units.runs(operator="ann")


# -- batches --------------------------------------------------------------------------------


def batch(batch_id: str = "B1") -> BatchRecord:
    return BatchRecord(
        batch_id=batch_id,
        station_id="ST1",
        stage="EVT",
        operator="ann",
        plan_name="dut_functional",
        plan_path="plans/dut_functional.yaml",
        plan_text="name: dut_functional\n",
        plan_hash="0" * 64,
        sns=("SN1", "SN2"),
        options={"retries": 2, "slots": 2},
        artifacts_dir=None,
        status="running",
        started_at=T0,
        host="bench-3",
        pid=4242,
    )


def test_a_batch_reads_back_as_recorded(store: RunStore) -> None:
    store.start_batch(batch())
    assert store.batch("B1") == batch()
    assert store.batch("B2") is None


def test_a_batch_id_is_taken_once(store: RunStore) -> None:
    store.start_batch(batch())
    with pytest.raises(StoreError, match=r"^batch B1 already exists$"):
        store.start_batch(dataclasses.replace(batch(), stage="DVT"))
    recorded = store.batch("B1")
    assert recorded is not None
    assert recorded.stage == "EVT"


def test_set_batch_status(store: RunStore) -> None:
    store.start_batch(batch())
    store.set_batch_status("B1", "stopped")
    stopped = store.batch("B1")
    assert stopped is not None
    assert stopped.status == "stopped"
    assert stopped.finished_at is not None
    assert stopped.finished_at.tzinfo is not None
    store.set_batch_status("B1", "running", pid=777)  # resumed by another process
    resumed = store.batch("B1")
    assert resumed is not None
    assert (resumed.status, resumed.finished_at, resumed.pid) == ("running", None, 777)
    store.set_batch_status("B1", "finished")
    done = store.batch("B1")
    assert done is not None
    assert (done.status, done.pid) == ("finished", 777)


# -- record_run: all or nothing -------------------------------------------------------------


def test_record_run_writes_the_whole_run(store: RunStore, store_url: str) -> None:
    store.record_run(unit_run("r1", "SN1", T0, codes=("E202", "E210")))
    run = store.get("r1")
    assert run.status == "passed"
    assert [s.number for s in run.steps] == [1, 2]
    assert run.steps[0].error_codes == ("E202", "E210")
    assert (run.sn, run.stage, run.plan_version) == ("SN1", "EVT", "1.0")
    assert [d.name for d in run.devices] == ["psu", "dmm"]
    assert store.is_running(run) is False


def test_a_failed_write_leaves_no_part_of_the_run(store: RunStore, store_url: str) -> None:
    events = unit_run("r1", "SN1", T0)
    orphan = step("no-such-run", 3)  # its run_id breaks the foreign key, after the run row
    with pytest.raises(StoreError) as caught:
        store.record_run([*events[:3], orphan, events[3]])
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith("cannot record run r1 in ")
    assert query(store_url, "SELECT count(*) FROM test_runs") == [(0,)]
    assert query(store_url, "SELECT count(*) FROM step_results") == [(0,)]
    assert query(store_url, "SELECT count(*) FROM devices") == [(0,)]
    store.record_run(events)  # the store still works
    assert [run.run_id for run in store.runs()] == ["r1"]


def test_a_run_recorded_twice_keeps_the_first(store: RunStore, store_url: str) -> None:
    store.record_run(unit_run("r1", "SN1", T0))
    with pytest.raises(StoreError):
        store.record_run(unit_run("r1", "SN2", T0, verdict="fail"))
    assert store.get("r1").sn == "SN1"
    assert query(store_url, "SELECT count(*) FROM step_results") == [(2,)]


def test_a_run_without_its_start_or_end_is_refused(store: RunStore) -> None:
    events = unit_run("r1", "SN1", T0)
    for partial in (events[1:], events[:-1], []):
        with pytest.raises(StoreError, match="without both its RunStarted and RunFinished"):
            store.record_run(partial)
    assert store.runs() == []
