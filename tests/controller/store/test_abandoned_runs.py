"""Runs whose process died, runs marked aborted, and several writers at once."""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.store import (
    RunStore,
)
from tests.controller.store.backends import query
from tests.controller.store.support import (
    ROOT,
    T0,
    finished,
    raw,
    started,
    step,
    url_of,
)

# -- runs whose process died -------------------------------------------------------------------

CRASH = """
import os, sys
from datetime import UTC, datetime
from mfg_ctl.run.events import RunStarted, StepFinished
from mfg_ctl.store import RunStore

url, run_id = sys.argv[1:]
store = RunStore(url)
now = datetime.now(UTC)
store(RunStarted(run_id, "psu_check", "p.yaml", "steps: []", (), "mbap", now, 5))
store(StepFinished(run_id, 1, "power_on", "psu", "OUT", "write", "pass", "ok", None))
store(StepFinished(run_id, 2, "vout", "psu", "VOUT", "read", "fail", "low", 4.2))
store(StepFinished(run_id, 3, "iout", "psu", "IOUT", "read", "error", "timeout", None))
os._exit(1)  # killed mid-run: no RunFinished, nothing closed
"""


@pytest.fixture(scope="module")
def crashed_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A store holding one run whose process died after three steps."""
    db = tmp_path_factory.mktemp("crash") / "runs.db"
    run_id = uuid.uuid4().hex
    done = subprocess.run(
        [sys.executable, "-c", CRASH, url_of(db), run_id], cwd=ROOT, timeout=60, check=False
    )
    assert done.returncode == 1
    return db, run_id


@pytest.fixture
def crashed(crashed_template: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """A private copy of the crashed store (its WAL file included)."""
    template, run_id = crashed_template
    for source in template.parent.glob("runs.db*"):
        shutil.copy(source, tmp_path / source.name)
    return tmp_path / "runs.db", run_id


def test_a_run_whose_process_died_reads_as_aborted(
    crashed: tuple[Path, str], opener: Callable[[Path | str], RunStore]
) -> None:
    db, run_id = crashed
    assert raw(db, "SELECT status FROM test_runs") == [("running",)]
    run = opener(db).get(run_id[:8])
    assert run.status == "aborted"
    assert [s.number for s in run.steps] == [1, 2, 3]  # nothing finished was lost
    assert (run.passed, run.failed, run.errors, run.first_failure) == (1, 1, 1, "2 vout")
    assert run.finished_at is None  # when it died is not known
    assert raw(db, "SELECT status FROM test_runs") == [("aborted",)]


def test_a_dead_pid_is_noticed_by_every_query(store_url: str, store: RunStore) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    for run_id in ("r1", "r2", "r3"):
        store(started(run_id))
    query(store_url, "UPDATE test_runs SET pid = :pid", {"pid": child.pid})
    assert store.runs()[0].status == "aborted"
    query(store_url, "UPDATE test_runs SET status = 'running'")
    last = store.last_run("psu_check")
    assert last is not None
    assert last.status == "aborted"


def test_our_pid_on_a_run_this_process_did_not_start_is_stale(
    crashed: tuple[Path, str], opener: Callable[[Path | str], RunStore]
) -> None:
    db, run_id = crashed  # an earlier process that had our pid (a container restart)
    raw(db, "UPDATE test_runs SET pid = ?", os.getpid())
    assert opener(db).get(run_id).status == "aborted"


def test_runs_of_live_processes_or_other_hosts_stay_running(
    crashed: tuple[Path, str],
    opener: Callable[[Path | str], RunStore],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, run_id = crashed
    store = opener(db)
    raw(db, "UPDATE test_runs SET pid = ?", os.getppid())
    assert store.get(run_id).status == "running"
    raw(db, "UPDATE test_runs SET host = 'station-7', pid = 999999999")
    assert store.get(run_id).status == "running"  # cannot check another machine's pids

    def not_yours(pid: int, signal: int) -> None:
        raise PermissionError(pid)

    raw(db, "UPDATE test_runs SET host = ?", socket.gethostname())
    monkeypatch.setattr(os, "kill", not_yours)
    assert store.get(run_id).status == "running"  # exists, but another user's process


def test_mark_aborted(store: RunStore) -> None:
    store(started("r1"))
    store(step("r1", 1))
    store(step("r1", 2, "fail"))
    assert store.mark_aborted("r1") is True
    run = store.get("r1")
    assert (run.status, run.passed, run.failed, run.first_failure) == ("aborted", 1, 1, "2 step_2")
    assert run.finished_at is not None
    assert run.duration_s is not None
    assert run.duration_s == (run.finished_at - T0).total_seconds()
    assert store.mark_aborted("r1") is False  # already ended
    assert store.mark_aborted("unknown") is False
    store(finished("r1", aborted=True))  # the sequencer's own account still lands
    assert store.get("r1").first_failure == "2 step_2"


# -- concurrency -------------------------------------------------------------------------------


def test_two_stores_record_interleaved_runs_at_once(
    store_url: str, opener: Callable[[Path | str], RunStore]
) -> None:
    stores = [opener(store_url), opener(store_url)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def record(store: RunStore, run_id: str) -> None:
        try:
            barrier.wait(5)
            store(started(run_id))
            for number in range(1, 26):
                store(step(run_id, number))
                store.runs(limit=1)
            store(finished(run_id))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(s, f"run{i}")) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    for run_id in ("run0", "run1"):
        run = stores[0].get(run_id)
        assert run.status == "passed"
        assert len(run.steps) == 25


def test_a_writer_waits_for_a_busy_database_instead_of_failing(
    db: Path, sqlite_store: RunStore
) -> None:
    store = sqlite_store
    store(started("r1"))
    holder = sqlite3.connect(db, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")  # another process in the middle of a write
    holder.execute("UPDATE test_runs SET plan_path = 'held'")
    release = threading.Timer(0.05, holder.execute, args=("COMMIT",))
    release.start()
    store(step("r1", 1))  # blocks until the holder commits, then succeeds
    release.join()
    holder.close()
    assert store.get("r1").plan_path == "held"
    assert len(store.get("r1").steps) == 1


# -- where the store lives ---------------------------------------------------------------------
