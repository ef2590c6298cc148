"""Fixtures of the browser tests: one chromium and one served station and web server per
module, a fresh page (its own cookies: a new session) per test.

Every page is checked for what a user would notice without looking at the
console: a script error or a violated Content-Security-Policy fails the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.controller.web.browser.support import (
    EXPECT_MS,
    ROOT,
    Station,
    WebServer,
    chromium,
    serve_web,
    start_station,
    stop_station,
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium (no sandbox: the tests may run as root)."""
    executable = chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The module's private folder: store, runtime dir, logs, run folders."""
    return tmp_path_factory.mktemp("web-browser")


@pytest.fixture(scope="module")
def station(home: Path) -> Iterator[Station]:
    """The reference station, served for the module; each test starts it clean."""
    served = start_station(home)
    yield served
    stop_station(served)


@pytest.fixture(scope="module")
def web(home: Path, station: Station) -> Iterator[WebServer]:
    """``mfg-ctl serve-web`` over the module's store, running plans on the served station."""
    server = serve_web(
        home,
        "--db",
        str(home / "runs.db"),
        "--plans",
        str(ROOT / "plans"),
        "--station",
        str(station.path),
        "--port-offset",
        str(station.offset),
        "--station-id",
        "ST-WEB",
    )
    yield server
    server.stop()


@pytest.fixture
def clean_station(station: Station) -> Iterator[Station]:
    """The station with its defaults and no faults, before and after the test."""
    station.reset()
    yield station
    station.reset()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A new English-speaking browser window of 1280x800 that fails the test on a page error."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(EXPECT_MS)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(message.text)

    opened.on("console", on_console)
    yield opened
    context.close()
    assert not problems, problems
