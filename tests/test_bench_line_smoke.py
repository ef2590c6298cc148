"""The line load benchmark runs end to end at a tiny size, and its checks catch what they claim.

How fast the line is never is judged here (``make bench`` reports it); only
that the benchmark ran a real line on each store, that every check passed,
and that its JSON holds the figures. Its check functions are also fed a
doctored store and log, so a check that could never fail would show up here.
The PostgreSQL half is skipped, with one line, when no server answers.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
STATIONS, UNITS = 3, 6
#: A hang guard on the whole benchmark, never a budget.
TIMEOUT_S = 300
FIGURES = ("wall_s", "line_s", "units_per_s", "step_events_per_s", "cpu_ms_per_unit")


@pytest.fixture(scope="module")
def line_load() -> ModuleType:
    """bench/line_load.py imported as a module (it imports its helpers from bench/)."""
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module("line_load")
    finally:
        sys.path.remove(str(BENCH))


def run_line_load(tmp_path: Path, backend: str) -> dict[str, Any]:
    """Run the benchmark on one back end at the tiny size; its JSON result."""
    out = tmp_path / "line_load.json"
    # The stations are not measured for coverage: under it each would start many times slower.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS")}
    result = subprocess.run(
        [sys.executable, str(BENCH / "line_load.py"), "--stations", str(STATIONS),
         "--units", str(UNITS), "--parallel", "2", "--backend", backend,
         "--json-out", str(out)],
        env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "all checks passed" in result.stdout
    assert "Traceback" not in result.stderr
    data: dict[str, Any] = json.loads(out.read_text())
    return data


def assert_line_checked(data: dict[str, Any], backend: str) -> dict[str, Any]:
    """The result of one back end: every check passed, every figure measured."""
    assert (data["stations"], data["units"], data["passed"]) == (STATIONS, UNITS, True)
    assert list(data["backends"]) == [backend]
    measured = data["backends"][backend]
    assert measured["passed"] is True
    assert len(measured["checks"]) >= 10
    assert all(check["passed"] for check in measured["checks"].values()), measured["checks"]
    assert measured["runs"] == UNITS
    assert measured["step_rows"] >= UNITS
    assert measured["events"] == {"lost": 0, "duplicated": 0, "logged_not_stored": 0}
    assert sum(measured["outcomes"].values()) == UNITS
    for figure in FIGURES:
        assert measured[figure] > 0, figure
    assert isinstance(measured, dict)
    return measured


def test_a_tiny_line_on_sqlite_passes_every_check_in_wal_mode(tmp_path: Path) -> None:
    measured = assert_line_checked(run_line_load(tmp_path, "sqlite"), "sqlite")
    assert measured["journal_mode"] == "wal"
    table = (tmp_path / "line_load.txt").read_text()
    assert "SQLite WAL" in table
    assert "step events logged == stored, 1:1" in table


def test_a_tiny_line_on_postgresql_passes_every_check(
    tmp_path: Path, line_load: ModuleType
) -> None:
    psycopg = pytest.importorskip("psycopg")
    server = line_load.server_url(None)
    try:
        psycopg.connect(server, connect_timeout=2).close()
    except psycopg.Error:
        pytest.skip(f"no PostgreSQL server answers at {server} (set MFG_TEST_DATABASE_URL)")
    assert_line_checked(run_line_load(tmp_path, "postgresql"), "postgresql")


def stored_line() -> dict[str, list[dict[str, Any]]]:
    """A store's rows of one complete run of two steps (the second retried once)."""
    return {
        "runs": [{"id": "r1", "sn": "L-U1", "status": "passed", "step_count": 2, "passed": 2,
                  "failed": 0, "errors": 0, "skipped": 0}],
        "steps": [{"run_id": "r1", "number": 1, "verdict": "pass", "attempts": 1},
                  {"run_id": "r1", "number": 2, "verdict": "pass", "attempts": 2}],
        "batches": [{"id": "L-ST01", "status": "finished"}],
    }


def logged_line() -> list[dict[str, Any]]:
    """The run folder's attempt rows of that run."""
    head = {"run_id": "r1", "run_started": "t0", "run_status": "passed"}
    return [{**head, "step_index": 1, "attempt": 1}, {**head, "step_index": 2, "attempt": 1},
            {**head, "step_index": 2, "attempt": 2}]


def failed(checks: dict[str, str]) -> set[str]:
    return {name for name, why in checks.items() if why}


def test_the_checks_pass_a_complete_line_and_catch_each_defect(line_load: ModuleType) -> None:
    line = line_load.Line(stations=1, units=1, parallel=1, seed=0)
    events, counts = line_load.check_events(stored_line(), logged_line())
    assert failed(line_load.check_runs(line, "L", stored_line())) == set()
    assert failed(line_load.check_steps(stored_line())) == set()
    assert (failed(events), counts["lost"], counts["duplicated"]) == (set(), 0, 0)

    lost, counts = line_load.check_events(stored_line(), logged_line()[:1])
    assert failed(lost) == {"step events logged == stored, 1:1"}
    assert counts["lost"] == 1
    doubled, counts = line_load.check_events(stored_line(), [*logged_line(), logged_line()[0]])
    assert counts["duplicated"] == 1
    assert "step events logged == stored, 1:1" in failed(doubled)
    retry_lost, _ = line_load.check_events(stored_line(), logged_line()[:2])
    assert failed(retry_lost) == {"attempts logged 1..attempts"}
    other_end = [{**row, "run_status": "failed"} for row in logged_line()]
    assert failed(line_load.check_events(stored_line(), other_end)[0]) == {
        "one start, one end a run"
    }

    running = stored_line()
    running["runs"][0]["status"] = "running"
    running["steps"].pop()
    assert failed(line_load.check_steps(running)) == {
        "every run ended", "steps 1..n, n == step_count", "counters == step verdicts"
    }
    repeated = stored_line()
    repeated["runs"].append(dict(repeated["runs"][0]))
    repeated["batches"][0]["status"] = "running"
    assert failed(line_load.check_runs(line, "L", repeated)) == {
        "runs stored == units asked", "run ids unique", "serial numbers unique, those asked",
        "one finished batch a station",
    }


def test_results_go_to_bench_out_and_bad_counts_get_one_line(line_load: ModuleType) -> None:
    options = line_load.arguments().parse_args([])
    assert options.json_out.parent == BENCH / "out"
    assert (options.stations, options.backend) == (50, "both")
    result = subprocess.run(
        [sys.executable, str(BENCH / "line_load.py"), "--stations", "65"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 2
    assert "'65': give 1 to 64 stations" in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
