"""A 20-unit batch of flaky DUTs: its five files, its store rows, and every figure recounted.

The batch runs once per module; each test reads what it left. ``analytics`` on
the run folder and on the store must agree with each other and with a count
made here from ``events.jsonl`` alone.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from tests.controller.batch.support import (
    FILES,
    Recount,
    batch_args,
    batch_status,
    read_rows,
    recount,
    run_folder,
    run_main,
    sns,
    stored_runs,
)
from tests.controller.cli.support import Result

UNITS = 20


@dataclass(frozen=True)
class Batch:
    """What the module's batch left: its result, store file, run folder and rows."""

    result: Result
    db: Path
    folder: Path
    rows: list[dict[str, Any]]
    counted: Recount


@pytest.fixture(scope="module")
def flaky_batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    """``mfg-ctl batch`` over 20 factory-flaky units on 4 slots, seed 3."""
    base = tmp_path_factory.mktemp("flaky")
    db, root = base / "runs.db", base / "runs"
    result = run_main(
        *batch_args(db, root, "B1", sns(UNITS), "--parallel", 4, "--dut-profile",
                    "factory-flaky", "--seed", 3)
    )
    assert result.status in (0, 1), result.err
    folder = run_folder(root)
    rows = read_rows(folder)
    return Batch(result, db, folder, rows, recount(rows))


def analytics_json(*args: object) -> dict[str, Any]:
    result = run_main("analytics", *args, "--json")
    assert result.status == 0, result.err
    figures: dict[str, Any] = json.loads(result.out)
    return figures


def test_the_batch_writes_five_files_and_one_stored_run_per_unit(flaky_batch: Batch) -> None:
    folder = flaky_batch.folder
    assert sorted(path.name for path in folder.iterdir()) == sorted(FILES)
    stored = stored_runs(flaky_batch.db, "B1")
    assert sorted(stored.values()) == sns(UNITS).split(",")  # each unit exactly once
    assert {row["run_id"] for row in flaky_batch.rows} == set(stored)
    with (folder / "events.csv").open(newline="") as handle:
        csv_rows = list(csv.DictReader(handle))
    assert [row["run_id"] for row in csv_rows] == [row["run_id"] for row in flaky_batch.rows]
    assert batch_status(flaky_batch.db, "B1") == "finished"
    failed = sum(status != "passed" for status in flaky_batch.counted.status_by_sn.values())
    assert flaky_batch.result.status == (1 if failed else 0)
    assert f"artifacts: {folder}" in flaky_batch.result.out


def test_the_flaky_profile_makes_retries_and_error_codes(flaky_batch: Batch) -> None:
    counted = flaky_batch.counted
    assert counted.flaky > 0  # else the figures below would be trivially equal
    assert counted.error_codes
    assert all(code.startswith("E") for code in counted.error_codes)


def check_figures(figures: dict[str, Any], counted: Recount) -> None:
    units, yields = figures["units"], figures["yield"]
    assert units["tested"] == counted.tested == UNITS
    assert units["passed"] == counted.passed
    assert units["failed"] == counted.tested - counted.passed
    assert yields["fpy"] == pytest.approx(counted.first_pass / counted.tested)
    assert yields["flaky_rate"] == pytest.approx(counted.flaky / counted.tested)
    assert yields["final_yield"] == pytest.approx(counted.passed / counted.tested)
    codes = {entry["name"]: entry["count"] for entry in figures["pareto"]["error_codes"]}
    assert codes == dict(counted.error_codes)


def test_analytics_of_the_folder_and_of_the_store_match_a_recount(flaky_batch: Batch) -> None:
    from_folder = analytics_json("--run-dir", flaky_batch.folder)
    from_store = analytics_json("--batch-id", "B1", "--db", flaky_batch.db)
    assert from_folder == from_store
    check_figures(from_folder, flaky_batch.counted)


