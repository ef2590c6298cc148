"""Which run ``--only-failed`` repeats: named on stderr, matched by plan text, never a live one."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mfg_ctl.run.events import RunStarted
from mfg_ctl.store import RunStore
from tests.controller.cli.support import (
    BRINGUP,
    ROOT,
    WAIT,
    Ctl,
    Served,
    assert_bringup_report,
    run_id_of,
)


def test_the_rerun_names_its_run_and_the_writes_it_repeats(ctl: Ctl, station: Served) -> None:
    with station.client("power_supply") as psu:
        assert psu.custom("set", "current_readback", 700) == "ok"
    first = ctl("run", BRINGUP, "--station", station.path)
    run_id = first.err.splitlines()[-1].split()[1]
    again = ctl("run", BRINGUP, "--station", station.path, "--only-failed")
    assert again.err.splitlines()[0] == (
        f"re-running the 1 step(s) that did not pass in run {run_id} (+ 3 earlier writes)"
    )


def test_the_last_run_of_this_exact_text_is_the_one_repeated(ctl: Ctl, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    failing = (ROOT / BRINGUP).read_text().replace("expected: 5000", "expected: 4000")
    plan.write_text(failing)
    assert ctl("run", plan, "--json-out", tmp_path / "a.json").status == 1
    plan.write_text(failing + "# edited\n")  # another text of the same plan name
    assert ctl("run", plan, "--json-out", tmp_path / "b.json").status == 1
    first, edited = run_id_of(tmp_path / "a.json")[:8], run_id_of(tmp_path / "b.json")[:8]

    plan.write_text(failing)
    again = ctl("run", plan, "--only-failed")
    assert again.status == 1
    assert again.err.splitlines()[:2] == [
        f"the last run of station_bringup (run {edited}) used a different plan text; "
        f"re-running against run {first}, the last run of this exact text",
        f"re-running the 1 step(s) that did not pass in run {first}",
    ]
    assert again.lines[1].startswith("9 FAIL check_dmm_dc_voltage")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live process that is not this one, to own a run still 'running'."""
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield process
    process.kill()
    process.wait(timeout=WAIT)


def started_elsewhere(db: Path, pid: int) -> str:
    """Record a run of the bring-up that started in process ``pid`` and never ended."""
    run_id = "feed" + "0" * 28
    with RunStore(f"sqlite:///{db}") as store:
        text = (ROOT / BRINGUP).read_text()
        store(
            RunStarted(
                run_id, "station_bringup", BRINGUP, text, (), "custom", datetime.now(UTC), 11
            )
        )
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE test_runs SET pid = ? WHERE id = ?", (pid, run_id))
    return run_id


def test_a_run_still_going_in_a_live_process_is_refused_then_counts_as_aborted(
    ctl: Ctl, isolated: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    run_id = started_elsewhere(isolated, sleeper.pid)
    refused = ctl("run", BRINGUP, "--only-failed")
    assert (refused.status, refused.out) == (2, "")
    assert refused.err == (
        f"error: run {run_id[:8]} of this plan is still running (pid {sleeper.pid}); "
        "wait for it or stop it\n"
    )

    sleeper.kill()
    sleeper.wait(timeout=WAIT)
    again = ctl("run", BRINGUP, "--only-failed", "--json-out", isolated.parent / "r.json")
    assert again.status == 0
    assert_bringup_report(again.lines)  # every step it never reached runs now
    assert again.err.splitlines()[0] == (
        f"re-running the 11 step(s) that did not pass in run {run_id[:8]}"
    )
    listing = ctl("runs").lines
    assert listing[2].split()[:3] == [run_id[:8], "station_bringup", "aborted"]
    assert json.loads((isolated.parent / "r.json").read_text())["parent_run_id"] == run_id
