"""What the web UI tests share: an app over a fresh store, a client that sends CSRF tokens,
and a bounded wait for a live run to end."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from mfg_ctl.web import WebSettings, create_app
from mfg_ctl.web.live import Channel

ROOT = Path(__file__).resolve().parents[3]
PLANS = ROOT / "plans"
WAIT = 60.0  # seconds: a hang guard on every wait for a run, never a budget


def make_app(tmp_path: Path, **overrides: Any) -> Flask:
    """An app over a store in ``tmp_path``, offering the repository's plans."""
    options: dict[str, Any] = {
        "db_url": f"sqlite:///{tmp_path / 'runs.db'}",
        "plans_dir": PLANS,
        "runs_dir": tmp_path / "runs",
    }
    options.update(overrides)
    app = create_app(WebSettings(**options))
    app.config["TESTING"] = True
    return app


def csrf_of(client: FlaskClient) -> str:
    """The CSRF token of the client's session, read from a page as a browser would."""
    page = client.get("/").get_data(as_text=True)
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert found is not None, "the plans page carries no CSRF token"
    return found.group(1)


def post(client: FlaskClient, url: str, **form: str) -> Any:
    """POST a form with the session's CSRF token, as the pages' forms do."""
    return client.post(url, data={"csrf_token": csrf_of(client), **form})


def channel_of(app: Flask, channel_id: str) -> Channel:
    """The live channel of a run or batch started in ``app``."""
    channel: Channel | None = app.extensions["mfg_ctl"].channels.get(channel_id)
    assert channel is not None, f"no live channel {channel_id}"
    return channel


def wait_until(done: Callable[[], bool], what: str, wait_s: float = WAIT) -> None:
    """Poll ``done`` until true; fail naming ``what`` after ``wait_s`` (a hang guard)."""
    deadline = time.monotonic() + wait_s
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def wait_closed(app: Flask, channel_id: str) -> Channel:
    """Wait for a live run or batch to end; return its channel."""
    channel = channel_of(app, channel_id)
    wait_until(lambda: channel.closed, f"run {channel_id} to end")
    return channel
