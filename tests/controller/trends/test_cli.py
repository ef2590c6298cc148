"""``mfg-ctl trends`` end to end: real runs recorded by ``mfg-ctl run``, and drifting rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.controller.cli.support import BRINGUP, Ctl
from tests.controller.trends.support import Step, drifting, flat, record_runs

BRINGUP_MEASURED = [
    "check_supply_voltage_readback", "check_supply_current_readback", "check_actuator_position",
    "check_actuator_status", "check_dmm_dc_voltage", "check_thermocouple_channel_0",
    "check_thermocouple_cold_junction",
]


def test_twelve_bringup_runs_give_one_in_control_row_per_measured_step(ctl: Ctl) -> None:
    for _ in range(12):
        assert ctl("run", BRINGUP).status == 0
    result = ctl("trends", "--plan", "station_bringup")
    assert (result.status, result.err) == (0, "")
    assert result.lines[0].startswith("84 measured results of 7 steps (rules: Western Electric")
    assert result.lines[2] == "plan station_bringup:"
    rows = [line.split() for line in result.lines[3:]]
    assert [row[0] for row in rows] == BRINGUP_MEASURED
    # The simulated station reads the same every run: constant, in control, Cpk undefined.
    voltage = result.lines[3].split("  ")
    assert [cell.strip() for cell in voltage if cell.strip()] == [
        "check_supply_voltage_readback", "12", "1200", "0", "+0", "in control", "undefined",
        "no drift",
    ]
    document = json.loads(ctl("trends", "--json").out)
    assert [step["step"] for step in document["steps"]] == BRINGUP_MEASURED
    assert all(step["capability_note"].startswith("undefined") for step in document["steps"])


@pytest.fixture
def drift_db(db: Path) -> Path:
    """60 runs of a plan with a drifting step and a flat one (as inserted rows)."""
    record_runs(
        db,
        [
            Step("check_dmm_dc_voltage", drifting(60, 0.1, seed=15), low=4980.0, high=5020.0),
            Step("check_psu_volts", flat(60, level=1200.0), low=1175.0, high=1225.0,
                 register="voltage_readback"),
        ],
    )
    return db


def test_a_drifting_step_is_trending_with_a_forecast(ctl: Ctl, drift_db: Path) -> None:
    result = ctl("trends", "--db", drift_db)
    assert result.status == 0
    drift_row = next(line for line in result.lines if "check_dmm_dc_voltage" in line)
    assert "trending" in drift_row
    assert drift_row.rstrip().endswith(")")  # "143 (99 to 209)": runs to failure and band
    flat_row = next(line for line in result.lines if "check_psu_volts" in line)
    assert "in control" in flat_row
    assert flat_row.rstrip().endswith("no drift")


def test_step_prints_the_chart_details(ctl: Ctl, drift_db: Path) -> None:
    del drift_db
    result = ctl("trends", "--step", "check_dmm_dc_voltage", "--rules", "nelson")
    assert result.status == 0
    details = result.out.split("step check_dmm_dc_voltage of plan drift_plan", 1)[1]
    assert "I-MR chart: centre 50" in details
    assert "threshold [4980, 5020]: Cpk " in details
    assert "flagged points (0-based, rules Nelson): " in details
    assert "runs to failure (mean): upper limit 5020 in " in details
    assert "runs to failure (mean +/- 3 sigma): upper limit " in details
    assert details.rstrip().endswith("classification: trending")


def test_step_details_list_flagged_points_with_their_rules(ctl: Ctl, db: Path) -> None:
    readings = flat(30)
    readings[20] = 5030.0
    run_ids = record_runs(db, [Step("spiky", readings, low=4900.0, high=5100.0)])
    result = ctl("trends", "--step", "spiky")
    assert f"    20: 5030 in run {run_ids[20]}, rule 1" in result.lines
    assert result.lines[-1] == "  classification: out of control"


def test_limit_moves_the_forecast(ctl: Ctl, drift_db: Path) -> None:
    del drift_db
    result = ctl("trends", "--step", "check_dmm_dc_voltage", "--limit", 5010)
    assert "runs to failure (mean) against --limit 5010: upper limit 5010 in " in result.out


def test_json_schema(ctl: Ctl, drift_db: Path) -> None:
    del drift_db
    document = json.loads(ctl("trends", "--step", "check_dmm_dc_voltage", "--json").out)
    assert set(document) == {"filters", "rules", "results", "steps"}
    assert document["filters"]["step"] == "check_dmm_dc_voltage"
    assert (document["rules"], document["results"]) == ("we", 60)
    (step,) = document["steps"]
    assert set(step) >= {
        "plan", "step", "register", "n", "low", "high", "note", "mean", "sigma_within",
        "sigma_overall", "slope", "slope_ci", "classification", "rules", "cpk",
        "capability_note", "limit", "forecast", "forecast_tail", "chart", "flagged",
    }
    assert step["classification"] == "trending"
    low, high = step["slope_ci"]
    assert 0 < low < 0.1 < high
    assert step["forecast"]["side"] == "upper"
    assert step["forecast_tail"]["k"] == 3.0
    assert step["chart"]["chart"] == "imr"
    without_details = json.loads(ctl("trends", "--json").out)["steps"][0]
    assert "chart" not in without_details


def test_filters_pick_the_runs(ctl: Ctl, db: Path) -> None:
    record_runs(db, [Step("volts", flat(5))], station_id="ST1", sn="SN1")
    record_runs(db, [Step("volts", flat(4, seed=9))], station_id="ST2", sn="SN2", first=5)
    assert "volts  4 " in ctl("trends", "--station-id", "ST2").out
    assert "volts  5 " in ctl("trends", "--sn", "SN1").out
    assert "volts  3 " in ctl("trends", "--last", 3).out
    assert "volts  4 " in ctl("trends", "--since", "2026-03-01T08:05").out
    assert "volts  9 " in ctl("trends", "--register", "dc_voltage").out


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--step", "nope"], "error: no measured results for step 'nope'; steps with results: "
         "'check_dmm_dc_voltage', 'check_psu_volts'"),
        (["--plan", "nope"], "error: no measured results for plan 'nope'; plans with results: "
         "'drift_plan'"),
        (["--register", "nope"], "error: no measured results for register 'nope'; steps with "
         "results: 'check_dmm_dc_voltage', 'check_psu_volts'"),
        (["--station-id", "ST9"], "error: no measured results with --station-id 'ST9'"),
        (["--step", "a", "--register", "b"], "error: give --step or --register, not both"),
        (["--since", "yesterday"], "error: --since 'yesterday' is not an ISO 8601 date or time"),
        (["--limit", "nan"], "error: --limit must be a finite number, not nan"),
        (["--export", "out.pdf"], "error: --export 'out.pdf': give a file ending in .md or .html"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    ctl: Ctl, drift_db: Path, arguments: list[str], complaint: str
) -> None:
    del drift_db
    result = ctl("trends", *arguments)
    assert result.status == 2
    assert result.out == ""
    assert len(result.err.splitlines()) == 1
    assert result.err.startswith(complaint), result.err


def test_an_empty_store_says_to_record_runs_first(ctl: Ctl) -> None:
    result = ctl("trends")
    assert result.status == 2
    assert result.err.startswith("error: no measured results in the run store ")
    assert result.err.rstrip().endswith("record runs first")


def test_step_details_of_constant_readings_and_of_a_step_without_threshold(
    ctl: Ctl, db: Path
) -> None:
    record_runs(
        db,
        [
            Step("steady", [1200.0] * 5, low=1175.0, high=1225.0),
            Step("unbounded", drifting(5, 1.0), low=None, high=None),
        ],
    )
    steady = ctl("trends", "--step", "steady").lines
    assert steady[-2:] == [
        "  constant readings (1200): sigma is 0, no control limits",
        "  capability: undefined: sigma is 0 (constant readings), the index would be infinite",
    ]
    unbounded = ctl("trends", "--step", "unbounded").out
    assert "  threshold [-, -]: Cpk undefined: the step records no threshold\n" in unbounded
    assert "  runs to failure (mean): no limit to forecast against\n" in unbounded
