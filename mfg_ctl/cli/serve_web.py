"""``mfg-ctl serve-web``: the web UI (:mod:`mfg_ctl.web`) under waitress until Ctrl-C or SIGTERM."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from mfg_ctl.cli.support import db_option, fail, opened_store, port_offset_option, say
from mfg_ctl.stations import StationError, load_station
from mfg_ctl.web.settings import WebSettings, is_loopback

if TYPE_CHECKING:
    from waitress.server import BaseWSGIServer, MultiSocketServer

    from mfg_ctl.web.state import WebState

__all__ = ["serve_web"]

#: How long a stop waits for the open live views to hear that their runs ended, in seconds.
DRAIN_S = 5.0
#: The longest token and token file accepted.
TOKEN_MAX = 256


def _read_token(token: str | None, token_file: Path | None) -> str:
    """The access token given, or read from its file; exit 2 when unusable."""
    if token is not None and token_file is not None:
        fail("give the access token with --token or --token-file, not both")
    if token_file is not None:
        try:
            token = token_file.read_text("utf-8", errors="strict")[: TOKEN_MAX + 1].strip()
        except (OSError, UnicodeDecodeError) as error:
            fail(f"cannot read the token file {token_file}: {getattr(error, 'strerror', error)}")
    token = (token or "").strip()
    if len(token) > TOKEN_MAX or any(not char.isprintable() or char.isspace() for char in token):
        fail(f"the access token must be at most {TOKEN_MAX} printable characters without spaces")
    if token and len(token) < 16:
        fail("the access token must be at least 16 characters long")
    return token


@click.command(short_help="Serve the web UI: plans, live runs, history and dashboards.")
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=5050, show_default=True, type=click.IntRange(0, 65535))
@db_option
@click.option(
    "--station",
    "station_path",
    type=click.Path(path_type=Path),
    help="station file of the devices runs use (default: simulate them for each run)",
)
@port_offset_option
@click.option("--station-id", default="", help="station id recorded with runs started here")
@click.option(
    "--plans",
    "plans_dir",
    default=Path("plans"),
    show_default=True,
    type=click.Path(path_type=Path),
    help="folder of the plans offered",
)
@click.option("--token", default=None, help="access token every request must carry")
@click.option("--token-file", type=click.Path(path_type=Path), help="read the token from a file")
@click.option("--language", default="", help="language of the pages (default: the browser's)")
def serve_web(
    *,
    host: str,
    port: int,
    db_url: str | None,
    station_path: Path | None,
    port_offset: int,
    station_id: str,
    plans_dir: Path,
    token: str | None,
    token_file: Path | None,
    language: str,
) -> None:
    """Serve the web UI on HOST:PORT until Ctrl-C (runs started there finish their teardown)."""
    from mfg_ctl.web import create_app  # noqa: PLC0415 - the web extra, only here
    from mfg_ctl.web.messages import languages  # noqa: PLC0415
    from mfg_ctl.web.serving import STREAMS_TOTAL, wsgi_server  # noqa: PLC0415

    access = _read_token(token, token_file)
    if not is_loopback(host) and not access:
        fail(f"--host {host} is reachable from other machines: give --token or --token-file")
    if language and language not in languages():
        fail(f"--language {language}: the shipped languages are {', '.join(languages())}")
    if not plans_dir.is_dir():
        fail(f"--plans {plans_dir}: no such folder; give the folder of the plans to offer")
    if station_path is not None:
        try:
            load_station(station_path).shifted(port_offset)
        except StationError as error:
            fail(str(error))
    elif port_offset:
        fail("--port-offset shifts a station's ports: add --station FILE")
    with opened_store(db_url) as store:
        settings = WebSettings(
            db_url=store.url,
            plans_dir=plans_dir,
            station_path=station_path,
            port_offset=port_offset,
            station_id=station_id,
            host=host,
            port=port,
            token=access,
            language=language,
            streams_total=STREAMS_TOTAL,
        )
        app = create_app(settings, store)
        try:
            server = wsgi_server(app, host, port)
        except OSError as error:
            fail(f"cannot listen on {host}:{port}: {error.strerror}; choose another --port")

        listening = getattr(server, "effective_port", port)
        shown_host = host if ":" not in host else f"[{host}]"
        bound = f"http://{shown_host}:{listening}/"
        serving = f"serving the web UI at {bound} (runs in {store.where}); Ctrl-C stops"
        _serve_until_stopped(server, app.extensions["mfg_ctl"], serving)
        say("stopped")


def _serve_until_stopped(
    server: BaseWSGIServer | MultiSocketServer, web: WebState, serving: str
) -> None:
    """Say ``serving`` and serve until SIGTERM or Ctrl-C; then stop the runs (their teardown
    runs) while the loop still serves, so open live views hear the end, and only then leave
    the loop."""
    stopping = threading.Event()

    def stop_runs_then_serving() -> None:
        web.launcher.shutdown()
        deadline = time.monotonic() + DRAIN_S
        while web.streams.open_count() and time.monotonic() < deadline:
            time.sleep(0.05)  # their streams end now that every channel is closed
        os.kill(os.getpid(), signal.SIGTERM)

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        if stopping.is_set():  # the runs have ended, or a second Ctrl-C: leave the loop
            raise KeyboardInterrupt  # waitress lets its worker threads finish (bounded)
        stopping.set()
        threading.Thread(target=stop_runs_then_serving, name="web-stop", daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    say(serving)  # only once a signal stops the server as it should
    try:
        server.run()
    finally:
        web.launcher.shutdown()
        server.close()  # only now: a worker thread never finds the loop's trigger closed
