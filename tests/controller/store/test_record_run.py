"""A whole run recorded at once (what a batch does per unit) reads back as if recorded event by
event, and a run that cannot be recorded leaves nothing of itself behind."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from mfg_ctl.run.events import Event, UnitIdentity
from mfg_ctl.store import RunStore, StoreError
from tests.controller.store.backends import query
from tests.controller.store.support import finished, started, step

UNIT = UnitIdentity(sn="SN0042", batch_id="B7", station_id="ST1", stage="EVT", operator="ana")


def unit_run(run_id: str) -> list[Event]:
    """One unit's events: a pass, a fail with device error codes and a skipped teardown."""
    return [
        replace(started(run_id), identity=UNIT, plan_version="1.2"),
        step(run_id, 1, requirements=("REQ-1", "REQ-2")),
        step(run_id, 2, "fail", measured=None, error_code="E201", error_codes=("E201", "E201"),
             attempts=3),
        step(run_id, 3, teardown=True),
        finished(run_id, "fail"),
    ]


def test_a_run_recorded_at_once_reads_back_as_one_recorded_event_by_event(
    store: RunStore, tmp_path: Path, opener: Callable[[Path | str], RunStore]
) -> None:
    at_once, by_event = store, opener(tmp_path / "b.db")
    at_once.record_run(unit_run("r1"))
    for event in unit_run("r1"):
        by_event.store(event)
    recorded = at_once.get("r1")
    assert recorded == by_event.get("r1")
    assert (recorded.sn, recorded.batch_id, recorded.operator) == ("SN0042", "B7", "ana")
    assert [s.error_codes for s in recorded.steps] == [(), ("E201", "E201"), ()]
    assert recorded.steps[0].requirements == ("REQ-1", "REQ-2")
    assert [d.name for d in recorded.devices] == ["psu", "dmm"]
    assert at_once.finished_units("B7") == by_event.finished_units("B7")


def test_a_run_that_cannot_be_recorded_leaves_no_step_behind(
    store: RunStore, store_url: str
) -> None:
    store.record_run(unit_run("r1"))
    again = unit_run("r1")  # the same run id: its row cannot go in twice
    with pytest.raises(StoreError, match=r"^cannot record run r1 in (sqlite|postgresql)\+?\w*://"):
        store.record_run(again)
    assert query(store_url, "SELECT count(*) FROM step_results") == [(3,)]
    store.record_run(unit_run("r2"))  # the store still records
    assert len(store.unit_runs(batch_id="B7")) == 2
