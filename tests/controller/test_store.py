"""The run store: events in, stored runs out; crashes, prefixes, default location, bad files."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from simulators.controller.events import (
    DeviceInfo,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from simulators.controller.store import (
    AmbiguousRunId,
    RunNotFound,
    RunStore,
    StoreError,
    default_url,
)

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
DEVICES = (
    DeviceInfo("psu", "127.0.0.1", 5020, "mbap", unit=3, simulated=True),
    DeviceInfo("dmm", "10.0.0.7", 5025, "scpi", unit=1, simulated=False),
)


def started(
    run_id: str,
    plan: str = "psu_check",
    at: datetime = T0,
    parent: str | None = None,
    selected: tuple[int, ...] = (),
) -> RunStarted:
    return RunStarted(
        run_id=run_id,
        plan_name=plan,
        plan_path=f"plans/{plan}.yaml",
        plan_text=f"name: {plan}\nsteps:\n  - read: V  # ünïcode\n",
        devices=DEVICES,
        framing="mbap",
        started_at=at,
        step_count=3,
        parent_run_id=parent,
        selected_steps=selected,
    )


def step(run_id: str, number: int, verdict: str = "pass", **extra: object) -> StepFinished:
    fields: dict[str, object] = {
        "run_id": run_id,
        "number": number,
        "name": f"step_{number}",
        "device": "psu",
        "register": "VOUT",
        "action": "read",
        "verdict": verdict,
        "detail": f"detail {number}",
        "measured": 5.01,
        "finished_at": T0 + timedelta(seconds=number),
    }
    fields.update(extra)
    return StepFinished(**fields)  # type: ignore[arg-type]


def finished(run_id: str, verdict: str = "pass", aborted: bool = False) -> RunFinished:
    return RunFinished(
        run_id=run_id,
        verdict=verdict,  # type: ignore[arg-type]
        passed=2,
        failed=1,
        errors=0,
        duration_s=12.5,
        finished_at=T0 + timedelta(seconds=12.5),
        first_failure="2 step_2",
        aborted=aborted,
    )


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def opener() -> Iterator[Callable[[Path], RunStore]]:
    """Open more stores on a file; all are closed after the test."""
    opened: list[RunStore] = []

    def open_store(path: Path) -> RunStore:
        opened.append(RunStore(url_of(path)))
        return opened[-1]

    yield open_store
    for each in opened:
        each.close()


@pytest.fixture
def store(db: Path) -> Iterator[RunStore]:
    with RunStore(url_of(db)) as opened:
        yield opened


def raw(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Run SQL behind the store's back, as another tool (or an older process) would."""
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- recording and reading back ----------------------------------------------------------------


def test_a_whole_run_round_trips_with_every_field(
    db: Path, store: RunStore, opener: Callable[[Path], RunStore]
) -> None:
    plus_two = timezone(timedelta(hours=2))
    store(started("r1", selected=(1, 2, 3)))
    store(StepStarted("r1", 1, "step_1", "psu", T0))
    store.store(step("r1", 3, "error", measured=None, attempts=3, duration_s=2.0))
    store(step("r1", 1, expected=5.0, low=4.9, high=5.1, duration_s=0.25))
    store(step("r1", 2, "fail", action="query", finished_at=T0.astimezone(plus_two)))
    store(finished("r1", "fail"))

    run = opener(db).get("r1")  # a fresh store: everything came from the file
    assert (run.run_id, run.plan_name, run.plan_path) == ("r1", "psu_check", "plans/psu_check.yaml")
    assert run.plan_text == started("r1").plan_text
    assert (run.status, run.framing, run.step_count) == ("failed", "mbap", 3)
    assert (run.passed, run.failed, run.errors) == (2, 1, 0)
    assert (run.duration_s, run.first_failure) == (12.5, "2 step_2")
    assert run.started_at == T0
    assert run.started_at.tzinfo == UTC
    assert run.finished_at == T0 + timedelta(seconds=12.5)
    assert (run.parent_run_id, run.selected_steps) == (None, (1, 2, 3))
    assert (run.host, run.pid) == (socket.gethostname(), os.getpid())
    assert run.devices == DEVICES
    assert [s.number for s in run.steps] == [1, 2, 3]
    first, second, third = run.steps
    assert (first.name, first.device, first.register, first.action) == (
        "step_1",
        "psu",
        "VOUT",
        "read",
    )
    assert (first.verdict, first.detail, first.measured) == ("pass", "detail 1", 5.01)
    assert (first.expected, first.low, first.high) == (5.0, 4.9, 5.1)
    assert (first.attempts, first.duration_s) == (1, 0.25)
    assert first.finished_at == T0 + timedelta(seconds=1)
    assert second.finished_at == T0
    assert second.finished_at.tzinfo == UTC
    assert (second.verdict, second.action) == ("fail", "query")
    assert (third.verdict, third.measured, third.expected) == ("error", None, None)
    assert third.attempts == 3
    assert run.not_passed == (2, 3)

    (summary,) = store.runs()
    assert summary.run_id == "r1"
    assert summary.status == "failed"
    assert summary.passed == 2


