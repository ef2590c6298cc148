"""``mfg-ctl serve-web``: a real server process, its refusals, and SIGTERM during a run.

Refusals run in this process (``main([...])``); serving and stopping run the
command in its own process on a free port, with a private store.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest

from mfg_ctl.store import RunStore
from tests.controller.cli import conftest as cli_fixtures
from tests.controller.cli.support import BRINGUP, ROOT, Ctl, Served
from tests.controller.cli.test_signals import TEARDOWN
from tests.controller.web.core_support import parse_sse, plans_folder
from tests.controller.web.support import WAIT, wait_until

# The CLI tests' fixtures: a private store and runtime dir (autouse), ``ctl``, a served station.
isolated = cli_fixtures.isolated
ctl = cli_fixtures.ctl
serve_station = cli_fixtures.serve_station
station = cli_fixtures.station
SERVING = re.compile(r"serving the web UI at http://127\.0\.0\.1:(\d+)/")


# -- refusals ----------------------------------------------------------------------------


def assert_refused(ctl: Ctl, expected: str, *args: object) -> None:
    result = ctl("serve-web", *args)
    assert result.status == 2
    assert result.err.splitlines() == [f"error: {expected}"]
    assert "Traceback" not in result.err


def test_a_host_other_machines_reach_needs_a_token(ctl: Ctl) -> None:
    expected = "--host 0.0.0.0 is reachable from other machines: give --token or --token-file"
    assert_refused(ctl, expected, "--host", "0.0.0.0", "--port", "0")


def test_a_short_token_is_refused(ctl: Ctl) -> None:
    expected = "the access token must be at least 16 characters long"
    assert_refused(ctl, expected, "--token", "short", "--port", "0")


def test_an_unreadable_token_file_is_refused(ctl: Ctl, tmp_path: Path) -> None:
    missing = tmp_path / "no-token"
    expected = f"cannot read the token file {missing}: No such file or directory"
    assert_refused(ctl, expected, "--token-file", missing, "--port", "0")


def test_a_missing_plans_folder_is_refused(ctl: Ctl, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    expected = f"--plans {missing}: no such folder; give the folder of the plans to offer"
    assert_refused(ctl, expected, "--plans", missing, "--port", "0")


def test_a_port_in_use_is_refused(ctl: Ctl) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        expected = (
            f"cannot listen on 127.0.0.1:{port}: Address already in use; choose another --port"
        )
        assert_refused(ctl, expected, "--port", port)


# -- a real server -----------------------------------------------------------------------


class WebServer:
    """``mfg-ctl serve-web`` in its own process; its stderr lines arrive on a queue."""

    def __init__(self, *args: object) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mfg_ctl", "serve-web", "--port", "0", *map(str, args)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.port = int(self.wait_for(SERVING).group(1))
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line.rstrip("\n"))

    def wait_for(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """The first stderr line matching ``pattern`` (a hang guard of WAIT per line)."""
        while True:
            try:
                line = self.lines.get(timeout=WAIT)
            except queue.Empty:
                raise AssertionError(f"no line like {pattern.pattern}: {self.err}") from None
            self.err.append(line)
            found = pattern.search(line)
            if found:
                return found

    def get(self, path: str) -> Any:
        with self.opener.open(f"http://127.0.0.1:{self.port}{path}", timeout=WAIT) as answer:
            body = answer.read().decode()
            return (
                json.loads(body)
                if answer.headers.get_content_type() == "application/json"
                else body
            )

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        page = self.get("/")
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
        assert csrf is not None
        request = Request(
            f"http://127.0.0.1:{self.port}{path}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-CSRF-Token": csrf.group(1)},
        )
        with self.opener.open(request, timeout=WAIT) as answer:
            return json.loads(answer.read())

    def watch(self, path: str) -> Future[str]:
        """Read an event stream in the background until the server ends it; its text."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT)
        connection.request("GET", path)
        answer = connection.getresponse()
        assert answer.status == 200
        first = answer.read1(65536)  # the stream is open once its first block arrived
        assert first.startswith(b"retry:")

        def read() -> str:
            try:
                return (first + answer.read()).decode()
            finally:
                connection.close()

        return ThreadPoolExecutor(1).submit(read)

    def terminate(self) -> tuple[int, list[str]]:
        """SIGTERM; the exit status and every stderr line."""
        self.process.send_signal(signal.SIGTERM)
        status = self.process.wait(timeout=2 * WAIT)
        while not self.lines.empty():
            self.err.append(self.lines.get())
        return status, self.err


@pytest.fixture
def servers() -> Iterator[list[WebServer]]:
    started: list[WebServer] = []
    yield started
    for server in started:
        if server.process.poll() is None:
            server.process.kill()
            server.process.wait(WAIT)


def test_the_server_answers_healthz_and_stops_on_sigterm(
    servers: list[WebServer], isolated: Path
) -> None:
    server = WebServer("--plans", ROOT / "plans")
    servers.append(server)
    assert server.get("/healthz") == {"status": "ok", "running": 0}
    assert "station_bringup" in server.get("/")
    status, err = server.terminate()
    assert status == 0
    assert err[-1] == "stopped"
    assert isolated.exists()  # the store it was told to use


@pytest.fixture
def slow_station(station: Served) -> Path:
    """The reference station served here, its DMM answering 1.5 s late; its station file."""
    with station.client("dmm") as dmm:
        assert dmm.custom("fault", "delay", 1500) == "ok"
    return station.path


def test_sigterm_during_a_run_tears_it_down_and_stores_it_ended(
    servers: list[WebServer], slow_station: Path, tmp_path: Path, isolated: Path
) -> None:
    plan = (
        (ROOT / BRINGUP)
        .read_text()
        .replace("    tolerance: 50\n", "    tolerance: 50\n    timeout: 30\n")
    )
    folder = plans_folder(tmp_path, slow=plan + TEARDOWN)
    server = WebServer("--plans", folder, "--station", slow_station)
    servers.append(server)
    started = server.post_json("/api/runs", {"plan": "slow", "sn": "SN-T"})
    run_id = started["run_id"]

    def at_the_dmm_step() -> bool:
        steps = server.get(f"/api/runs/{run_id}/live")["steps"]
        return any(step["number"] == 9 for step in steps)

    wait_until(at_the_dmm_step, "the run to reach the DMM step")
    watcher = server.watch(f"/runs/{run_id}/events")
    status, err = server.terminate()
    assert status == 0, err
    assert err[-1] == "stopped", "\n".join(err)
    assert not any("Traceback" in line for line in err), "\n".join(err)
    blocks = parse_sse(watcher.result(timeout=WAIT))  # a browser watching sees the end
    assert [block.get("event") for block in blocks][-2:] == ["run_finished", "end"]
    with RunStore(f"sqlite:///{isolated}") as store:
        stored = store.get(run_id)
    assert stored.status in ("aborted", "passed"), stored.status
    assert [step.name for step in stored.steps if step.teardown] == ["supply_output_off"]
