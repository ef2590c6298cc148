"""``mfg-ctl line --mqtt``: every station's events reach a subscriber once, in order.

A real line (three station processes) publishes to the real broker at
127.0.0.1:1883; the test is skipped with one line when none answers. A line's
stations are always ST01, ST02, ...: other lines may publish under those
topics at the same time, so what arrives is filtered by the run ids and the
station processes' pids this line's store recorded (read with :mod:`sqlite3`).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import uuid
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from tests.controller.batch.support import PLAN
from tests.controller.cli.support import ROOT
from tests.controller.mqtt_support import URL, Subscriber, need_broker, subscribed, wait_until

STATIONS = ("ST01", "ST02", "ST03")
UNITS = 6
#: A hang guard on the whole line, never a budget.
LINE_TIMEOUT_S = 300


def stored(database: Path, line_id: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The line's runs (id, station, step count) and each station's batch process pid."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        connection.row_factory = sqlite3.Row
        runs = connection.execute(
            "SELECT id, station_id, step_count, passed, failed, errors FROM test_runs"
            " WHERE batch_id LIKE ?",
            (f"{line_id}-%",),
        ).fetchall()
        batches = connection.execute(
            "SELECT station_id, pid FROM batches WHERE id LIKE ?", (f"{line_id}-%",)
        ).fetchall()
    return [dict(run) for run in runs], {row["station_id"]: row["pid"] for row in batches}


def finished_runs(subscribers: dict[str, Subscriber], run_ids: set[str]) -> int:
    """How many of ``run_ids`` have had their ``run_finished`` arrive, on any station."""
    return sum(
        got.kind == "run_finished" and got.payload["run_id"] in run_ids
        for subscriber in subscribers.values()
        for got in subscriber.events()
    )


def retained_status(station: str) -> dict[str, Any]:
    """The status a new subscriber to ``station`` is handed (the retained one)."""
    with subscribed(station) as late:
        wait_until(lambda: bool(late.statuses()), f"the retained status of {station}")
        return late.statuses()[-1]


def test_a_line_publishes_every_run_of_every_station_once_in_order(tmp_path: Path) -> None:
    need_broker()
    line_id, database = f"MQ-{uuid.uuid4().hex[:10]}", tmp_path / "line.db"
    with ExitStack() as stack:
        subscribers = {station: stack.enter_context(subscribed(station)) for station in STATIONS}
        result = subprocess.run(
            [sys.executable, "-m", "mfg_ctl", "line", "--stations", str(len(STATIONS)),
             "--units", str(UNITS), "--plan", str(PLAN), "--line-id", line_id,
             "--db", f"sqlite:///{database}", "--artifacts", str(tmp_path / "runs"),
             "--mqtt", URL],
            capture_output=True, text=True, timeout=LINE_TIMEOUT_S, cwd=ROOT, check=False,
        )
        assert result.returncode in (0, 1), result.stderr  # 1: a simulated unit failed
        runs, pids = stored(database, line_id)
        assert len(runs) == UNITS
        assert sorted(pids) == list(STATIONS)
        run_ids = {run["id"] for run in runs}
        wait_until(lambda: finished_runs(subscribers, run_ids) == UNITS, "every run_finished")
        wait_until(
            lambda: all(
                [status["status"] for status in subscribers[station].statuses()
                 if status["pid"] == pid] == ["online", "offline"]
                for station, pid in pids.items()
            ),
            "each station online, then offline",
        )
        for run in runs:
            events = subscribers[run["station_id"]].events(run["id"])
            steps = run["step_count"]
            assert [got.kind for got in events] == [
                "run_started", *["step_finished"] * steps, "run_finished"
            ], run
            assert [got.payload["number"] for got in events[1:-1]] == list(range(1, steps + 1))
            assert {got.payload["run_id"] for got in events} == {run["id"]}
            ended = events[-1].payload
            assert (ended["passed"], ended["failed"], ended["errors"]) == (
                run["passed"], run["failed"], run["errors"]
            )
            others = [name for name in STATIONS if name != run["station_id"]]
            assert not any(subscribers[name].events(run["id"]) for name in others)
        for station, pid in pids.items():
            online, offline = [
                status for status in subscribers[station].statuses() if status["pid"] == pid
            ]
            assert (online["station_id"], online["status"]) == (station, "online")
            assert offline == {**online, "status": "offline", "clean": True}
            assert retained_status(station) == offline
