"""A live view whose browser went away frees its stream slot without a write to find out.

Under the real server (waitress as ``mfg-ctl serve-web`` runs it), with heartbeats
that never come: only waitress telling the stream that its client has gone can
give the slot back, so reloading a live page never runs into the bound.
"""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from waitress.server import BaseWSGIServer

from mfg_ctl.web import streams
from mfg_ctl.web.serving import wsgi_server
from tests.controller.web.core_support import plans_folder
from tests.controller.web.support import WAIT, make_app, post, wait_until

ASKING = """\
name: asking
steps:
  - name: check_led
    prompt: "Is the power LED green?"
    answers: [yes, no]
    timeout: 600
"""


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Flask, int]]:
    """The app over a plan that waits for its operator, under waitress on a free port."""
    monkeypatch.setattr(streams, "HEARTBEAT_S", 3600.0)  # no write ever tells of a gone browser
    app = make_app(tmp_path, plans_dir=plans_folder(tmp_path, asking=ASKING), streams_per_client=2)
    server = wsgi_server(app, "127.0.0.1", 0)
    assert isinstance(server, BaseWSGIServer)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield app, int(server.getsockname()[1])
    finally:
        app.extensions["mfg_ctl"].launcher.shutdown()
        server.task_dispatcher.shutdown()
        server.close()
        thread.join(WAIT)


def open_stream(port: int, run_id: str) -> http.client.HTTPResponse:
    """Open a run's event stream; its answer (which holds the socket: keep it to stay open)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    connection.request("GET", f"/runs/{run_id}/events")
    answer = connection.getresponse()
    if answer.status == 200:
        assert answer.read1(65536).startswith(b"retry:")
    return answer


def test_closed_live_views_give_their_slots_back(served: tuple[Flask, int]) -> None:
    app, port = served
    started = post(app.test_client(), "/runs", plan="asking", sns="SN-R")
    run_id = started.headers["Location"].split("/")[2]
    limiter = app.extensions["mfg_ctl"].streams
    for _reload in range(3):
        held = [open_stream(port, run_id) for _ in range(2)]
        assert [answer.status for answer in held] == [200, 200]
        extra = open_stream(port, run_id)
        assert extra.status == 429  # the bound holds while both are open
        extra.close()
        for answer in held:
            answer.close()  # the browser reloads: its old streams go away
        wait_until(lambda: limiter.open_count() == 0, "the closed streams to free their slots")
