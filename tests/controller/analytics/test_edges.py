"""The yield figures at their edges: nothing tested, one unit, ties, odd stages and times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from mfg_ctl.analytics.yields import render_yield_text, yield_report
from tests.controller.analytics.fixture import run, step


def test_no_runs_give_zero_counts_and_no_fractions() -> None:
    report = yield_report([]).to_dict()
    assert report == {
        "units": {"tested": 0, "passed": 0, "failed": 0},
        "yield": {"fpy": None, "final_yield": None, "flaky_rate": None, "rty": None, "stages": []},
        "pareto": {"steps": [], "error_codes": []},
        "stratification": {"station": [], "stage": [], "batch": [], "operator": [], "hour": []},
    }
    assert render_yield_text(yield_report([])) == "units: 0 tested (no finished runs in scope)"


def test_one_unit_that_failed_then_passed() -> None:
    runs = [
        run("b", "PVT", "X1", "P1", "ST9", "carol", "13:10"),
        run("a", "PVT", "X1", "P1", "ST9", "carol", "12:55", "failed", step("power", "fail")),
    ]
    report = yield_report(runs).to_dict()
    assert report["units"] == {"tested": 1, "passed": 1, "failed": 0}
    assert (report["yield"]["fpy"], report["yield"]["final_yield"]) == (0.0, 1.0)
    assert report["yield"]["flaky_rate"] == 0.0
    assert report["yield"]["rty"] is None  # one stage: no rolled yield
    assert report["yield"]["stages"] == [{"stage": "PVT", "tested": 1, "fpy": 0.0}]
    assert report["pareto"]["steps"] == [
        {"name": "power", "count": 1, "percent": 100.0, "cumulative_percent": 100.0}
    ]
    assert report["stratification"]["hour"] == [
        {
            "key": "2026-11-02 12:00",  # its first run's hour, not its re-test's
            "tested": 1,
            "first_pass": 0,
            "passed": 1,
            "fpy": 0.0,
            "final_yield": 1.0,
        }
    ]


def test_an_aborted_last_run_leaves_the_unit_failed() -> None:
    runs = [
        run("a", "EVT", "X1", "B", "S", "o", "09:00"),
        run("b", "EVT", "X1", "B", "S", "o", "09:30", "aborted", step("voltage", "error")),
    ]
    report = yield_report(runs).to_dict()
    assert report["units"] == {"tested": 1, "passed": 0, "failed": 1}
    assert (report["yield"]["fpy"], report["yield"]["final_yield"]) == (1.0, 0.0)


def test_pareto_ties_are_sorted_by_name_and_percentages_reach_100() -> None:
    # three runs, each failing a different step: 1/3 each, in name order
    runs = [
        run(f"r{n}", "EVT", f"X{n}", "B", "S", "o", "09:00", "failed", step(name, "fail"))
        for n, name in enumerate(["voltage", "current", "power"])
    ]
    steps = yield_report(runs).to_dict()["pareto"]["steps"]
    assert [entry["name"] for entry in steps] == ["current", "power", "voltage"]
    assert [entry["count"] for entry in steps] == [1, 1, 1]
    thirds = [entry["percent"] for entry in steps]
    assert thirds == pytest.approx([33.333, 33.333, 33.333], abs=1e-3)
    cumulative = [entry["cumulative_percent"] for entry in steps]
    assert cumulative == pytest.approx([33.333, 66.667, 100.0], abs=1e-3)
    assert steps[-1]["cumulative_percent"] == 100.0  # exactly, not 99.99999


def test_a_step_failing_in_one_run_counts_once_for_that_run() -> None:
    # a plan may name two steps alike; the Pareto counts runs, not steps
    twice = run("a", "EVT", "X1", "B", "S", "o", "09:00", "failed", step("voltage", "fail"))
    doubled = twice.steps[1]
    assert doubled.name == "voltage"
    runs = [replace(twice, steps=(doubled, doubled))]
    assert yield_report(runs).to_dict()["pareto"]["steps"][0]["count"] == 1


def test_the_same_serial_number_in_three_stages_is_three_units_in_build_order() -> None:
    runs = [
        run("c", "pilot", "X1", "B", "S", "o", "11:00"),
        run("b", "DVT", "X1", "B", "S", "o", "10:00", "failed", step("ripple", "fail")),
        run("a", "EVT", "X1", "B", "S", "o", "09:00"),
    ]
    figures = yield_report(runs).to_dict()["yield"]
    # a user label ("pilot") comes after the known stages; RTY = 1.0 * 0.0 * 1.0
    assert [(s["stage"], s["fpy"]) for s in figures["stages"]] == [
        ("EVT", 1.0),
        ("DVT", 0.0),
        ("pilot", 1.0),
    ]
    assert figures["rty"] == 0.0


def test_naive_and_aware_start_times_are_ordered_together_as_utc() -> None:
    naive = datetime(2026, 11, 2, 9, 0)  # naive: UTC by definition
    aware = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)
    runs = [
        run("late", "EVT", "X1", "B", "S", "o", naive),
        run("early", "EVT", "X1", "B", "S", "o", aware, "failed", step("power", "fail")),
    ]
    report = yield_report(runs).to_dict()
    assert report["yield"]["fpy"] == 0.0  # the 08:00 run came first, and failed
    assert report["stratification"]["hour"][0]["key"] == "2026-11-02 08:00"


def test_runs_at_the_same_moment_are_ordered_by_run_id() -> None:
    runs = [
        run("bbb", "EVT", "X1", "B", "S", "o", "09:00"),
        run("aaa", "EVT", "X1", "B", "S", "o", "09:00", "failed", step("power", "fail")),
    ]
    assert yield_report(runs).to_dict()["units"]["passed"] == 1  # "bbb" is the last run
