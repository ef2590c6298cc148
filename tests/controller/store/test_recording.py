"""The run store: events in, stored runs out; queries and prefixes."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from mfg_ctl.run.events import (
    StepStarted,
)
from mfg_ctl.store import (
    AmbiguousRunId,
    RunNotFound,
    RunStore,
    StoreError,
)
from tests.controller.store.support import (
    DEVICES,
    T0,
    finished,
    started,
    step,
)

# -- recording and reading back ----------------------------------------------------------------


def test_a_whole_run_round_trips_with_every_field(
    store_url: str, store: RunStore, opener: Callable[[Path | str], RunStore]
) -> None:
    plus_two = timezone(timedelta(hours=2))
    store(started("r1", selected=(1, 2, 3)))
    store(StepStarted("r1", 1, "step_1", "psu", T0))
    store.store(step("r1", 3, "error", measured=None, attempts=3, duration_s=2.0))
    store(step("r1", 1, expected=5.0, low=4.9, high=5.1, duration_s=0.25))
    store(step("r1", 2, "fail", action="query", finished_at=T0.astimezone(plus_two)))
    store(finished("r1", "fail"))

    run = opener(store_url).get("r1")  # a fresh store: everything came from the database
    assert (run.run_id, run.plan_name, run.plan_path) == ("r1", "psu_check", "plans/psu_check.yaml")
    assert run.plan_text == started("r1").plan_text
    assert (run.status, run.framing, run.step_count) == ("failed", "mbap", 3)
    assert (run.passed, run.failed, run.errors) == (2, 1, 0)
    assert (run.duration_s, run.first_failure) == (12.5, "2 step_2")
    assert run.started_at == T0
    assert run.started_at.tzinfo == UTC
    assert run.finished_at == T0 + timedelta(seconds=12.5)
    assert (run.parent_run_id, run.selected_steps) == (None, (1, 2, 3))
    assert (run.host, run.pid) == (socket.gethostname(), os.getpid())
    assert run.devices == DEVICES
    assert [s.number for s in run.steps] == [1, 2, 3]
    first, second, third = run.steps
    assert (first.name, first.device, first.register, first.action) == (
        "step_1",
        "psu",
        "VOUT",
        "read",
    )
    assert (first.verdict, first.detail, first.measured) == ("pass", "detail 1", 5.01)
    assert (first.expected, first.low, first.high) == (5.0, 4.9, 5.1)
    assert (first.attempts, first.duration_s) == (1, 0.25)
    assert first.finished_at == T0 + timedelta(seconds=1)
    assert second.finished_at == T0
    assert second.finished_at.tzinfo == UTC
    assert (second.verdict, second.action) == ("fail", "query")
    assert (third.verdict, third.measured, third.expected) == ("error", None, None)
    assert third.attempts == 3
    assert run.not_passed == (2, 3)

    (summary,) = store.runs()
    assert summary.run_id == "r1"
    assert summary.status == "failed"
    assert summary.passed == 2


@pytest.mark.parametrize(
    ("verdict", "aborted", "status"),
    [("pass", False, "passed"), ("fail", False, "failed"), ("error", False, "error"),
     ("pass", True, "aborted")],
)  # fmt: skip
def test_run_status_follows_the_verdict(
    store: RunStore, verdict: str, aborted: bool, status: str
) -> None:
    store(started("r1"))
    assert store.get("r1").status == "running"
    store(finished("r1", verdict, aborted=aborted))
    assert store.get("r1").status == status


def test_naive_timestamps_are_taken_as_utc(store: RunStore) -> None:
    store(started("r1", at=datetime(2025, 3, 1, 8, 0)))
    assert store.get("r1").started_at == T0


def test_steps_are_visible_to_another_store_before_the_run_finishes(
    store_url: str, opener: Callable[[Path | str], RunStore]
) -> None:
    writer, reader = opener(store_url), opener(store_url)
    writer(started("r1"))
    writer(step("r1", 1))
    writer(step("r1", 2, "fail"))
    seen = reader.get("r1")
    assert seen.status == "running"  # this process is alive and still at it
    assert [s.verdict for s in seen.steps] == ["pass", "fail"]
    writer(step("r1", 3))
    assert len(reader.get("r1").steps) == 3


def test_parent_linkage_for_a_rerun(store: RunStore) -> None:
    store(started("first", at=T0))
    store(finished("first", "fail"))
    store(started("again", at=T0 + timedelta(hours=1), parent="first", selected=(2,)))
    rerun = store.get("again")
    assert (rerun.parent_run_id, rerun.selected_steps) == ("first", (2,))
    assert rerun.parent_run_id is not None
    assert store.get(rerun.parent_run_id).status == "failed"


def test_foreign_keys_are_enforced(store: RunStore) -> None:
    with pytest.raises(StoreError, match=r"(?i)foreign key"):
        store(started("orphan", parent="no-such-run"))
    with pytest.raises(StoreError, match="step 1 of run ghost"):
        store(step("ghost", 1))
    with pytest.raises(StoreError, match="never started"):
        store(finished("ghost"))
    store(started("r1"))
    with pytest.raises(StoreError, match=r"(?i)unique"):
        store(started("r1"))
    assert [r.run_id for r in store.runs()] == ["r1"]


# -- queries -----------------------------------------------------------------------------------


def test_runs_are_listed_newest_first_by_plan_and_limited(store: RunStore) -> None:
    for i, plan in enumerate(["a", "b", "a", "a", "b"]):
        store(started(f"run{i}", plan=plan, at=T0 + timedelta(minutes=(i * 7) % 5)))
    assert [r.run_id for r in store.runs()] == ["run2", "run4", "run1", "run3", "run0"]
    assert [r.run_id for r in store.runs("a")] == ["run2", "run3", "run0"]
    assert [r.run_id for r in store.runs(limit=2)] == ["run2", "run4"]
    assert store.runs("nope") == []


def test_last_run_is_the_newest_run_of_the_plan(store: RunStore) -> None:
    store(started("old", plan="a", at=T0))
    store(started("newest", plan="a", at=T0 + timedelta(days=2)))
    store(started("middle", plan="a", at=T0 + timedelta(days=1)))
    store(started("other", plan="b", at=T0 + timedelta(days=3)))
    last = store.last_run("a")
    assert last is not None
    assert last.run_id == "newest"
    assert store.last_run("never-ran") is None


def test_a_unique_prefix_finds_the_run(store: RunStore) -> None:
    for run_id in ("abc111", "abc222", "def333", "xy", "xyz"):
        store(started(run_id))
    assert store.get("def").run_id == "def333"
    assert store.get("  abc1 ").run_id == "abc111"
    assert store.get("xy").run_id == "xy"  # a whole id wins over the longer one it starts
    assert store.get("abc222").run_id == "abc222"


def test_an_ambiguous_prefix_names_the_matches(store: RunStore) -> None:
    store(started("abc111"))
    store(started("abc222"))
    with pytest.raises(AmbiguousRunId) as caught:
        store.get("abc")
    message = str(caught.value)
    assert "abc111" in message
    assert "abc222" in message
    assert "\n" not in message
    assert sorted(caught.value.matches) == ["abc111", "abc222"]
    assert isinstance(caught.value, StoreError)


def test_a_prefix_of_many_runs_is_cut_short(store: RunStore) -> None:
    for i in range(8):
        store(started(f"aa{i}"))
    with pytest.raises(AmbiguousRunId, match=r", \.\.\.; type more"):
        store.get("aa")


@pytest.mark.parametrize("ref", ["zzz", "ABC", "", "  "])
def test_no_match_is_run_not_found(store: RunStore, ref: str) -> None:
    store(started("abc111"))
    with pytest.raises(RunNotFound) as caught:
        store.get(ref)
    assert "\n" not in str(caught.value)
