"""``mfg-ctl`` with its runs in PostgreSQL: a real ``mfg-ctl run --db postgresql://...`` process
records the bring-up, and ``runs`` and ``report`` read it back from the same database.

Each test has a database of its own on the test server (see tests/controller/store/backends.py);
the tests are skipped, with the reason, only when no PostgreSQL server answers.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.controller.cli.support import (
    BRINGUP,
    ROOT,
    WAIT,
    Ctl,
    assert_bringup_report,
    closed_port,
    run_id_of,
)
from tests.controller.store.backends import fresh_url, query


@pytest.fixture
def pg_url(tmp_path: Path) -> Iterator[str]:
    """A new, empty PostgreSQL database of this test's own, as a plain ``postgresql://`` URL."""
    for url in fresh_url("postgresql", tmp_path):
        yield url.replace("postgresql+psycopg://", "postgresql://", 1)


def mfg_ctl(*args: object) -> subprocess.CompletedProcess[str]:
    """``mfg-ctl ARGS`` (this checkout's entry point) in its own process."""
    command = shutil.which("mfg-ctl", path=str(Path(sys.executable).parent))
    assert command is not None, "mfg-ctl is not installed beside this Python"
    return subprocess.run(
        [command, *(str(arg) for arg in args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=6 * WAIT,
        check=False,
    )


def test_a_bringup_recorded_in_postgresql_is_listed_and_reported_from_it(
    ctl: Ctl, pg_url: str, tmp_path: Path, isolated: Path
) -> None:
    live_json = tmp_path / "live.json"
    run = mfg_ctl("run", BRINGUP, "--db", pg_url, "--json-out", live_json)
    assert run.returncode == 0, run.stderr
    assert_bringup_report(run.stdout.splitlines())
    run_id = run_id_of(live_json)
    assert run.stderr.splitlines()[-1] == (
        f"run {run_id[:8]} recorded in {pg_url.replace('postgresql://', 'postgresql+psycopg://')}"
    )
    assert query(pg_url, "SELECT id, status FROM test_runs") == [(run_id, "passed")]
    assert query(pg_url, "SELECT count(*) FROM step_results") == [(11,)]

    listing = ctl("runs", "--db", pg_url)
    assert listing.status == 0
    assert [row.split()[:4] for row in listing.lines[1:]] == [
        [run_id[:8], "station_bringup", "passed", "11/11"]
    ]

    again_json = tmp_path / "again.json"
    again = ctl("report", run_id[:6], "--db", pg_url, "--json-out", again_json)
    assert again.status == 0
    assert again.out == run.stdout
    assert json.loads(again_json.read_text()) == json.loads(live_json.read_text())
    assert not isolated.exists()  # nothing went to the default SQLite store


def test_a_postgresql_server_that_is_not_there_is_one_line_naming_it(ctl: Ctl) -> None:
    where = f"127.0.0.1:{closed_port()}/runs"
    result = ctl("runs", "--db", f"postgresql://station:s3cret@{where}")
    assert result.status != 0
    assert result.out == ""
    (line,) = result.err.splitlines()
    assert f"station:***@{where}" in line
    assert "s3cret" not in line
    assert "check that the server is running" in line
