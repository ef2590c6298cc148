"""``mfg-ctl analytics`` and ``mfg-ctl history`` over the run store (a fake one here).

The store's ``unit_runs`` is the lead's to write; these tests pin what the
commands ask of it (the filters) and what they make of its answer. The
real-store end-to-end test comes with that method.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from mfg_ctl.analytics.records import UnitRun
from mfg_ctl.cli import analytics as analytics_cli
from mfg_ctl.cli.main import main
from mfg_ctl.store import StoreError
from tests.controller.analytics.fixture import twenty_units

Ctl = Callable[..., tuple[int, str, str]]


class FakeStore:
    """Answers ``unit_runs`` from a list of runs, filtering by batch and serial number only."""

    def __init__(self, runs: list[UnitRun], broken: bool = False) -> None:
        self.runs = runs
        self.broken = broken
        self.asked: list[dict[str, Any]] = []
        self.urls: list[str | None] = []

    def unit_runs(self, **filters: Any) -> list[UnitRun]:
        self.asked.append(filters)
        if self.broken:
            raise StoreError("the run store is locked by another program")
        batch, sn = filters.get("batch_id"), filters.get("sn")
        return [
            run
            for run in self.runs
            if (batch is None or run.batch_id == batch) and (sn is None or run.sn == sn)
        ]


@pytest.fixture(name="store")
def store_fixture(monkeypatch: pytest.MonkeyPatch) -> FakeStore:
    store = FakeStore(twenty_units())

    @contextmanager
    def opened(url: str | None) -> Iterator[FakeStore]:
        store.urls.append(url)
        yield store

    monkeypatch.setattr(analytics_cli, "opened_store", opened)
    return store


@pytest.fixture(name="ctl")
def ctl_fixture(capsys: pytest.CaptureFixture[str]) -> Ctl:
    def ctl(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return ctl


def test_a_batch_is_asked_of_the_store_by_its_id(ctl: Ctl, store: FakeStore) -> None:
    status, out, err = ctl("analytics", "--batch-id", "D2", "--json", "--db", "other.db")
    assert (status, err) == (0, "")
    assert store.asked == [{"batch_id": "D2", "since": None, "until": None}]
    assert store.urls == ["other.db"]
    report = json.loads(out)
    # D2 is units #16-#20: first pass #17 #20, passed all but #16
    assert report["units"] == {"tested": 5, "passed": 4, "failed": 1}
    assert report["yield"]["fpy"] == pytest.approx(0.4)


def test_a_time_window_is_asked_in_utc(ctl: Ctl, store: FakeStore) -> None:
    status, out, _ = ctl("analytics", "--since", "2026-11-02", "--until", "2026-11-03T01:00+01:00")
    assert status == 0
    assert store.asked == [
        {
            "batch_id": None,
            "since": datetime(2026, 11, 2, tzinfo=UTC),  # a date: its midnight, UTC
            "until": datetime(2026, 11, 3, tzinfo=UTC),  # 01:00 at UTC+1
        }
    ]
    assert out.startswith("units: 20 tested, 17 passed, 3 failed\n")


def test_an_open_ended_window_and_a_batch_together(ctl: Ctl, store: FakeStore) -> None:
    status, _, _ = ctl("analytics", "--batch-id", "E1", "--since", "2026-11-02T09:30")
    assert status == 0
    assert store.asked == [
        {"batch_id": "E1", "since": datetime(2026, 11, 2, 9, 30, tzinfo=UTC), "until": None}
    ]


def test_a_failing_store_is_one_line_and_exit_4(ctl: Ctl, store: FakeStore) -> None:
    store.broken = True
    assert ctl("analytics", "--batch-id", "E1") == (
        4,
        "",
        "error: the run store is locked by another program\n",
    )
    assert ctl("history", "SN01")[0] == 4


def test_history_lists_a_serial_numbers_runs_oldest_first(ctl: Ctl, store: FakeStore) -> None:
    store.runs.reverse()
    status, out, err = ctl("history", "SN02")
    assert (status, err) == (0, "")
    assert store.asked == [{"sn": "SN02"}]
    lines = out.splitlines()
    assert lines[0].split() == ["started", "(UTC)", "run", "stage", "station", "batch",
                                "operator", "plan", "result"]  # fmt: skip
    assert lines[1].split() == ["2026-11-02", "09:05:00", "r02", "EVT", "ST1", "E1",
                                "alice", "board_test", "passed"]  # fmt: skip
    assert lines[2].split()[2:] == ["r14", "DVT", "ST1", "D1", "alice", "board_test", "failed"]
    assert lines[3].split() == ["3", "current:", "fail", "(1", "attempt;", "codes", "E31)"]
    assert lines[4].split() == ["4", "ripple:", "skipped"]
    assert lines[5].split()[-2:] == ["passed", "(retried)"]
    assert lines[6].split() == ["3", "current:", "pass", "(2", "attempts;", "codes", "E31)"]
    assert len(lines) == 7


def test_history_as_json_has_every_run_with_its_steps(ctl: Ctl, store: FakeStore) -> None:
    status, out, _ = ctl("history", "SN08", "--json")
    assert status == 0
    runs = json.loads(out)
    assert [run["run_id"] for run in runs] == ["r09", "r10"]
    first = runs[0]
    shown = ("sn", "stage", "station_id", "operator", "status", "started")
    assert {key: first[key] for key in shown} == {
        "sn": "SN08",
        "stage": "EVT",
        "station_id": "ST1",
        "operator": "alice",
        "status": "failed",
        "started": "2026-11-02T09:25:00+00:00",
    }
    assert first["steps"][3] == {
        "index": 4,
        "name": "ripple",
        "status": "fail",
        "attempts": 2,
        "error_codes": ["E41", "E41"],
        "requirements": [],
    }


def test_history_of_an_unknown_serial_number(ctl: Ctl, store: FakeStore) -> None:
    assert ctl("history", "SN99") == (0, "no finished runs of 'SN99'\n", "")
    assert ctl("history", "SN99", "--json") == (0, "[]\n", "")
    assert len(store.runs) == 24


@pytest.mark.parametrize("command", ["analytics", "history"])
def test_the_commands_are_listed_and_their_help_is_plain_text(ctl: Ctl, command: str) -> None:
    status, out, _ = ctl(command, "--help")
    assert status == 0
    assert out.startswith(f"Usage: mfg-ctl {command} [OPTIONS]")
    assert "``" not in out
    assert ":doc:" not in out
    listing = ctl("--help")[1].split("Commands:\n", 1)[1].splitlines()
    (line,) = [line for line in listing if line.split()[0] == command]
    assert line.endswith(".")  # one whole sentence on one line
