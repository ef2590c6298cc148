"""A run store that stops accepting writes: one line, exit 4, the teardown run, nothing crashes.

Another connection takes the database's write lock (``BEGIN EXCLUSIVE``) in
the middle of a run, and holds it beyond the busy timeout (shortened for the
test with ``$MFG_CTL_DB_BUSY_TIMEOUT``): the next step cannot be recorded.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mfg_ctl import clients
from mfg_ctl.run.events import RunStarted
from mfg_ctl.store import RunStore
from simulators.modbus_client import ModbusClient
from tests.controller.cli.support import BRINGUP, ROOT, WAIT, Ctl, Served, shown_store

TEARDOWN = """
teardown:
  - name: supply_output_off
    device: power_supply
    register: output_enable
    write: 0
"""


def dead_pid() -> int:
    """The pid of a process that has exited (and was reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=WAIT)
    return child.pid


class Locker:
    """Another process's connection to the store, that can take and release the write lock."""

    def __init__(self, db: Path) -> None:
        self.conn = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
        self.held = False

    def lock(self) -> None:
        self.conn.execute("BEGIN EXCLUSIVE")
        self.held = True

    def release(self) -> None:
        if self.held:
            self.conn.execute("ROLLBACK")
            self.held = False


@pytest.fixture
def locker(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Locker]:
    monkeypatch.setenv("MFG_CTL_DB_BUSY_TIMEOUT", "0.2")
    with RunStore(f"sqlite:///{isolated}"):
        pass  # the store exists (in WAL mode) before anyone locks it
    locker = Locker(isolated)
    yield locker
    locker.release()
    locker.conn.close()


def test_a_store_locked_mid_run_stops_it_with_exit_4_after_the_teardown(
    ctl: Ctl,
    station: Served,
    tmp_path: Path,
    locker: Locker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plan = tmp_path / "bringup.yaml"
    plan.write_text((ROOT / BRINGUP).read_text() + TEARDOWN)
    real_read = clients.ModbusRegisters.read

    def read(self: clients.ModbusRegisters, table: str, address: int, timeout: float) -> int:
        if self.endpoint.port == station.ports["dmm"] and not locker.held:
            locker.lock()  # step 9 reads the DMM: its result cannot be recorded
        return real_read(self, table, address, timeout)

    monkeypatch.setattr(clients.ModbusRegisters, "read", read)
    log = tmp_path / "events.jsonl"
    result = ctl("run", plan, "--station", station.path, "--log", log)
    locker.release()

    assert result.status == 4
    assert "Traceback" not in result.err
    devices, error = result.err.splitlines()
    assert devices == f"devices: {station.path}"
    assert error.startswith("error: the run store failed, so run ")
    assert error.endswith(" database is locked")
    assert "was stopped after its teardown steps: cannot record step 9 of run " in error
    with ModbusClient("127.0.0.1", station.ports["power_supply"], timeout=WAIT) as psu:
        assert psu.read_holding(2) == [0]  # output_enable: the teardown switched it off
    assert result.lines[0] == "Plan: station_bringup [ABORTED]"
    assert result.lines[-2] == "12 ok [teardown] supply_output_off: wrote 0 to output_enable"
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert (records[-1]["type"], records[-1]["aborted"]) == ("RunFinished", True)

    row = ctl("runs").lines[1]  # the lock is gone: the run is closed as aborted
    assert row.split()[2:4] == ["aborted", "8/12"]


def test_runs_and_report_answer_while_the_store_cannot_be_written(
    ctl: Ctl, isolated: Path, locker: Locker, tmp_path: Path
) -> None:
    """A run left 'running' by a dead process cannot be closed now: list it anyway."""
    with RunStore(f"sqlite:///{isolated}") as store:
        text = (ROOT / BRINGUP).read_text()
        now = datetime.now(UTC)
        store(
            RunStarted("dead" + "0" * 28, "station_bringup", BRINGUP, text, (), "custom", now, 11)
        )
    with sqlite3.connect(isolated) as conn:  # its process is gone (a pid that cannot exist)
        conn.execute("UPDATE test_runs SET pid = ?", (dead_pid(),))
    locker.lock()
    listing = ctl("runs")
    assert listing.status == 0, listing.err
    assert listing.lines[1].split()[:3] == ["dead0000", "station_bringup", "aborted"]
    reported = ctl("report", "dead")
    assert reported.status == 0, reported.err
    assert reported.lines[0] == "Plan: station_bringup [RUNNING]"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_an_event_log_on_a_full_disk_stops_the_run_with_exit_4(
    ctl: Ctl, station: Served, tmp_path: Path, isolated: Path
) -> None:
    plan = tmp_path / "bringup.yaml"
    plan.write_text((ROOT / BRINGUP).read_text() + TEARDOWN)
    result = ctl("run", plan, "--station", station.path, "--log", "/dev/full")
    assert result.status == 4
    _, error = result.err.splitlines()
    assert re.fullmatch(
        r"error: cannot write the event log /dev/full: No space left on device; run "
        r"([0-9a-f]{8}) was stopped after its teardown steps and recorded as aborted in "
        + re.escape(shown_store(isolated)),
        error,
    ), error
    assert result.lines == [  # nothing ran but the teardown: the log failed at the start
        "Plan: station_bringup [ABORTED]",
        "12 ok [teardown] supply_output_off: wrote 0 to output_enable",
        "1/12 passed in " + result.lines[-1].split(" passed in ")[1],
    ]
    assert ctl("runs").lines[1].split()[2:4] == ["aborted", "1/12"]


def test_a_busy_timeout_that_is_not_a_number_is_one_line(
    ctl: Ctl, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MFG_CTL_DB_BUSY_TIMEOUT", "soon")
    result = ctl("runs")
    assert (result.status, result.out) == (2, "")
    assert result.err == (
        "error: MFG_CTL_DB_BUSY_TIMEOUT='soon' is not a number of seconds; unset it or give "
        "e.g. 30\n"
    )
