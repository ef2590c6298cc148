"""What the ``mfg-ctl`` CLI tests share: the reference report, results, served stations."""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mfg_ctl.cli.main import main
from mfg_ctl.run.events import RunFinished, RunStarted
from mfg_ctl.store import RunStore
from simulators.client import Client

ROOT = Path(__file__).resolve().parents[3]
BRINGUP = "plans/station_bringup.yaml"
WAIT = 30.0  # seconds: a hang guard on every wait for a process or a run, never a budget

#: doc/reference_station.rst, "The 11-step bring-up" (the summary's duration varies).
REPORT = """\
Plan: station_bringup [PASS]
 1 ok set_supply_voltage: wrote 1200 to voltage_setpoint
 2 ok set_supply_current_limit: wrote 500 to current_limit
 3 ok enable_supply_output: wrote 1 to output_enable
 4 ok check_supply_voltage_readback: measured 1200, expected 1200 +/- 25 (delta 0)
 5 ok check_supply_current_readback: measured 480, expected within [400, 520]
 6 ok command_actuator_position: wrote 500 to target_position
 7 ok check_actuator_position: measured 500, expected 500 +/- 10 (delta 0)
 8 ok check_actuator_status: measured 1, expected 1 +/- 0 (delta 0)
 9 ok check_dmm_dc_voltage: measured 4980, expected 5000 +/- 50 (delta 20)
10 ok check_thermocouple_channel_0: measured 2300, expected within [2200, 2400]
11 ok check_thermocouple_cold_junction: measured 2500, expected within [2300, 2700]
11/11 passed in 0.010s
""".splitlines()
SUMMARY = re.compile(r"^11/11 passed in \d+\.\d{3}s$")
DMM_FAIL = " 9 FAIL check_dmm_dc_voltage: measured 4000, expected 5000 +/- 50 (delta 1000)"
FIRST_FAILURE = "; first failure: 9 check_dmm_dc_voltage"
TIMING = re.compile(r"in \d+\.\d{3}s")


@dataclass(frozen=True)
class Result:
    status: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


Ctl = Callable[..., Result]

#: The environment variables that give a run's identity defaults: a test starts without them.
IDENTITY_ENVIRONMENT = ("MFG_CTL_STATION_ID", "MFG_CTL_STAGE", "MFG_CTL_OPERATOR")


def isolate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private run store (returned) and runtime directory, no identity defaults or report
    settings from the environment, and the project as the working folder (relative plan paths
    start there)."""
    db = tmp_path / "runs.db"
    monkeypatch.setenv("MFG_CTL_DB", str(db))
    monkeypatch.setenv("DISCOS_SIMULATORS_RUNTIME_DIR", str(tmp_path))
    for name in IDENTITY_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("MFG_CTL_SETTINGS", raising=False)  # no branding from the user's settings
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(ROOT)
    return db


def in_process(capsys: pytest.CaptureFixture[str]) -> Ctl:
    """``mfg-ctl ARGS`` run in this process: its exit status, stdout and stderr."""

    def run(*args: object) -> Result:
        status = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run


def assert_bringup_report(lines: list[str]) -> None:
    assert lines[:-1] == REPORT[:-1]
    assert SUMMARY.match(lines[-1]), lines[-1]


def run_id_of(path: Path) -> str:
    return str(json.loads(path.read_text())["run_id"])


def closed_port() -> int:
    """A loopback port nothing listens on (just released by the OS)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- devices served by the test ----------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A station served in this process and the station file describing it."""

    path: Path
    ports: dict[str, int]
    framing: str

    def client(self, device: str) -> Client:
        return Client("127.0.0.1", self.ports[device], timeout=WAIT)


def write_station(path: Path, ports: dict[str, int], framing: str = "custom") -> Path:
    lines = [f"framing: {framing}", "devices:"]
    lines += [f"  {name}: {{host: 127.0.0.1, port: {port}}}" for name, port in ports.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def fast_plan(tmp_path: Path, timeout: float = 0.2, retries: int = 1) -> Path:
    """The bring-up with a short timeout and explicit retries on the DMM step."""
    extra = f"    timeout: {timeout}\n    retries: {retries}\n"
    text = (
        (ROOT / BRINGUP).read_text().replace("    tolerance: 50\n", "    tolerance: 50\n" + extra)
    )
    path = tmp_path / "fast_bringup.yaml"
    path.write_text(text)
    return path


def record(db: Path, run_id: str, plan_text: str = "name: x\n") -> None:
    """Put a finished run with this id straight into the store."""
    with RunStore(f"sqlite:///{db}") as store:
        now = datetime.now(UTC)
        store(RunStarted(run_id, "x", "plans/x.yaml", plan_text, (), "custom", now, 0))
        store(RunFinished(run_id, "pass", 0, 0, 0, 0.0, now))


def no_runs(ctl: Ctl) -> bool:
    return ctl("runs").out == "no recorded runs\n"


def discos_simulator(*args: str) -> subprocess.CompletedProcess[str]:
    """Run ``discos-simulator ARGS`` (this checkout's) in its own process."""
    return subprocess.run(
        [sys.executable, "-m", "simulators", *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=6 * WAIT,
        check=False,
    )


def free_offset() -> int:
    """A port offset whose four station ports are free now (never the default ports)."""
    for _ in range(50):
        offset = random.randrange(20_000, 50_000)
        sockets = []
        try:
            for port in range(5020 + offset, 5024 + offset):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return offset
    raise AssertionError("no free port offset found")


def shown_store(db: Path) -> str:
    """How ``mfg-ctl`` names a store file on stderr: ``~`` for the home folder."""
    home = str(Path.home())
    path = str(db)
    return "~" + path[len(home) :] if path.startswith(home + "/") else path


def stderr_of_a_run(err: str, db: Path, devices: str = "simulated in-process") -> str:
    """Check a run's stderr is its context line and its closing line; return the run id."""
    lines = err.splitlines()
    assert lines[0] == f"devices: {devices}", err
    store = re.escape(shown_store(db))
    match = re.fullmatch(rf"run ([0-9a-f]{{8}}) recorded in {store}", lines[-1])
    assert match, err
    assert len(lines) == 2, err
    return match[1]
