"""What the browser tests share: Debian's chromium, a served reference station and
``mfg-ctl serve-web`` in a process of its own, as a user starts them.

The browser is the system's chromium (Playwright never downloads one). The
station is ``discos-simulator -s station`` on free ports (``--port-offset N``),
so faults injected with ``$system_*%`` commands reach the runs the web UI starts.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from mfg_ctl.stations import load_station
from simulators.client import Client
from tests.controller.cli.support import IDENTITY_ENVIRONMENT, closed_port, free_offset

ROOT = Path(__file__).resolve().parents[4]
CHROMIUM = Path("/usr/bin/chromium")
WAIT_S = 60.0  # a hang guard on starting and stopping processes, never a budget
EXPECT_MS = 30_000  # the same for what a page must come to show
DEVICES = ("power_supply", "dmm", "actuator", "thermocouple")
BRINGUP_STEPS = 11
#: CSS ``tr.fail`` (mfg_ctl/web/static/app.css): the background of a failed step's row.
FAIL_ROW_BACKGROUND = "rgb(253, 236, 234)"


def chromium() -> str:
    """The system chromium; on CI (``make test`` installs it) a missing one fails the test,
    elsewhere it skips it."""
    if not os.access(CHROMIUM, os.X_OK):
        message = f"{CHROMIUM} is not installed: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return str(CHROMIUM)


def environment(home: Path) -> dict[str, str]:
    """This process's environment with a private home, runtime dir and settings, and no
    identity defaults or store from the user's shell."""
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "DISCOS_SIMULATORS_RUNTIME_DIR": str(home / "runtime"),
        "PYTHONPATH": str(ROOT),
    }
    for name in (*IDENTITY_ENVIRONMENT, "MFG_CTL_DB", "MFG_CTL_SETTINGS"):
        env.pop(name, None)
    (home / "runtime").mkdir(mode=0o700, parents=True, exist_ok=True)
    return env


def command(
    home: Path, program: str, *args: str, status: int = 0
) -> subprocess.CompletedProcess[str]:
    """Run ``discos-simulator`` or ``mfg-ctl`` (this checkout's) with ``home``'s environment;
    check it exits ``status``."""
    module = {"discos-simulator": "simulators", "mfg-ctl": "mfg_ctl"}[program]
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=home,
        env=environment(home),
        capture_output=True,
        text=True,
        timeout=5 * WAIT_S,
        check=False,
    )
    shown = f"{program} {' '.join(args)}"
    assert done.returncode == status, f"{shown}: exit {done.returncode}\n{done.stderr}"
    return done


@dataclass(frozen=True)
class Station:
    """The reference station served by ``discos-simulator`` on ports moved by ``offset``."""

    home: Path
    offset: int

    @property
    def path(self) -> Path:
        return ROOT / "stations" / "local.yaml"

    def send(self, device: str, name: str, *args: object) -> str:
        """Run ``$system_<name>:args%`` on one device; return its reply."""
        endpoint = load_station(self.path).shifted(self.offset).endpoint(device)
        with Client(endpoint.host, endpoint.port, timeout=WAIT_S) as client:
            return client.custom(name, *args)

    def slow_down(self, delay_ms: int) -> None:
        """Hold back every answer of every device ``delay_ms`` (real milliseconds)."""
        for device in DEVICES:
            assert self.send(device, "fault", "delay", delay_ms) == "ok"

    def reset(self) -> None:
        """Every device back to its defaults, faults cleared."""
        for device in DEVICES:
            assert self.send(device, "reset") == "ok"


def start_station(home: Path) -> Station:
    """``discos-simulator -s station --port-offset N start`` on a free offset."""
    offset = free_offset()
    command(home, "discos-simulator", "-s", "station", "--port-offset", str(offset), "start")
    return Station(home, offset)


def stop_station(station: Station) -> None:
    command(
        station.home,
        "discos-simulator",
        "-s",
        "station",
        "--port-offset",
        str(station.offset),
        "stop",
    )


@dataclass
class WebServer:
    """``mfg-ctl serve-web`` running in its own process group."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """SIGTERM (runs finish their teardown), then SIGKILL after the hang guard."""
        if self.process.poll() is not None:
            return
        assert os.getpgid(self.process.pid) == self.process.pid, "not the server's own group"
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(WAIT_S)


def _healthy(url: str, process: subprocess.Popen[bytes]) -> bool:
    """Poll ``/healthz`` until it answers ok (True) or the process ends (False)."""
    deadline = time.monotonic() + WAIT_S
    while process.poll() is None:
        try:
            with urllib.request.urlopen(url + "healthz", timeout=5) as answer:
                return bool(json.load(answer)["status"] == "ok")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                raise AssertionError(f"{url}healthz did not answer within {WAIT_S} s") from None
            time.sleep(0.1)
    return False


def serve_web(home: Path, *options: str) -> WebServer:
    """Start ``mfg-ctl serve-web OPTIONS --port P`` on a free port and wait until it serves.

    The free port is found by binding port 0 and closing it, so another process
    may take it first: then serve-web says "cannot listen" and we try another.
    """
    for attempt in range(3):
        port = closed_port()
        log = home / f"serve-web-{port}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "mfg_ctl", "serve-web", "--port", str(port), *options],
                cwd=home,
                env=environment(home),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = WebServer(f"http://127.0.0.1:{port}/", process, log)
        if _healthy(server.url, process):
            return server
        server.stop()
        said = log.read_text(errors="replace")
        if "cannot listen" not in said or attempt == 2:
            raise AssertionError(f"mfg-ctl serve-web did not start:\n{said}")
    raise AssertionError("unreachable")


# -- what a user does and sees ---------------------------------------------------------------

LIVE_URL = re.compile(r"/runs/([0-9a-f]+)/live$")


def plan_form(page: Page, url: str, plan: str) -> Locator:
    """Open the plans page; return the start form of ``plan``."""
    page.goto(url)
    return page.locator(f"section#plan-{plan} form.start")


def start_from_plans_page(page: Page, url: str, plan: str, sn: str) -> str:
    """Open the plans page, type ``sn`` into the plan's form, press Start; return the run id."""
    form = plan_form(page, url, plan)
    form.locator("textarea[name=sns]").fill(sn)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(LIVE_URL, timeout=EXPECT_MS)
    found = LIVE_URL.search(page.url)
    assert found is not None
    return found.group(1)


def shown_step_numbers(page: Page) -> list[int]:
    """The step numbers in the live table's first column, top to bottom."""
    cells = page.locator("tbody#steps tr td:first-child").all_inner_texts()
    return [int(cell) for cell in cells]


def wait_for_verdict(page: Page, verdict: str) -> None:
    """Wait for the run's verdict line to say ``verdict`` (pass, fail, error)."""
    expect(page.locator("#run-verdict")).to_have_class(
        re.compile(rf"\b{verdict}\b"), timeout=EXPECT_MS
    )
