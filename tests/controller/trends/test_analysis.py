"""Per-step trends: drift, flat, beyond the limits, constant, too few, one-sided, --limit."""

from __future__ import annotations

import json

import pytest

from mfg_ctl.analytics.spc import SpcError
from mfg_ctl.analytics.trends import MIN_POINTS, StepTrend, analyse_steps, cells, number
from mfg_ctl.store.series import MeasuredColumns
from tests.controller.trends.support import drifting, flat

#: The drifting step: +0.1 per run from 5000 with noise sigma 2; its threshold's high
#: side, 5020, is crossed by the mean at run 200, 141 runs after the last of 60.
SLOPE, RUNS, HIGH = 0.1, 60, 5020.0
TRUE_CROSSING = (HIGH - 5000.0) / SLOPE - (RUNS - 1)
#: A seed whose noise leaves every reading inside the control limits: the drift spans 1.5
#: sigma either side of the centre, so with other seeds a reading crosses a limit (and the
#: step is rightly out of control rather than trending).
SEED = 15


def _columns(
    series: dict[str, list[float]], low: float | None = 4980.0, high: float | None = HIGH
) -> MeasuredColumns:
    names = [name for name, values in series.items() for _ in values]
    values = [value for values in series.values() for value in values]
    numbers = [number for number, values in enumerate(series.values(), 1) for _ in values]
    return MeasuredColumns(
        plan_name=["plan"] * len(values), step_name=names, register=["reg"] * len(values),
        run_id=[f"run{index}" for index in range(len(values))], number=numbers,
        measured=values, low=[low] * len(values), high=[high] * len(values),
    )


def _one(series: list[float], **options: object) -> StepTrend:
    low = options.pop("low", 4980.0)
    high = options.pop("high", HIGH)
    (found,) = analyse_steps(_columns({"s": series}, low, high), **options)  # type: ignore[arg-type]
    return found


def test_a_drifting_step_is_trending_and_its_band_holds_the_true_crossing() -> None:
    found = _one(drifting(RUNS, SLOPE, seed=SEED))
    assert found.classification == "trending"
    assert found.analysis is not None
    assert found.analysis.trend is not None
    fit = found.analysis.trend
    assert fit.ci_low > 0
    assert fit.ci_low <= SLOPE <= fit.ci_high
    forecast = found.forecast
    assert forecast is not None
    assert forecast.runs_low is not None
    assert forecast.runs_high is not None
    assert (forecast.side, forecast.limit) == ("upper", HIGH)
    assert forecast.runs_low <= TRUE_CROSSING <= forecast.runs_high
    tail = found.forecast_tail
    assert tail is not None
    assert tail.runs is not None
    assert forecast.runs is not None
    assert tail.runs < forecast.runs  # a reading 3 sigma up fails before the mean does


def test_a_flat_step_is_in_control_with_no_forecast() -> None:
    found = _one(flat(RUNS))
    assert found.classification == "in control"
    assert found.flagged() == []
    assert found.forecast is not None
    assert found.forecast.runs is None
    assert cells(found)[-1] == "no drift"
    assert found.cpk is not None
    assert found.cpk > 1


def test_a_point_beyond_the_limits_is_out_of_control_and_flagged_with_rule_1() -> None:
    readings = flat(RUNS)
    readings[30] = 5015.0  # 7 sigma up, still inside the threshold
    found = _one(readings)
    assert found.classification == "out of control"
    flagged = {point["index"]: point for point in found.flagged()}
    assert flagged[30]["rules"][0] == 1
    assert flagged[30]["run_id"] == "run30"
    assert found.first_rules()[30] == 1


def test_constant_readings_say_capability_is_undefined_never_inf_or_nan() -> None:
    found = _one([5000.0] * 12)
    row = found.to_dict()
    assert (row["sigma_within"], row["cpk"], row["classification"]) == (0.0, None, "in control")
    assert "undefined" in row["capability_note"]
    json.dumps(row, allow_nan=False)  # no inf, no nan anywhere
    assert cells(found)[6] == "undefined"


def test_too_few_results_get_a_row_saying_how_many_are_needed() -> None:
    found = _one([5000.0, 5001.0])
    assert found.analysis is None
    assert found.classification == f"needs {MIN_POINTS} results, has 2"
    assert found.to_dict()["n"] == 2


def test_a_one_sided_threshold_gives_the_one_sided_index() -> None:
    found = _one(flat(RUNS), low=None)
    assert found.analysis is not None
    assert found.analysis.capability is not None
    assert found.cpk == found.analysis.capability.cpu
    assert found.analysis.capability.cpl is None


def test_a_threshold_of_one_value_has_no_capability_but_a_forecast() -> None:
    found = _one(drifting(RUNS, SLOPE, seed=SEED), low=5020.0)
    assert found.cpk is None
    assert found.capability_note is not None
    assert "one value" in found.capability_note
    assert found.forecast is not None
    assert found.forecast.limit == HIGH


def test_limit_replaces_the_threshold_for_the_forecast_only() -> None:
    readings = drifting(RUNS, SLOPE, seed=SEED)
    own, moved = _one(readings), _one(readings, limit=5010.0)
    assert moved.forecast is not None
    assert moved.forecast.limit == 5010.0
    assert own.forecast is not None
    assert own.forecast.runs is not None
    assert moved.forecast.runs is not None
    assert moved.forecast.runs < own.forecast.runs
    assert moved.cpk == own.cpk


def test_a_limit_behind_the_drift_gives_no_forecast() -> None:
    found = _one(drifting(RUNS, SLOPE, seed=SEED), limit=4900.0)
    assert found.forecast is not None
    assert found.forecast.runs is None
    assert cells(found)[-1] == "no limit that side"


@pytest.mark.parametrize("rule_set", ["we", "nelson", "none"])
def test_every_rule_set_classifies_the_drift_as_trending(rule_set: str) -> None:
    found = _one(drifting(RUNS, SLOPE, seed=SEED), rule_set=rule_set)
    assert found.classification == "trending"
    assert found.analysis is not None
    assert found.analysis.rule_set == rule_set


def test_steps_are_grouped_by_plan_and_step_in_step_order() -> None:
    found = analyse_steps(_columns({"b_second": flat(5), "a_first": flat(4)}))
    assert [(trend.series.step, len(trend.series.values)) for trend in found] == [
        ("b_second", 5), ("a_first", 4),
    ]


def test_a_limit_that_is_not_finite_is_refused() -> None:
    with pytest.raises(SpcError, match="finite"):
        analyse_steps(_columns({"s": flat(5)}), limit=float("inf"))


def test_a_step_without_a_threshold_has_no_cpk_and_no_forecast() -> None:
    found = _one(drifting(RUNS, SLOPE, seed=SEED), low=None, high=None)
    assert found.cpk is None
    assert found.capability_note == "undefined: the step records no threshold"
    assert (found.forecast, found.forecast_tail) == (None, None)
    assert cells(found)[-1] == "no limit"
    assert found.classification == "trending"  # the drift is still seen


def test_nothing_measured_gives_no_rows_and_too_few_flags_nothing() -> None:
    assert analyse_steps(_columns({})) == []
    (few,) = analyse_steps(_columns({"s": [1.0, 2.0]}))
    assert few.first_rules() == [None, None]
    assert few.flagged() == []
    assert cells(few)[2:5] == ("-", "-", "-")


@pytest.mark.parametrize("value", [None, float("inf"), float("nan")])
def test_a_missing_or_infinite_figure_is_shown_as_a_dash(value: float | None) -> None:
    assert number(value) == "-"
