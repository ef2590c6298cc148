"""``mfg-ctl run/batch --mqtt``: every event reaches a subscriber once, in order, as the log has it.

Against the real broker at 127.0.0.1:1883 (skipped with one line when none
answers), except where the broker is meant to be missing.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from pathlib import Path

import pytest

from tests.controller.cli.support import (
    BRINGUP,
    assert_bringup_report,
    closed_port,
    in_process,
    isolate,
)
from tests.controller.mqtt_support import URL, need_broker, subscribed, unique_station, wait_until

PUBLISHED = {"RunStarted", "StepFinished", "RunFinished"}


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return isolate(tmp_path, monkeypatch)


def logged(path: Path) -> list[dict[str, object]]:
    """The published kinds of events of a --log file, in order."""
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    return [line for line in lines if line["type"] in PUBLISHED]


def test_every_event_of_a_run_arrives_once_in_order_as_logged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need_broker()
    station, log = unique_station(), tmp_path / "events.jsonl"
    with subscribed(station) as subscriber:
        result = in_process(capsys)(
            "run", BRINGUP, "--mqtt", URL, "--station-id", station, "--log", log
        )
        assert result.status == 0, result.err
        wait_until(lambda: subscriber.last_kind() == "run_finished", "run_finished")
        wait_until(lambda: subscriber.last_status() == "offline", "the station going offline")
        events = subscriber.events()
    expected = logged(log)
    run_id = expected[0]["run_id"]
    assert [got.payload for got in events] == expected
    assert [got.kind for got in events] == ["run_started", *["step_finished"] * 11, "run_finished"]
    assert [got.payload["number"] for got in events[1:-1]] == list(range(1, 12))
    assert {got.topic.rsplit("/", 1)[0] for got in events} == {f"mfg/{station}/{run_id}"}
    assert "mqtt" not in result.err
    assert result.lines[0] == "Plan: station_bringup [PASS]"


def test_the_status_is_online_while_connected_and_offline_after_a_clean_close(
    capsys: pytest.CaptureFixture[str],
) -> None:
    need_broker()
    station = unique_station()
    with subscribed(station) as subscriber:
        result = in_process(capsys)("run", BRINGUP, "--mqtt", URL, "--station-id", station)
        assert result.status == 0
        wait_until(lambda: len(subscriber.statuses()) == 2, "online, then offline")
        online, offline = subscriber.statuses()
    assert online["status"] == "online"
    assert (online["station_id"], online["pid"]) == (station, os.getpid())
    assert offline == {**online, "status": "offline", "clean": True}


def test_a_batch_publishes_every_unit_once_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    need_broker()
    station = unique_station()
    with subscribed(station) as subscriber:
        result = in_process(capsys)(
            "batch", "--plan", "plans/dut_functional.yaml", "--batch-id", "B1", "--stage", "EVT",
            "--station-id", station, "--sns", "SN1,SN2,SN3", "--parallel", "2",
            "--artifacts", tmp_path / "runs", "--mqtt", URL,
        )
        assert result.status == 0, result.err
        wait_until(lambda: sum(got.kind == "run_finished" for got in subscriber.events()) == 3,
                   "three run_finished")
        events = subscriber.events()
    by_run: dict[str, list[str]] = defaultdict(list)
    for got in events:
        by_run[got.payload["run_id"]].append(got.kind)
    steps = len([got for got in events if got.kind == "step_finished"]) // 3
    one_run = ["run_started", *["step_finished"] * steps, "run_finished"]
    assert list(by_run.values()) == [one_run] * 3
    assert sorted(got.payload["identity"]["sn"] for got in events if got.kind == "run_started") == [
        "SN1", "SN2", "SN3",
    ]


def test_without_a_broker_the_run_passes_and_says_its_events_were_dropped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = closed_port()
    result = in_process(capsys)("run", BRINGUP, "--mqtt", f"mqtt://127.0.0.1:{port}")
    assert result.status == 0
    assert_bringup_report(result.lines)
    warned, dropped, ending = result.err.splitlines()[-3:]
    assert warned == (
        f"mqtt: cannot reach 127.0.0.1:{port}; the run goes on, its events are counted as dropped"
    )
    assert dropped == "mqtt: 13 events dropped"
    assert re.fullmatch(r"run [0-9a-f]{8} recorded in .*", ending)


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1", "mqtt://", "mqtt://h:0", "mqtt://h:70000", "mqtt://u@h",
            "mqtt://h/topic", "mqtts://h", "mqtt://h?x=1"],
)
def test_an_address_that_is_not_mqtt_host_port_is_one_line_and_runs_nothing(
    url: str, isolated: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = in_process(capsys)("run", BRINGUP, "--mqtt", url)
    assert result.status == 2
    assert result.out == ""
    assert result.err.splitlines() == [
        f"error: --mqtt {url}: give mqtt://host or mqtt://host:port"
        + (" (port 1-65535)" if url.startswith("mqtt://h:") else "")
    ]
    assert not isolated.exists()
