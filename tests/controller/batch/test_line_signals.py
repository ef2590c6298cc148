"""``mfg-ctl line`` stopped by Ctrl-C or SIGTERM: the stations stop too, and none is left behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.controller.batch.support import PLAN
from tests.controller.cli.support import ROOT

#: Hang guards, never budgets.
GUARD_S = 120.0


def stored(db: Path, sql: str) -> list[tuple[object, ...]]:
    """Rows of the line's store, read-only; none while it is still being made."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.Error:
        return []


def stations_with_a_run(db: Path) -> int:
    """Stations (batches) of the line with at least one ended run so far."""
    rows = stored(db, "SELECT count(DISTINCT batch_id) FROM test_runs WHERE status != 'running'")
    return int(str(rows[0][0])) if rows else 0


def alive(pid: int) -> bool:
    """Whether process ``pid`` still exists."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(
    ("how", "status"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)]
)
def test_a_signal_stops_every_station_and_reaps_it(
    tmp_path: Path, how: signal.Signals, status: int
) -> None:
    db = tmp_path / "line.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "mfg_ctl", "line", "--stations", "2", "--units", "20000",
         "--plan", str(PLAN), "--line-id", "L3", "--db", str(db),
         "--artifacts", str(tmp_path / "runs")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )
    try:
        deadline = time.monotonic() + GUARD_S
        while stations_with_a_run(db) < 2 and process.poll() is None:
            assert time.monotonic() < deadline, "timed out waiting for a run of each station"
            time.sleep(0.05)
        process.send_signal(how)
        out, err = process.communicate(timeout=GUARD_S)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == status, err
    assert "Traceback" not in err
    assert err.splitlines()[-1] == (
        "error: line stopped: mfg-ctl batch --resume BATCH_ID finishes each batch"
    )
    batches = stored(db, "SELECT id, status, pid FROM batches ORDER BY id")
    assert [(name, state) for name, state, _pid in batches] == [
        ("L3-ST01", "stopped"), ("L3-ST02", "stopped"),
    ]
    assert not any(alive(int(str(pid))) for _name, _state, pid in batches)
    assert "L3-ST01" in out  # the figures of what was tested
    assert "L3-ST02" in out