@pytest.mark.parametrize(
    ("verdict", "aborted", "status"),
    [("pass", False, "passed"), ("fail", False, "failed"), ("error", False, "error"),
     ("pass", True, "aborted")],
)  # fmt: skip
def test_run_status_follows_the_verdict(
    store: RunStore, verdict: str, aborted: bool, status: str
) -> None:
    store(started("r1"))
    assert store.get("r1").status == "running"
    store(finished("r1", verdict, aborted=aborted))
    assert store.get("r1").status == status


def test_naive_timestamps_are_taken_as_utc(store: RunStore) -> None:
    store(started("r1", at=datetime(2025, 3, 1, 8, 0)))
    assert store.get("r1").started_at == T0


def test_steps_are_visible_to_another_store_before_the_run_finishes(
    db: Path, opener: Callable[[Path], RunStore]
) -> None:
    writer, reader = opener(db), opener(db)
    writer(started("r1"))
    writer(step("r1", 1))
    writer(step("r1", 2, "fail"))
    seen = reader.get("r1")
    assert seen.status == "running"  # this process is alive and still at it
    assert [s.verdict for s in seen.steps] == ["pass", "fail"]
    writer(step("r1", 3))
    assert len(reader.get("r1").steps) == 3


def test_parent_linkage_for_a_rerun(store: RunStore) -> None:
    store(started("first", at=T0))
    store(finished("first", "fail"))
    store(started("again", at=T0 + timedelta(hours=1), parent="first", selected=(2,)))
    rerun = store.get("again")
    assert (rerun.parent_run_id, rerun.selected_steps) == ("first", (2,))
    assert rerun.parent_run_id is not None
    assert store.get(rerun.parent_run_id).status == "failed"


def test_foreign_keys_are_enforced(store: RunStore) -> None:
    with pytest.raises(StoreError, match="FOREIGN KEY"):
        store(started("orphan", parent="no-such-run"))
    with pytest.raises(StoreError, match="step 1 of run ghost"):
        store(step("ghost", 1))
    with pytest.raises(StoreError, match="never started"):
        store(finished("ghost"))
    store(started("r1"))
    with pytest.raises(StoreError, match="UNIQUE"):
        store(started("r1"))
    assert [r.run_id for r in store.runs()] == ["r1"]


# -- queries -----------------------------------------------------------------------------------


def test_runs_are_listed_newest_first_by_plan_and_limited(store: RunStore) -> None:
    for i, plan in enumerate(["a", "b", "a", "a", "b"]):
        store(started(f"run{i}", plan=plan, at=T0 + timedelta(minutes=(i * 7) % 5)))
    assert [r.run_id for r in store.runs()] == ["run2", "run4", "run1", "run3", "run0"]
    assert [r.run_id for r in store.runs("a")] == ["run2", "run3", "run0"]
    assert [r.run_id for r in store.runs(limit=2)] == ["run2", "run4"]
    assert store.runs("nope") == []


def test_last_run_is_the_newest_run_of_the_plan(store: RunStore) -> None:
    store(started("old", plan="a", at=T0))
    store(started("newest", plan="a", at=T0 + timedelta(days=2)))
    store(started("middle", plan="a", at=T0 + timedelta(days=1)))
    store(started("other", plan="b", at=T0 + timedelta(days=3)))
    last = store.last_run("a")
    assert last is not None
    assert last.run_id == "newest"
    assert store.last_run("never-ran") is None


