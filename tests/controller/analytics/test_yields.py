"""Every yield figure of the 20-unit fixture, worked out by hand (see fixture.py's comments).

Units #1-#10 are EVT, #11-#20 DVT. First run right first time (no retried
pass): #1 #2 #3 #4 #5 #10 (EVT, 6) and #11 #13 #15 #17 #20 (DVT, 5).
Flaky (first run passed on a retry): #6 (EVT) and #14 #18 (DVT). First run
failed: #7 #8 #9 (EVT) and #12 #16 #19 (DVT). Last run passed: all but #8
#9 (EVT, 8) and all but #16 (DVT, 9).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from mfg_ctl.analytics.yields import history, yield_report
from tests.controller.analytics.fixture import twenty_units

APPROX = 1e-9


def approx(value: float) -> Any:
    return pytest.approx(value, abs=1e-3)


def pareto_rows(entries: list[dict[str, Any]]) -> list[tuple[str, int, float, float]]:
    """Each Pareto entry as (name, count, percent, cumulative_percent), checking its keys."""
    keys = {"name", "count", "percent", "cumulative_percent"}
    assert all(set(entry) == keys for entry in entries)
    return [(e["name"], e["count"], e["percent"], e["cumulative_percent"]) for e in entries]


@pytest.fixture(name="report", params=["as given", "reversed"])
def report_fixture(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The figures, whatever order the runs come in (they are ordered by start time)."""
    runs = twenty_units()
    if request.param == "reversed":
        runs.reverse()
    return yield_report(runs).to_dict()


def test_units_tested_passed_and_failed(report: dict[str, Any]) -> None:
    # 20 units (SN01 and SN02 count once in EVT and once in DVT); 8 + 9 passed in the end
    assert report["units"] == {"tested": 20, "passed": 17, "failed": 3}


def test_fpy_final_yield_and_flaky_rate(report: dict[str, Any]) -> None:
    figures = report["yield"]
    assert figures["fpy"] == pytest.approx(0.55, abs=APPROX)  # (6 + 5) / 20
    assert figures["final_yield"] == pytest.approx(0.85, abs=APPROX)  # (8 + 9) / 20
    assert figures["flaky_rate"] == pytest.approx(0.15, abs=APPROX)  # (1 + 2) / 20
    # the rest, 6 / 20 = 0.30, failed their first run: 0.55 + 0.15 + 0.30 = 1


def test_rty_is_the_product_of_the_stage_fpys(report: dict[str, Any]) -> None:
    figures = report["yield"]
    assert figures["stages"] == [
        {"stage": "EVT", "tested": 10, "fpy": pytest.approx(0.6, abs=APPROX)},  # 6 / 10
        {"stage": "DVT", "tested": 10, "fpy": pytest.approx(0.5, abs=APPROX)},  # 5 / 10
    ]
    assert figures["rty"] == pytest.approx(0.30, abs=APPROX)  # 0.6 * 0.5


def test_pareto_of_failing_steps(report: dict[str, Any]) -> None:
    # runs whose step ended fail/error: ripple in r09, r10, r22 (3); voltage in r07, r19 (2);
    # current in r14 (1); power in r11 (1). Total 7; current and power tie: by name.
    # The skipped steps after each failure, and #20's skipped ripple, count for nothing.
    assert pareto_rows(report["pareto"]["steps"]) == [
        ("ripple", 3, approx(42.857), approx(42.857)),  # 3/7, 3/7
        ("voltage", 2, approx(28.571), approx(71.429)),  # 2/7, 5/7
        ("current", 1, approx(14.286), approx(85.714)),  # 1/7, 6/7
        ("power", 1, approx(14.286), approx(100.0)),  # 1/7, 7/7
    ]


def test_pareto_of_error_codes(report: dict[str, Any]) -> None:
    # attempts with a code: E21 in r07, r17, r19 x2 (4); E41 in r09 x2, r10, r22 (4);
    # E31 in r06, r14, r15 (3); E01 in r11 (1); E22 in r17 (1). Total 13; #18's retry had no code.
    assert pareto_rows(report["pareto"]["error_codes"]) == [
        ("E21", 4, approx(30.769), approx(30.769)),  # 4/13, 4/13
        ("E41", 4, approx(30.769), approx(61.538)),  # 4/13, 8/13
        ("E31", 3, approx(23.077), approx(84.615)),  # 3/13, 11/13
        ("E01", 1, approx(7.692), approx(92.308)),  # 1/13, 12/13
        ("E22", 1, approx(7.692), approx(100.0)),  # 1/13, 13/13
    ]


