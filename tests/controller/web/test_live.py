"""Live channels: numbered messages kept for resuming streams, and events turned into messages."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest

from mfg_ctl.run.events import (
    Event,
    RunFinished,
    RunStarted,
    StepAttempt,
    StepFinished,
    StepProgress,
    StepStarted,
    UnitIdentity,
)
from mfg_ctl.web import live
from mfg_ctl.web.live import Channel, ChannelObserver, Channels, Message, event_message
from tests.controller.web.support import WAIT

AT = datetime(2026, 11, 30, 8, 0, 0, tzinfo=UTC)


def test_messages_are_numbered_from_one_in_order() -> None:
    channel = Channel("r1")
    sent = [channel.publish("step_started", {"number": n}) for n in (1, 2, 3)]
    assert [m.id for m in sent] == [1, 2, 3]
    assert channel.snapshot() == sent


def test_after_returns_only_the_messages_past_the_last_seen_id() -> None:
    channel = Channel("r1")
    for number in range(1, 6):
        channel.publish("step_finished", {"number": number})
    fresh, ended = channel.after(3)
    assert [m.id for m in fresh] == [4, 5]
    assert not ended
    assert channel.after(5) == ([], False)


def test_a_waiting_reader_wakes_when_a_message_is_published() -> None:
    channel = Channel("r1")
    waiting = threading.Event()
    got: list[list[Message]] = []

    def reader() -> None:
        waiting.set()
        got.append(channel.after(0, wait_s=WAIT)[0])

    thread = threading.Thread(target=reader)
    thread.start()
    assert waiting.wait(WAIT)
    channel.publish("run_started", {"plan": "p"})
    thread.join(WAIT)
    assert not thread.is_alive()
    assert [m.kind for m in got[0]] == ["run_started"]


def test_a_waiting_reader_wakes_when_the_channel_closes() -> None:
    channel = Channel("r1")
    got: list[tuple[list[Message], bool]] = []
    thread = threading.Thread(target=lambda: got.append(channel.after(0, wait_s=WAIT)))
    thread.start()
    channel.close()
    thread.join(WAIT)
    assert got == [([], True)]


def test_a_closed_channel_still_hands_out_what_it_holds_then_says_it_ended() -> None:
    channel = Channel("r1")
    channel.publish("run_started", {})
    channel.publish("run_finished", {})
    channel.close()
    assert channel.closed
    fresh, ended = channel.after(0)
    assert [m.id for m in fresh] == [1, 2]
    assert not ended  # there was still something to send
    assert channel.after(2) == ([], True)


def test_a_channel_forgets_its_oldest_messages_past_the_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(live, "MAX_MESSAGES", 3)
    channel = Channel("r1")
    for number in range(1, 8):
        channel.publish("step_finished", {"number": number})
    assert [m.id for m in channel.snapshot()] == [5, 6, 7]
    assert [m.id for m in channel.after(0)[0]] == [5, 6, 7]  # resumes at the oldest kept
    assert [m.id for m in channel.after(5)[0]] == [6, 7]


def test_channels_keep_only_the_most_recent_ended_ones() -> None:
    channels = Channels(keep_ended=2)
    for name in ("a", "b", "c"):
        channels.open(name).close()
    running = channels.open("d")
    assert channels.get("a") is None
    assert [channels.get(name) is not None for name in ("b", "c", "d")] == [True, True, True]
    assert channels.live() == [running]


def test_a_live_channel_is_never_forgotten() -> None:
    channels = Channels(keep_ended=0)
    first = channels.open("live-1")
    channels.open("ended").close()
    channels.open("live-2")
    assert channels.get("live-1") is first
    assert channels.get("ended") is None


def test_the_sse_block_has_id_event_and_one_json_data_line() -> None:
    message = Message(7, "step_finished", {"name": "a\nb", "measured": 1.5})
    text = message.sse().decode()
    assert text.endswith("\n\n")
    lines = text.rstrip("\n").split("\n")
    assert lines[:2] == ["id: 7", "event: step_finished"]
    assert len(lines) == 3
    assert lines[2].startswith("data: ")
    assert json.loads(lines[2].removeprefix("data: ")) == {"name": "a\nb", "measured": 1.5}


def finished(**changes: object) -> StepFinished:
    fields: dict[str, object] = {
        "run_id": "r1",
        "number": 4,
        "name": "check_voltage",
        "device": "power_supply",
        "target": "voltage_readback",
        "action": "read",
        "verdict": "fail",
        "detail": "measured 1300",
        "measured": 1300.0,
        "expected": 1200.0,
        "low": 1175.0,
        "high": 1225.0,
        "finished_at": AT,
    }
    fields.update(changes)
    return StepFinished(**fields)  # type: ignore[arg-type]


def test_each_event_type_becomes_its_message() -> None:
    started = RunStarted(
        "r1", "demo", "plans/demo.yaml", "", (), "custom", AT, 5,
        identity=UnitIdentity("SN1", "B1", "ST1", "EVT", "ann"),
    )  # fmt: skip
    kinds: dict[str, Event] = {
        "run_started": started,
        "step_started": StepStarted("r1", 4, "check_voltage", "power_supply", AT),
        "step_progress": StepProgress("r1", 4, "sweep", "point_25C", "ok", 2.5, "V"),
        "step_attempt": StepAttempt("r1", 4, "check_voltage", 1, "fail", "too high"),
        "step_finished": finished(),
        "run_finished": RunFinished("r1", "fail", 3, 1, 0, 1.25, AT, "4 check_voltage"),
    }
    made = {kind: event_message(event) for kind, event in kinds.items()}
    assert {kind: message and message[0] for kind, message in made.items()} == {
        kind: kind for kind in kinds
    }
    data = {kind: message[1] for kind, message in made.items() if message}
    assert data["run_started"] == {
        "run_id": "r1", "plan": "demo", "steps": 5, "sn": "SN1", "batch_id": "B1",
        "station_id": "ST1", "at": AT.isoformat(),
    }  # fmt: skip
    assert data["step_started"]["name"] == "check_voltage"
    assert (data["step_progress"]["part"], data["step_progress"]["value"]) == ("point_25C", 2.5)
    assert (data["step_attempt"]["attempt"], data["step_attempt"]["reason"]) == (1, "too high")
    assert data["step_finished"]["verdict"] == "fail"
    assert data["step_finished"]["at"] == AT.isoformat()
    assert data["run_finished"]["status"] == "failed"
    assert data["run_finished"]["first_failure"] == "4 check_voltage"
    for each in data.values():
        json.dumps(each, allow_nan=False)  # what Message.sse() needs


def test_non_finite_numbers_become_null() -> None:
    made = event_message(finished(measured=float("nan"), low=float("-inf"), high=float("inf")))
    assert made is not None
    data = made[1]
    assert (data["measured"], data["low"], data["high"], data["expected"]) == (
        None,
        None,
        None,
        1200.0,
    )
    assert json.loads(Message(1, made[0], data).sse().decode().split("data: ")[1])["low"] is None


def test_a_first_attempt_that_passed_is_not_sent_but_a_retry_is() -> None:
    assert event_message(StepAttempt("r1", 1, "s", 1, "pass", "")) is None
    assert event_message(StepAttempt("r1", 1, "s", 1, "fail", "timeout")) is not None
    assert event_message(StepAttempt("r1", 1, "s", 2, "pass", "")) is not None


def test_the_observer_publishes_what_browsers_need_on_its_channel() -> None:
    channel = Channel("r1")
    observer = ChannelObserver(channel)
    observer(StepStarted("r1", 1, "s", "dmm", AT))
    observer(StepAttempt("r1", 1, "s", 1, "pass", ""))
    observer(finished(number=1, verdict="pass"))
    assert [(m.id, m.kind) for m in channel.snapshot()] == [
        (1, "step_started"),
        (2, "step_finished"),
    ]