def test_a_unique_prefix_finds_the_run(store: RunStore) -> None:
    for run_id in ("abc111", "abc222", "def333", "xy", "xyz"):
        store(started(run_id))
    assert store.get("def").run_id == "def333"
    assert store.get("  abc1 ").run_id == "abc111"
    assert store.get("xy").run_id == "xy"  # a whole id wins over the longer one it starts
    assert store.get("abc222").run_id == "abc222"


def test_an_ambiguous_prefix_names_the_matches(store: RunStore) -> None:
    store(started("abc111"))
    store(started("abc222"))
    with pytest.raises(AmbiguousRunId) as caught:
        store.get("abc")
    message = str(caught.value)
    assert "abc111" in message
    assert "abc222" in message
    assert "\n" not in message
    assert sorted(caught.value.matches) == ["abc111", "abc222"]
    assert isinstance(caught.value, StoreError)


def test_a_prefix_of_many_runs_is_cut_short(store: RunStore) -> None:
    for i in range(8):
        store(started(f"aa{i}"))
    with pytest.raises(AmbiguousRunId, match=r", \.\.\.; type more"):
        store.get("aa")


@pytest.mark.parametrize("ref", ["zzz", "ABC", "", "  "])
def test_no_match_is_run_not_found(store: RunStore, ref: str) -> None:
    store(started("abc111"))
    with pytest.raises(RunNotFound) as caught:
        store.get(ref)
    assert "\n" not in str(caught.value)


# -- runs whose process died -------------------------------------------------------------------

