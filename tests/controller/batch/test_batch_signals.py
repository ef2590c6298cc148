"""A batch killed with ``-9``, interrupted (SIGINT) or terminated (SIGTERM) in a real process.

The DUTs are two slots served here; while the batch process runs they fail
every request (``$system_fail_next%``), so each unit spends its retries'
delays and the batch is still busy when the signal comes. Cleared again, they
let ``--resume`` finish the units left quickly.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.launcher import Simulator
from tests.controller.batch.support import (
    PLAN,
    batch_status,
    query,
    read_rows,
    run_folder,
    sns,
    stored_runs,
)
from tests.controller.cli.support import ROOT, Ctl

GUARD_S = 30.0  # the bound on every wait
UNITS = 60  # while the DUTs fail, each unit takes >= 0.3 s: the batch is busy for long
#: Runs the CLI with Python's own Ctrl-C handler, even if this process ignores SIGINT.
WITH_CTRL_C = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from mfg_ctl.cli.main import main; sys.exit(main(sys.argv[1:]))"
)


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + GUARD_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def runs_stored(db: Path) -> int:
    """Ended runs in the store so far (0 while it does not exist yet)."""
    try:
        return len(stored_runs(db, "B1"))
    except sqlite3.Error:
        return 0


@pytest.fixture
def duts() -> Iterator[list[int]]:
    """Two dut simulators on ephemeral ports; their ports."""
    served = [Simulator("dut", plugins.load("dut"), ephemeral=True) for _ in range(2)]
    try:
        for dut in served:
            dut.start()
        yield [dut.addresses[0].port for dut in served]
    finally:
        for dut in served:
            dut.stop()


def fail_next(ports: list[int], count: int) -> None:
    for port in ports:
        with Client("127.0.0.1", port, timeout=GUARD_S) as client:
            assert client.custom("fail_next", count) == "ok"


def setup(tmp_path: Path, ports: list[int]) -> tuple[Path, Path]:
    """A two-slot station of ``ports`` and the functional plan with a retry delay."""
    station = tmp_path / "two-up.yaml"
    lines = ["station_id: ST1", "slots:"]
    lines += [f"  - dut: {{host: 127.0.0.1, port: {port}, protocol: line}}" for port in ports]
    station.write_text("\n".join(lines) + "\n")
    plan = tmp_path / "slow_when_failing.yaml"
    plan.write_text(
        PLAN.read_text()
        .replace("retry_delay: 0.0", "retry_delay: 0.02")
        .replace("../traceability/", f"{ROOT}/traceability/")
    )
    return station, plan


def start_batch(tmp_path: Path, db: Path, station: Path, plan: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable, "-c", WITH_CTRL_C, "batch", "--plan", str(plan), "--batch-id", "B1",
            "--stage", "EVT", "--sns", sns(UNITS), "--station", str(station), "--parallel", "2",
            "--artifacts", str(tmp_path / "runs"), "--db", str(db),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str], how: signal.Signals) -> tuple[str, str]:
    try:
        process.send_signal(how)
        return process.communicate(timeout=GUARD_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=GUARD_S)


def check_resume(ctl: Ctl, tmp_path: Path, db: Path, station: Path) -> str:
    """``--resume B1`` tests exactly the units left; then each unit has one run, in both places.

    Returns the resume's stderr.
    """
    before = stored_runs(db, "B1")
    result = ctl("batch", "--resume", "B1", "--station", station, "--db", db)
    assert result.status == 1, result.err  # the units tested while the DUTs failed, failed
    left = UNITS - len(before)
    assert f"resuming batch B1: {left} of {UNITS} units left" in result.err
    after = stored_runs(db, "B1")
    assert sorted(after.values()) == sns(UNITS).split(",")  # every unit exactly once
    assert before.items() <= after.items()  # the finished units were not tested again
    rows = read_rows(run_folder(tmp_path / "runs"))
    assert {row["run_id"] for row in rows} == set(after)
    summary = json.loads((run_folder(tmp_path / "runs") / "results_summary.json").read_text())
    assert summary["not_tested"] == []
    assert summary["units"]["tested"] == UNITS
    assert batch_status(db, "B1") == "finished"
    return result.err


def test_kill_9_leaves_finished_units_stored_and_the_batch_resumable(
    ctl: Ctl, tmp_path: Path, duts: list[int]
) -> None:
    db = tmp_path / "batch.db"
    station, plan = setup(tmp_path, duts)
    fail_next(duts, 1_000_000)
    process = start_batch(tmp_path, db, station, plan)
    try:
        wait_for(lambda: runs_stored(db) >= 5, "five stored runs")
        busy = ctl("batch", "--resume", "B1", "--station", station, "--db", db)
    finally:
        stop(process, signal.SIGKILL)
    assert busy.status == 2
    assert busy.err.startswith(f"error: batch B1 is still running (pid {process.pid}): ")
    assert process.returncode == -signal.SIGKILL
    fail_next(duts, 0)
    stored = stored_runs(db, "B1")
    assert len(set(stored.values())) == len(stored) < UNITS
    assert query(db, "SELECT COUNT(*) FROM test_runs WHERE status = 'running'") == [(0,)]
    assert batch_status(db, "B1") == "running"  # its process died without closing it
    folder = run_folder(tmp_path / "runs")
    rows = read_rows(folder)
    assert set(stored) <= {row["run_id"] for row in rows}
    unfinished = next(sn for sn in sns(UNITS).split(",") if sn not in stored.values())
    orphan = [  # a unit killed after its rows were written, before its store transaction
        {**row, "run_id": "f" * 32, "sn": unfinished} for row in rows if row["run_id"] in stored
    ][:3]
    with (folder / "events.jsonl").open("a") as events:
        events.writelines(json.dumps(row) + "\n" for row in orphan)
    err = check_resume(ctl, tmp_path, db, station)
    # ours, and perhaps one the kill itself caught between the folder and the store
    dropped = r"^dropped the rows of [12] unit run\(s\) the store never recorded$"
    assert re.search(dropped, err, re.MULTILINE)


@pytest.mark.parametrize(
    ("how", "status", "word"),
    [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")],
)
def test_a_signal_stops_after_the_units_in_flight(
    ctl: Ctl, tmp_path: Path, duts: list[int], *, how: signal.Signals, status: int, word: str
) -> None:
    db = tmp_path / "batch.db"
    station, plan = setup(tmp_path, duts)
    fail_next(duts, 1_000_000)
    process = start_batch(tmp_path, db, station, plan)
    try:
        wait_for(lambda: runs_stored(db) >= 3, "three stored runs")
    finally:
        out, err = stop(process, how)
    fail_next(duts, 0)
    assert process.returncode == status, err
    assert "Traceback" not in err
    stored = stored_runs(db, "B1")
    not_tested = [sn for sn in sns(UNITS).split(",") if sn not in stored.values()]
    assert not_tested
    assert err.splitlines()[-1] == (
        f"error: {word}: {len(not_tested)} unit(s) not tested; --resume B1 tests them"
    )
    summary = json.loads((run_folder(tmp_path / "runs") / "results_summary.json").read_text())
    assert summary["not_tested"] == not_tested
    assert summary["units"]["tested"] == len(stored)
    assert f"{len(not_tested)} not tested" in out
    assert batch_status(db, "B1") == "stopped"
    rows = read_rows(run_folder(tmp_path / "runs"))
    assert {row["run_id"] for row in rows} == set(stored)  # the units in flight: in both
    check_resume(ctl, tmp_path, db, station)