def stratum(key: str, tested: int, first_pass: int, passed: int) -> dict[str, Any]:
    """A row of a stratification with its fractions (computed here from the hand counts)."""
    return {
        "key": key,
        "tested": tested,
        "first_pass": first_pass,
        "passed": passed,
        "fpy": pytest.approx(first_pass / tested, abs=APPROX),
        "final_yield": pytest.approx(passed / tested, abs=APPROX),
    }


def test_stratification_by_station_of_the_first_run(report: dict[str, Any]) -> None:
    # ST1: #1 #2 #5 #8 #10 #11 #12 #15 #18 #19; first pass #1 #2 #5 #10 #11 #15; all passed but #8
    # ST2: #3 #4 #6 #7 #9 #13 #14 #16 #17 #20; first pass #3 #4 #13 #17 #20; failed #9 #16
    # (#7's passing re-test ran on ST1, #19's on ST2: each unit stays with its first run's station)
    assert report["stratification"]["station"] == [
        stratum("ST1", 10, 6, 9),  # FPY 0.6, final 0.9
        stratum("ST2", 10, 5, 8),  # FPY 0.5, final 0.8
    ]


def test_stratification_by_stage_and_batch(report: dict[str, Any]) -> None:
    assert report["stratification"]["stage"] == [
        stratum("EVT", 10, 6, 8),  # stages in build order, not alphabetical
        stratum("DVT", 10, 5, 9),
    ]
    assert report["stratification"]["batch"] == [
        stratum("D1", 5, 3, 5),  # #11-#15: first pass #11 #13 #15; FPY 0.6, final 1.0
        stratum("D2", 5, 2, 4),  # #16-#20: first pass #17 #20; #16 failed; FPY 0.4, final 0.8
        stratum("E1", 10, 6, 8),
    ]


def test_stratification_by_operator(report: dict[str, Any]) -> None:
    # alice: #1 #2 #5 #8 #10 #11 #12 #15 #17; first pass all but #8 #12; passed all but #8
    # bob: #3 #4 #6 #7 #9 #13 #14 #16 #18 #19 #20; first pass #3 #4 #13 #20; failed #9 #16
    assert report["stratification"]["operator"] == [
        stratum("alice", 9, 7, 8),  # FPY 7/9 = 0.778, final 8/9 = 0.889
        stratum("bob", 11, 4, 9),  # FPY 4/11 = 0.364, final 9/11 = 0.818
    ]
    alice = report["stratification"]["operator"][0]
    assert (alice["fpy"], alice["final_yield"]) == (approx(0.778), approx(0.889))


def test_stratification_by_hour_of_the_first_run_in_utc(report: dict[str, Any]) -> None:
    # 09: #1 #2 #3 #7 #8 #11 #12 #13 #14; first pass #1 #2 #3 #11 #13; failed #8
    # 10: #4 #5 #6 #9 #10 #15 #16 #17 #18 #19 #20; first pass #4 #5 #10 #15 #17 #20; failed #9 #16
    # (#15 started 11:20 at UTC+1: 10:20 UTC; #7's and #8's re-tests at 10:xx stay in 09)
    assert report["stratification"]["hour"] == [
        stratum("2026-11-02 09:00", 9, 5, 8),
        stratum("2026-11-02 10:00", 11, 6, 9),
    ]


def test_the_report_is_json_with_exactly_the_documented_keys(report: dict[str, Any]) -> None:
    plain = json.loads(json.dumps(yield_report(twenty_units()).to_dict()))
    assert set(plain) == {"units", "yield", "pareto", "stratification"}
    assert set(plain["yield"]) == {"fpy", "final_yield", "flaky_rate", "rty", "stages"}
    assert set(plain["pareto"]) == {"steps", "error_codes"}
    assert list(plain["stratification"]) == ["station", "stage", "batch", "operator", "hour"]
    assert report["units"] == plain["units"]


def test_history_lists_every_run_of_a_serial_number_oldest_first() -> None:
    runs = twenty_units()
    runs.reverse()
    # SN02: EVT r02 at 09:05, DVT r14 at 09:35 and its re-test r15 at 09:50
    assert [run.run_id for run in history(runs, "SN02")] == ["r02", "r14", "r15"]
    assert [run.run_id for run in history(runs, "SN08")] == ["r09", "r10"]
    assert history(runs, "SN99") == []
