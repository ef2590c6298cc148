"""Run store schema 4: a schema-3 store migrates keeping its runs; step units and a sweep's
raw readings are written with their step (live and ``record_run``) and read back.

``tests/controller/data/runs_v3.sql`` is the dump of a schema-3 store written by
the mfg-ctl of before schema 4 (its header says how): an ``mfg-ctl tempco`` run
(3 points) and an 11-step bring-up, both passed.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from mfg_ctl.report import RunReport
from mfg_ctl.run.events import Event, StepAttempt, StepProgress, SweepReading
from mfg_ctl.run.observers import JsonlLog
from mfg_ctl.store import RunStore, StoreError
from tests.controller.store.backends import query
from tests.controller.store.support import ROOT, T0, finished, raw, started, step, url_of

V3_DUMP = ROOT / "tests" / "controller" / "data" / "runs_v3.sql"
TEMPCO_RUN, BRINGUP_RUN = "c0c2ca5e71c54a35a73ce3e0fde29565", "2d3b2a027dae442c9040fa8dea1aca2f"


def v3_store(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(V3_DUMP.read_text())
    assert raw(path, "SELECT version FROM mfg_ctl_schema") == [(3,)]
    return path


def readings(setpoint: float, *volts: float, start_s: float = 0.0) -> tuple[SweepReading, ...]:
    """A point's readings, a second apart, the air 0.1 C short of the setpoint."""
    return tuple(
        SweepReading(
            T0 + timedelta(seconds=start_s + i),
            start_s + i,
            setpoint,
            setpoint - 0.1,
            setpoint + 0.7,
            v,
        )
        for i, v in enumerate(volts)
    )


def progress(run_id: str, number: int, rows: tuple[SweepReading, ...]) -> StepProgress:
    return StepProgress(
        run_id,
        number,
        "sweep",
        f"point_{rows[0].setpoint_c:g}C",
        "measured",
        rows[0].vout_v,
        "V",
        rows,
    )


def attempt(run_id: str, number: int, n: int, status: str = "pass") -> StepAttempt:
    return StepAttempt(run_id, number, "sweep", n, status, "")  # type: ignore[arg-type]


#: A retried sweep: its first attempt read one point then broke; only the second counts.
BROKEN = readings(-40.0, 3.289, 3.2891)
COLD, HOT = readings(-40.0, 3.2890, 3.2892, start_s=400), readings(85.0, 3.3100, start_s=900)


def sweep_run(run_id: str) -> list[Event]:
    return [
        started(run_id),
        step(run_id, 1, unit="V"),
        progress(run_id, 2, BROKEN),
        attempt(run_id, 2, 1, "error"),
        progress(run_id, 2, COLD),
        progress(run_id, 2, HOT),
        attempt(run_id, 2, 2),
        step(run_id, 2, measured=49.9, unit="ppm/C", attempts=2, name="sweep"),
        step(run_id, 3),  # no unit
        finished(run_id),
    ]


def test_a_version_3_store_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    db = v3_store(tmp_path / "runs.db")
    with RunStore(url_of(db)) as store:
        assert {run.run_id for run in store.runs()} == {TEMPCO_RUN, BRINGUP_RUN}
        tempco, bringup = store.get(TEMPCO_RUN), store.get(BRINGUP_RUN)
        assert (tempco.status, len(tempco.steps), len(bringup.steps)) == ("passed", 1, 11)
        assert tempco.steps[0].detail.startswith("tempco 49.97 ppm/C, expected 50 +/- 5")
        assert tempco.steps[0].measured == pytest.approx(49.97, abs=0.005)
        assert {s.unit for s in (*tempco.steps, *bringup.steps)} == {""}  # not kept before 4
        assert store.sweep_readings(TEMPCO_RUN) == ()  # nor were the readings
        before = RunReport.from_stored(bringup)
    assert raw(db, "SELECT version FROM mfg_ctl_schema") == [(5,)]  # and on to schema 5
    assert raw(db, "SELECT count(*) FROM step_results") == [(12,)]
    assert raw(db, "SELECT count(*) FROM sweep_readings") == [(0,)]
    with RunStore(url_of(db)) as again:  # records schema-4 runs beside the old ones
        again.record_run(sweep_run("new"))
        assert len(again.sweep_readings("new")) == 3
        assert RunReport.from_stored(again.get(BRINGUP_RUN)) == before


