"""SIGTERM is handled like Ctrl-C: the teardown runs, the run is recorded aborted, exit 143.

A real ``mfg-ctl run`` process is stopped while it waits on a slow DMM (a
delay fault); the tempco command reports its run id when interrupted.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mfg_ctl.run.sequencer import Terminated
from mfg_ctl.steps import tempco as tempco_kind
from mfg_ctl.tempco import run_sweep
from simulators.modbus_client import ModbusClient
from tests.controller.cli.support import BRINGUP, ROOT, WAIT, Ctl, Served, shown_store

TEARDOWN = """
teardown:
  - name: supply_output_off
    device: power_supply
    register: output_enable
    write: 0
"""


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 6 * WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def step_started(log: Path, number: int) -> bool:
    if not log.exists():
        return False
    for line in log.read_text().splitlines():
        record = json.loads(line) if line.endswith("}") else {}
        if record.get("type") == "StepStarted" and record.get("number") == number:
            return True
    return False


def test_sigterm_mid_run_tears_down_and_records_the_run_aborted(
    ctl: Ctl, station: Served, tmp_path: Path, isolated: Path
) -> None:
    plan = tmp_path / "bringup.yaml"
    slow_dmm = "    tolerance: 50\n    timeout: 30\n"
    text = (ROOT / BRINGUP).read_text().replace("    tolerance: 50\n", slow_dmm)
    plan.write_text(text + TEARDOWN)
    with station.client("dmm") as dmm:
        assert dmm.custom("fault", "delay", 20_000) == "ok"  # step 9 waits on it
    log = tmp_path / "events.jsonl"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mfg_ctl",
            "run",
            str(plan),
            "--station",
            str(station.path),
            "--log",
            str(log),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: step_started(log, 9), "step 9 to start")
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=6 * WAIT)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=WAIT)
    assert process.returncode == 143, err
    assert "Traceback" not in err
    store = re.escape(shown_store(isolated))
    assert re.fullmatch(
        rf"devices: {re.escape(str(station.path))}\n"
        rf"error: terminated: run ([0-9a-f]{{8}}) recorded as aborted in {store}\n",
        err,
    ), err
    lines = out.splitlines()
    assert lines[0] == "Plan: station_bringup [ABORTED]"
    assert lines[-2] == "12 ok [teardown] supply_output_off: wrote 0 to output_enable"
    with ModbusClient("127.0.0.1", station.ports["power_supply"], timeout=WAIT) as psu:
        assert psu.read_holding(2) == [0]
    assert ctl("runs").lines[1].split()[2:4] == ["aborted", "9/12"]


@pytest.mark.parametrize(
    ("stop", "status", "word"),
    [(KeyboardInterrupt, 130, "interrupted"), (Terminated, 143, "terminated")],
)
def test_tempco_interrupted_names_its_run(
    ctl: Ctl,
    *,
    isolated: Path,
    monkeypatch: pytest.MonkeyPatch,
    stop: type[BaseException],
    status: int,
    word: str,
) -> None:
    real_sweep = run_sweep

    def sweep_stopped_after_one_point(*args: Any, on_point: Any = None, **kwargs: Any) -> Any:
        def first_then_stop(point: Any) -> None:
            on_point(point)
            raise stop

        return real_sweep(*args, on_point=first_then_stop, **kwargs)

    monkeypatch.setattr(tempco_kind, "run_sweep", sweep_stopped_after_one_point)
    result = ctl("tempco", "--readings", "1")
    assert result.status == status
    store = re.escape(shown_store(isolated))
    match = re.fullmatch(
        rf"devices: simulated in-process\n"
        rf"error: {word}: run ([0-9a-f]{{8}}) recorded as aborted in {store}\n",
        result.err,
    )
    assert match, result.err
    row = ctl("runs").lines[1].split()
    assert row[:4] == [match[1], "tempco", "aborted", "0/1"]  # the sweep is one step
