"""Event streams: the bound on streams, the SSE bytes, and ``/runs/<id>/events`` over HTTP."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest
from flask import Flask

from mfg_ctl.web import streams
from mfg_ctl.web.live import Channel
from mfg_ctl.web.streams import StreamLimiter, sse_stream
from tests.controller.web.core_support import message_ids, parse_sse
from tests.controller.web.support import make_app


def test_the_limiter_bounds_streams_per_client_and_in_all() -> None:
    limiter = StreamLimiter(per_client=2, total=3)
    assert limiter.acquire("a")
    assert limiter.acquire("a")
    assert not limiter.acquire("a")  # a's own bound
    assert limiter.acquire("b")
    assert not limiter.acquire("c")  # the server's bound
    limiter.release("a")
    assert limiter.held("a") == 1
    assert limiter.acquire("c")


def test_a_released_client_holds_nothing() -> None:
    limiter = StreamLimiter(per_client=1, total=1)
    assert limiter.acquire("a")
    limiter.release("a")
    assert limiter.held("a") == 0
    assert limiter.acquire("b")


def ended_channel(count: int) -> Channel:
    channel = Channel("r1")
    for number in range(1, count + 1):
        channel.publish("step_finished", {"number": number})
    channel.close()
    return channel


def test_a_stream_starts_with_retry_resumes_and_ends_with_end() -> None:
    chunks = list(sse_stream(ended_channel(5), 2, seconds=60))
    assert chunks[0] == f"retry: {streams.RETRY_MS}\n\n".encode()
    blocks = parse_sse(b"".join(chunks).decode())
    assert message_ids(blocks) == [3, 4, 5]
    assert blocks[-1] == {"event": "end", "data": "{}"}


def test_a_quiet_stream_sends_heartbeats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(streams, "HEARTBEAT_S", 0.01)
    chunks = list(islice(sse_stream(Channel("quiet"), 0, seconds=60), 3))
    assert chunks[1:] == [b": keep-alive\n\n"] * 2


def test_a_stream_ends_after_its_seconds_without_an_end_event(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(streams, "HEARTBEAT_S", 0.01)
    chunks = list(sse_stream(Channel("quiet"), 0, seconds=0.05))  # ends by itself
    assert b"event: end" not in b"".join(chunks)
    assert set(chunks[1:]) <= {b": keep-alive\n\n"}


# -- over HTTP ----------------------------------------------------------------------------


def app_with_channel(tmp_path: Path, count: int, closed: bool = True, **settings: object) -> Flask:
    app = make_app(tmp_path, **settings)
    channel = app.extensions["mfg_ctl"].channels.open("run1")
    for number in range(1, count + 1):
        channel.publish("step_finished", {"number": number})
    if closed:
        channel.close()
    return app


def test_last_event_id_resumes_after_that_message(tmp_path: Path) -> None:
    client = app_with_channel(tmp_path, 6).test_client()
    answer = client.get("/runs/run1/events", headers={"Last-Event-ID": "4"})
    assert answer.status_code == 200
    assert answer.mimetype == "text/event-stream"
    blocks = parse_sse(answer.get_data(as_text=True))
    assert message_ids(blocks) == [5, 6]
    assert blocks[-1]["event"] == "end"


def test_after_in_the_query_resumes_too(tmp_path: Path) -> None:
    client = app_with_channel(tmp_path, 6).test_client()
    body = client.get("/runs/run1/events?after=2").get_data(as_text=True)
    assert message_ids(parse_sse(body)) == [3, 4, 5, 6]
    everything = client.get("/runs/run1/events").get_data(as_text=True)
    assert message_ids(parse_sse(everything)) == [1, 2, 3, 4, 5, 6]


@pytest.mark.parametrize("header", [{"Last-Event-ID": "four"}, {}])
def test_a_bad_last_id_is_refused_with_one_line(tmp_path: Path, header: dict[str, str]) -> None:
    client = app_with_channel(tmp_path, 2).test_client()
    url = "/runs/run1/events" + ("" if header else "?after=x1")
    answer = client.get(url, headers=header)
    assert answer.status_code == 400
    assert "Last-Event-ID must be a whole number" in answer.get_data(as_text=True)
    assert "Traceback" not in answer.get_data(as_text=True)


def test_the_events_of_an_unknown_run_are_not_found(tmp_path: Path) -> None:
    answer = make_app(tmp_path).test_client().get("/runs/nosuchrun/events")
    assert answer.status_code == 404
    assert "is not running on this server" in answer.get_data(as_text=True)


def test_a_client_past_its_stream_bound_is_refused_until_one_closes(tmp_path: Path) -> None:
    app = app_with_channel(tmp_path, 1, closed=False, streams_per_client=1)
    client = app.test_client()
    held = client.get("/runs/run1/events", buffered=False)
    assert next(iter(held.response)) == f"retry: {streams.RETRY_MS}\n\n".encode()
    refused = client.get("/runs/run1/events")
    assert refused.status_code == 429
    assert "Too many live views" in refused.get_data(as_text=True)
    held.close()
    app.extensions["mfg_ctl"].channels.get("run1").close()
    again = client.get("/runs/run1/events?after=1")
    assert again.status_code == 200
    assert parse_sse(again.get_data(as_text=True))[-1]["event"] == "end"