CRASH = """
import os, sys
from datetime import UTC, datetime
from simulators.controller.events import RunStarted, StepFinished
from simulators.controller.store import RunStore

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
    crashed: tuple[Path, str], opener: Callable[[Path], RunStore]
) -> None:
    db, run_id = crashed
    assert raw(db, "SELECT status FROM test_runs") == [("running",)]
    run = opener(db).get(run_id[:8])
    assert run.status == "aborted"
    assert [s.number for s in run.steps] == [1, 2, 3]  # nothing finished was lost
    assert (run.passed, run.failed, run.errors, run.first_failure) == (1, 1, 1, "2 vout")
    assert run.finished_at is None  # when it died is not known
    assert raw(db, "SELECT status FROM test_runs") == [("aborted",)]


def test_a_dead_pid_is_noticed_by_every_query(db: Path, store: RunStore) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    for run_id in ("r1", "r2", "r3"):
        store(started(run_id))
    raw(db, "UPDATE test_runs SET pid = ?", child.pid)
    assert store.runs()[0].status == "aborted"
    raw(db, "UPDATE test_runs SET status = 'running'")
    last = store.last_run("psu_check")
    assert last is not None
    assert last.status == "aborted"


def test_our_pid_on_a_run_this_process_did_not_start_is_stale(
    crashed: tuple[Path, str], opener: Callable[[Path], RunStore]
) -> None:
    db, run_id = crashed  # an earlier process that had our pid (a container restart)
    raw(db, "UPDATE test_runs SET pid = ?", os.getpid())
    assert opener(db).get(run_id).status == "aborted"


def test_runs_of_live_processes_or_other_hosts_stay_running(
    crashed: tuple[Path, str], opener: Callable[[Path], RunStore], monkeypatch: pytest.MonkeyPatch
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
    db: Path, opener: Callable[[Path], RunStore]
) -> None:
    stores = [opener(db), opener(db)]
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


def test_a_writer_waits_for_a_busy_database_instead_of_failing(db: Path, store: RunStore) -> None:
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


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., str]:
    def set_env(**values: str | None) -> str:
        for name in ("MFG_CTL_DB", "XDG_DATA_HOME", "HOME"):
            value = values.get(name)
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        return default_url()

    monkeypatch.chdir(tmp_path)
    return set_env


def test_default_url_precedence(env: Callable[..., str], tmp_path: Path) -> None:
    home, xdg = tmp_path / "home", tmp_path / "xdg"
    explicit = tmp_path / "db" / "station.db"
    assert env(MFG_CTL_DB=str(explicit), XDG_DATA_HOME=str(xdg)) == f"sqlite:///{explicit}"
    assert explicit.parent.is_dir()
    assert env(MFG_CTL_DB="postgresql+psycopg://u@h/runs") == "postgresql+psycopg://u@h/runs"
    assert env(MFG_CTL_DB="here.db") == f"sqlite:///{tmp_path / 'here.db'}"
    assert env(XDG_DATA_HOME=str(xdg), HOME=str(home)) == f"sqlite:///{xdg}/mfg-ctl/runs.db"
    assert (xdg / "mfg-ctl").is_dir()
    want_home = f"sqlite:///{home}/.local/share/mfg-ctl/runs.db"
    assert env(HOME=str(home)) == want_home
    assert env(MFG_CTL_DB="  ", XDG_DATA_HOME="relative/ignored", HOME=str(home)) == want_home
    assert (home / ".local" / "share" / "mfg-ctl").is_dir()
    RunStore(default_url()).close()


def test_default_url_whose_folder_cannot_be_made(env: Callable[..., str], tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    with pytest.raises(StoreError, match="cannot create the folder") as caught:
        env(MFG_CTL_DB=str(tmp_path / "a_file" / "sub" / "runs.db"))
    assert "MFG_CTL_DB" in str(caught.value)


# -- bad places and bad files ------------------------------------------------------------------


def test_junk_file_is_refused_and_left_untouched(db: Path) -> None:
    db.write_text("these are my notes, not a database\n" * 20)
    before = digest(db)
    with pytest.raises(StoreError, match="not an SQLite database") as caught:
        RunStore(url_of(db))
    assert "\n" not in str(caught.value)
    assert str(db) in str(caught.value)
    assert digest(db) == before
    assert sorted(p.name for p in db.parent.iterdir()) == ["runs.db"]


def test_damaged_sqlite_file_is_refused_and_left_untouched(db: Path) -> None:
    db.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    before = digest(db)
    with pytest.raises(StoreError, match="cannot open the run store") as caught:
        RunStore(url_of(db))
    assert "\n" not in str(caught.value)
    assert digest(db) == before


def test_another_applications_database_is_refused_and_left_untouched(db: Path) -> None:
    raw(db, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL)")
    before = digest(db)
    with pytest.raises(StoreError, match="not an mfg-ctl run store"):
        RunStore(url_of(db))
    assert digest(db) == before
    assert raw(db, "PRAGMA journal_mode") == [("delete",)]


def test_a_store_from_a_newer_version_is_refused(db: Path) -> None:
    RunStore(url_of(db)).close()
    raw(db, "UPDATE mfg_ctl_schema SET version = 99")
    with pytest.raises(StoreError, match="schema version 99"):
        RunStore(url_of(db))
    assert raw(db, "SELECT version FROM mfg_ctl_schema") == [(99,)]


def test_reopening_keeps_the_schema_and_the_runs(db: Path) -> None:
    with RunStore(url_of(db)) as first:
        first(started("r1"))
    with RunStore(url_of(db)) as second:
        assert second.get("r1").plan_name == "psu_check"
    assert raw(db, "SELECT id, version FROM mfg_ctl_schema") == [(1, 1)]
    assert raw(db, "PRAGMA journal_mode") == [("wal",)]


def test_unwritable_places_give_one_line(tmp_path: Path) -> None:
    (tmp_path / "a_file").write_text("x")
    for where, words in [
        (tmp_path / "a_file" / "runs.db", "cannot read the run store"),
        (tmp_path, "is a folder"),
        (tmp_path / "missing" / "runs.db", "folder .* does not exist"),
    ]:
        with pytest.raises(StoreError, match=words) as caught:
            RunStore(url_of(where))
        assert "\n" not in str(caught.value)
        assert "MFG_CTL_DB" in str(caught.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_folder_gives_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    try:
        with pytest.raises(StoreError, match="cannot open the run store"):
            RunStore(url_of(folder / "runs.db"))
    finally:
        folder.chmod(0o700)


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("not a url", "bad run store URL"),
        ("nosuchdb://somewhere/x", "unknown kind of database"),
        ("postgresql+psycopg://me:s3cret@127.0.0.1:1/runs", "postgresql"),
    ],
)
def test_bad_urls_give_one_line(url: str, words: str) -> None:
    with pytest.raises(StoreError, match=words) as caught:
        RunStore(url)
    assert "\n" not in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_a_table_lost_behind_the_stores_back_is_a_store_error(db: Path, store: RunStore) -> None:
    store(started("r1"))
    raw(db, "DROP TABLE step_results")
    with pytest.raises(StoreError, match="no such table"):
        store.get("r1")


def test_in_memory_store_for_quick_experiments() -> None:
    with RunStore("sqlite://") as store:
        store(started("r1"))
        store(step("r1", 1))
        assert store.get("r").steps[0].name == "step_1"
