#!/usr/bin/env python3
"""Take the screenshots doc/web.rst shows (doc/_static/web/*.png, 1280x800).

    .venv/bin/python scripts/web_screenshots.py      (from a clone, after `make .venv/.stamp-dev`)

It records a demo store as a user would with ``mfg-ctl`` (three passing
bring-ups, one failing on the DMM against a served station, a dut_functional
batch of factory-flaky units, a TempCo sweep), serves it with ``mfg-ctl
serve-web`` and photographs each page in Debian's chromium (``/usr/bin/chromium``;
Playwright downloads no browser). A page this tree does not serve yet is
skipped with a note. The pictures are for a reader, not golden files: the
browser tests check the pages themselves.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = ViewportSize(width=1280, height=800)
HANG_GUARD_S = 60.0  # the longest wait for a process or a page, never a budget
RECORDED = re.compile(r"\brun ([0-9a-f]{8}) recorded in ")


class Demo:
    """A private home (store, runtime dir, settings) where ``mfg-ctl`` commands run."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.db = home / "runs.db"
        (home / "runtime").mkdir(mode=0o700)
        self.env = {
            **os.environ,
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "DISCOS_SIMULATORS_RUNTIME_DIR": str(home / "runtime"),
            "MFG_CTL_DB": str(self.db),
        }
        for name in ("MFG_CTL_SETTINGS", "MFG_CTL_STATION_ID", "MFG_CTL_STAGE"):
            self.env.pop(name, None)

    def ctl(self, module: str, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        """Run ``python -m MODULE ARGS`` in the clone; return its stderr (where run ids go)."""
        done = subprocess.run(  # noqa: S603 - this interpreter, our own commands
            [sys.executable, "-m", module, *args], cwd=ROOT, env=self.env, capture_output=True,
            text=True, timeout=10 * HANG_GUARD_S, check=False,
        )
        if done.returncode not in ok:
            raise SystemExit(f"{module} {' '.join(args)}: exit {done.returncode}\n{done.stderr}")
        return done.stderr

    def run(self, plan: str, sn: str, *extra: str, ok: tuple[int, ...] = (0,)) -> str:
        """``mfg-ctl run PLAN --sn SN``; return the run id."""
        said = self.ctl("mfg_ctl", "run", plan, "--sn", sn, "--station-id", "ST1", "--stage",
                        "EVT", "--operator", "ana", *extra, ok=ok)
        found = RECORDED.search(said)
        if found is None:
            raise SystemExit(f"mfg-ctl run {plan} named no run id:\n{said}")
        return found.group(1)

    def record(self) -> dict[str, str]:
        """The demo runs; return the ids of the failing bring-up and of the TempCo run."""
        for sn in ("SN1001", "SN1002", "SN1003"):
            self.run("plans/station_bringup.yaml", sn)
        offset = free_port() - 5020  # the station serves on 5020..5023 + offset
        station = ("-s", "station", "--port-offset", str(offset))
        self.ctl("simulators", *station, "start")
        try:
            self.ctl("mfg_ctl", "simulate-fault", "dmm", "set", "dc_voltage", "4000",
                     "--port-offset", str(offset))
            failed = self.run("plans/station_bringup.yaml", "SN1004", "--station",
                              "stations/local.yaml", "--port-offset", str(offset), ok=(1,))
        finally:
            self.ctl("simulators", *station, "stop")
        units = ",".join(f"SN{number:04d}" for number in range(1, 13))
        self.ctl("mfg_ctl", "batch", "--plan", "plans/dut_functional.yaml", "--batch-id",
                 "B001", "--station-id", "ST1", "--stage", "EVT", "--operator", "ana",
                 "--sns", units, "--parallel", "4", "--dut-profile", "factory-flaky", "--seed",
                 "7", "--artifacts", str(self.home / "runs"), ok=(0, 1))
        tempco = self.run("plans/dvt_tempco.yaml", "SN2001", ok=(0, 1))
        return {"failed": failed, "tempco": tempco}


def free_port() -> int:
    """A loopback port free a moment ago (bound to 0, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(demo: Demo) -> Iterator[str]:
    """``mfg-ctl serve-web`` over the demo store (devices simulated per run); yield its URL."""
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - this interpreter, our own command
        [sys.executable, "-m", "mfg_ctl", "serve-web", "--port", str(port), "--db",
         str(demo.db), "--plans", "plans", "--station-id", "ST1", "--language", "en"],
        cwd=ROOT, env=demo.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while True:
            if server.poll() is not None:
                raise SystemExit(f"mfg-ctl serve-web ended with exit {server.returncode}")
            try:
                with urllib.request.urlopen(url + "healthz", timeout=5):  # noqa: S310 - http
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("mfg-ctl serve-web did not answer /healthz") from None
                time.sleep(0.2)
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)  # its own group: start_new_session
            server.wait(HANG_GUARD_S)


class Camera:
    """One browser page that photographs what it is shown into ``out``."""

    def __init__(self, page: Page, url: str, out: Path) -> None:
        self.page, self.url, self.out = page, url, out
        self.skipped: list[str] = []

    def shoot(self, name: str, path: str, then: Callable[[Page], None] | None = None) -> None:
        """Open ``path``, let ``then`` act on the page, save ``out/NAME.png``."""
        answer = self.page.goto(self.url + path.lstrip("/"))
        if answer is None or answer.status >= 400:
            status = answer.status if answer is not None else "no answer"
            self.skipped.append(f"{name}: /{path.lstrip('/')} is not served here ({status})")
            return
        if then is not None:
            then(self.page)
        self.page.screenshot(path=self.out / f"{name}.png")
        print(f"wrote {self.out.relative_to(ROOT) / name}.png")


def start_bringup(page: Page) -> None:
    """Start the bring-up from the plans page and wait for its verdict."""
    form = page.locator("section#plan-station_bringup form.start")
    form.locator("textarea[name=sns]").fill("SN1005")
    form.locator("input[name=stage]").fill("EVT")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#live[data-closed=true]", state="attached",
                           timeout=HANG_GUARD_S * 1000)
    page.reload()  # the header then names the plan and the unit


def scan_a_unit(page: Page) -> None:
    """Scan a serial number on the operator page and wait for the unit's result."""
    page.locator("#operator-sn").fill("SN1006")
    page.keyboard.press("Enter")
    page.wait_for_selector("#operator-result.pass", timeout=HANG_GUARD_S * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "doc" / "_static" / "web")
    out = parser.parse_args().out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(f"{CHROMIUM} is not installed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="web-screenshots-") as folder:
        demo = Demo(Path(folder))
        ids = demo.record()
        with served(demo) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=["--no-sandbox"]
            )
            context = browser.new_context(viewport=VIEWPORT, locale="en-US")
            camera = Camera(context.new_page(), url, out)
            camera.shoot("plans", "/")
            camera.shoot("live", "/", start_bringup)
            camera.shoot("history", "/runs")
            camera.shoot("run", f"/runs/{ids['failed']}")
            camera.shoot("yield", "/yield")
            camera.shoot("trends", "/trends?plan=station_bringup&step=check_dmm_dc_voltage")
            camera.shoot("tempco", f"/tempco/{ids['tempco']}")
            camera.shoot("operator", "/operator?plan=station_bringup", scan_a_unit)
            browser.close()
    for note in camera.skipped:
        print(f"skipped {note}")


if __name__ == "__main__":
    main()