def test_results_summary_matches_the_recount(flaky_batch: Batch) -> None:
    summary = json.loads((flaky_batch.folder / "results_summary.json").read_text())
    check_figures(summary, flaky_batch.counted)
    assert summary["units"]["not_tested"] == 0
    assert summary["not_tested"] == []
    outcomes = {entry["sn"]: entry for entry in summary["unit_outcomes"]}
    assert {sn: entry["status"] for sn, entry in outcomes.items()} == (
        flaky_batch.counted.status_by_sn
    )
    assert {sn: entry["error_codes"] for sn, entry in outcomes.items()} == (
        flaky_batch.counted.codes_by_sn
    )
    assert summary["batch"]["batch_id"] == "B1"
    assert summary["batch"]["stage"] == "EVT"


class KpiParser(HTMLParser):
    """The (label, value) pairs of the report's ``<ul class="kpis">``."""

    def __init__(self) -> None:
        super().__init__()
        self.kpis: dict[str, str] = {}
        self._in_kpis = False
        self._span = ""
        self._value = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        css = dict(attrs).get("class") or ""
        if tag == "ul" and "kpis" in css.split():
            self._in_kpis = True
        elif tag == "span" and self._in_kpis:
            self._span = css

    def handle_endtag(self, tag: str) -> None:
        if tag == "ul":
            self._in_kpis = False
        elif tag == "span":
            self._span = ""

    def handle_data(self, data: str) -> None:
        if self._span == "value":
            self._value = data.strip()
        elif self._span == "label":
            self.kpis[data.strip()] = self._value


def percent(value: float) -> str:
    return f"{value * 100:.1f} %"


def test_the_qualification_report_shows_the_summary_figures(flaky_batch: Batch) -> None:
    summary = json.loads((flaky_batch.folder / "results_summary.json").read_text())
    parser = KpiParser()
    parser.feed((flaky_batch.folder / "qualification_report.html").read_text())
    units, yields = summary["units"], summary["yield"]
    assert parser.kpis == {
        "units tested": str(units["tested"]),
        "passed": str(units["passed"]),
        "failed": str(units["failed"]),
        "not tested": str(units["not_tested"]),
        "first pass yield (FPY)": percent(yields["fpy"]),
        "final yield": percent(yields["final_yield"]),
        "flaky rate (passed on retry)": percent(yields["flaky_rate"]),
    }
    assert parser.kpis["units tested"] == str(UNITS)


def test_the_coverage_matrix_counts_every_unit(flaky_batch: Batch) -> None:
    with (flaky_batch.folder / "coverage_matrix.csv").open(newline="") as handle:
        matrix = {row["requirement"]: row for row in csv.DictReader(handle)}
    last_attempt: dict[str, str] = {}
    for row in flaky_batch.rows:
        if row["step"] == "identify":
            last_attempt[row["sn"]] = row["status"]
    passed = sum(status == "pass" for status in last_attempt.values())
    failed = len(last_attempt) - passed
    assert matrix["REQ-ID-001"]["3 identify"] == (
        f"pass {passed} / fail {failed} / not run {UNITS - len(last_attempt)}"
    )
    assert matrix["REQ-EMC-001"]["status"] == "not covered"  # no step verifies it


def test_history_shows_a_units_stored_run(flaky_batch: Batch) -> None:
    counted = flaky_batch.counted
    retried_sn = next(row["sn"] for row in flaky_batch.rows if row["attempt"] > 1)
    run_id = next(row["run_id"] for row in flaky_batch.rows if row["sn"] == retried_sn)
    result = run_main("history", retried_sn, "--json", "--db", flaky_batch.db)
    assert result.status == 0, result.err
    runs = json.loads(result.out)
    assert [run["run_id"] for run in runs] == [run_id]
    text = run_main("history", retried_sn, "--db", flaky_batch.db)
    assert run_id[:8] in text.out
    assert counted.status_by_sn[retried_sn] in text.out
    assert "retried" in text.out
    unknown = run_main("history", "SN9999", "--db", flaky_batch.db)
    assert unknown.out == "no finished runs of 'SN9999'\n"


def test_runs_lists_the_batch(flaky_batch: Batch) -> None:
    result = run_main("runs", "--batch-id", "B1", "--db", flaky_batch.db, "--limit", 100)
    assert result.status == 0, result.err
    rows = result.lines[1:]
    assert len(rows) == UNITS
    assert {row.split()[-7] for row in rows} == set(sns(UNITS).split(","))