@pytest.mark.parametrize("path", ["live", "record_run"])
def test_units_and_the_last_attempts_readings_are_stored(store: RunStore, path: str) -> None:
    events = sweep_run("r1")
    if path == "live":
        for event in events:
            store.store(event)
    else:
        store.record_run(events)
    run = store.get("r1")
    assert [(s.number, s.unit) for s in run.steps] == [(1, "V"), (2, "ppm/C"), (3, "")]
    assert store.sweep_readings("r1") == COLD + HOT
    assert store.sweep_readings("r1", step_number=2) == COLD + HOT
    assert store.sweep_readings("r1", step_number=1) == ()
    assert store.sweep_readings("unknown") == ()
    assert all(r.at.tzinfo is not None for r in store.sweep_readings("r1"))
    report = RunReport.from_stored(run, store.sweep_readings("r1"))
    assert [line.unit for line in report.steps] == ["V", "ppm/C", ""]
    assert report.readings == COLD + HOT == RunReport.from_events(events).readings


def test_readings_of_two_sweeps_come_step_by_step(store: RunStore, store_url: str) -> None:
    events: list[Event] = [
        started("r1"),
        progress("r1", 2, HOT),
        step("r1", 2),
        progress("r1", 1, COLD),  # step 2 written first: read back in step order
        step("r1", 1),
        finished("r1"),
    ]
    store.record_run(events)
    assert store.sweep_readings("r1") == COLD + HOT
    order = "SELECT step_number, seq FROM sweep_readings ORDER BY step_number, seq"
    assert query(store_url, order) == [
        (1, 0),
        (1, 1),
        (2, 0),
    ]


def test_a_run_cut_short_mid_sweep_keeps_no_readings(store: RunStore, store_url: str) -> None:
    store.store(started("r1"))
    store.store(progress("r1", 1, COLD))  # Ctrl-C: no StepAttempt nor StepFinished follows
    store.store(dataclasses.replace(finished("r1"), aborted=True))
    assert query(store_url, "SELECT count(*) FROM sweep_readings") == [(0,)]
    assert RunReport.from_events([started("r1"), progress("r1", 1, COLD)]).readings == ()


def test_a_failed_record_run_leaves_no_readings(store: RunStore, store_url: str) -> None:
    events = sweep_run("r1")
    orphan = step("no-such-run", 9)
    with pytest.raises(StoreError, match=r"^cannot record run r1 in "):
        store.record_run([*events[:-1], orphan, events[-1]])
    assert query(store_url, "SELECT count(*) FROM sweep_readings") == [(0,)]
    assert query(store_url, "SELECT count(*) FROM test_runs") == [(0,)]


def test_readings_go_with_their_run(store: RunStore, store_url: str) -> None:
    store.record_run(sweep_run("r1"))
    store.record_run(sweep_run("r2"))
    query(store_url, "DELETE FROM test_runs WHERE id = 'r1'")
    assert query(store_url, "SELECT DISTINCT run_id FROM sweep_readings") == [("r2",)]
    assert len(store.sweep_readings("r2")) == 3


def test_the_jsonl_log_writes_a_sweeps_readings_by_attempt(tmp_path: Path) -> None:
    log = JsonlLog(tmp_path / "events.jsonl")
    for event in sweep_run("r1"):
        log(event)
    lines = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    assert [line["type"] for line in lines] == [
        "RunStarted",
        "StepFinished",
        "StepProgress",
        "StepProgress",
        "StepProgress",
        "StepFinished",
        "StepFinished",
        "RunFinished",
    ]
    sweeps = [line for line in lines if line["type"] == "StepProgress"]
    assert [(line["part"], line["attempt"]) for line in sweeps] == [
        ("point_-40C", 1),
        ("point_-40C", 2),
        ("point_85C", 2),
    ]
    first = sweeps[1]["readings"][0]
    assert first == {
        "at": (T0 + timedelta(seconds=400)).isoformat(),
        "elapsed_s": 400.0,
        "setpoint_c": -40.0,
        "chamber_c": -40.1,
        "dut_c": -39.3,
        "vout_v": 3.289,
    }
    assert "unit" not in lines[1]  # a finished step's line keeps its first shape
    log(StepProgress("r1", 1, "x", "part", "no readings"))  # plain progress is not written
    assert (tmp_path / "events.jsonl").read_text().count("\n") == len(lines)


def test_a_step_finished_without_attempts_keeps_what_it_reported(store: RunStore) -> None:
    store.record_run([started("r1"), progress("r1", 1, HOT), step("r1", 1), finished("r1")])
    assert store.sweep_readings("r1") == HOT
