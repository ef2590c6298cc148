"""The least-squares trend, its 95% interval, and the runs-to-failure forecast."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats  # type: ignore[import-untyped]

from mfg_ctl.analytics.spc import SpcError, fit_trend, runs_to_failure
from tests.controller.spc.reference import example

FLOW = example("imr_examples", "nist_6322_flowrate")["data"]


def test_slope_and_standard_error_match_an_independent_regression() -> None:
    trend = fit_trend(FLOW)
    reference = stats.linregress(np.arange(len(FLOW)), FLOW)
    assert trend.slope == pytest.approx(reference.slope, rel=1e-12)
    assert trend.intercept == pytest.approx(reference.intercept, rel=1e-12)
    assert trend.stderr == pytest.approx(reference.stderr, rel=1e-12)
    t = 2.306004135  # Student t, 0.975 quantile, 8 degrees of freedom
    assert trend.ci_low == pytest.approx(reference.slope - t * reference.stderr, rel=1e-9)
    assert trend.ci_high == pytest.approx(reference.slope + t * reference.stderr, rel=1e-9)


def test_the_nist_flow_rates_drift_upward_although_inside_their_limits() -> None:
    """No point of the NIST example is beyond its limits, yet the slope's 95% interval
    [0.155, 0.867] per run excludes 0: the readings climb."""
    trend = fit_trend(FLOW)
    assert trend.significant
    assert (round(trend.ci_low, 3), round(trend.ci_high, 3)) == (0.155, 0.867)


def test_flat_and_constant_data_do_not_trend() -> None:
    assert not fit_trend([1.0, 2.0, 1.0, 2.0, 1.0, 2.0]).significant
    constant = fit_trend([3.0] * 5)
    assert (constant.slope, constant.stderr, constant.significant) == (0.0, 0.0, False)


def test_a_trend_needs_three_points() -> None:
    with pytest.raises(SpcError, match=r"^2 values given: a trend needs at least 3$"):
        fit_trend([1.0, 2.0])


def test_an_exact_line_forecasts_an_exact_run() -> None:
    """y = 10 + 0.5 x over runs 0..9 reaches 20 at run 20: 11 runs after the last."""
    trend = fit_trend([10 + 0.5 * run for run in range(10)])
    forecast = runs_to_failure(trend, lsl=0.0, usl=20.0)
    assert (forecast.side, forecast.limit) == ("upper", 20.0)
    assert forecast.runs == pytest.approx(11.0)
    assert forecast.runs_low == pytest.approx(11.0)
    assert forecast.runs_high == pytest.approx(11.0)


def test_the_tail_forecast_moves_the_limit_in_by_k_sigma() -> None:
    trend = fit_trend([10 + 0.5 * run for run in range(10)])
    tail = runs_to_failure(trend, usl=20.0, sigma=1.0, k=3.0)
    assert tail.limit == 17.0
    assert tail.runs == pytest.approx(5.0)


def test_a_falling_trend_heads_for_the_lower_limit() -> None:
    trend = fit_trend([10 - 0.5 * run for run in range(10)])
    forecast = runs_to_failure(trend, lsl=0.0, usl=20.0)
    assert forecast.side == "lower"
    assert forecast.runs == pytest.approx(11.0)
    only_upper = runs_to_failure(trend, usl=20.0)
    assert only_upper.runs is None
    assert only_upper.reason == (
        "no forecast: the data drift toward the lower side, which has no limit"
    )


def test_past_the_limit_already_is_zero_runs() -> None:
    trend = fit_trend([10 + 0.5 * run for run in range(10)])
    assert runs_to_failure(trend, usl=12.0).runs == 0.0


def test_no_significant_slope_no_forecast() -> None:
    forecast = runs_to_failure(fit_trend([1.0, 2.0, 1.0, 2.0, 1.0, 2.0]), usl=5.0)
    assert (forecast.runs, forecast.runs_low, forecast.runs_high) == (None, None, None)
    assert forecast.reason is not None
    assert "contains 0" in forecast.reason
    json.dumps(forecast.to_dict(), allow_nan=False)


def test_a_forecast_needs_a_limit() -> None:
    with pytest.raises(SpcError, match="needs a limit"):
        runs_to_failure(fit_trend([1.0, 2.0, 3.0]))


def test_the_band_brackets_the_central_estimate_and_widens_with_noise() -> None:
    rng = np.random.default_rng(7)
    runs = np.arange(30)
    quiet = fit_trend(5 + 0.02 * runs + rng.normal(0, 0.02, 30))
    noisy = fit_trend(5 + 0.02 * runs + rng.normal(0, 0.1, 30))
    widths = []
    for trend in (quiet, noisy):
        forecast = runs_to_failure(trend, usl=6.0)
        assert forecast.runs is not None
        assert forecast.runs_low is not None
        assert forecast.runs_high is not None
        assert forecast.runs_low <= forecast.runs <= forecast.runs_high
        widths.append(forecast.runs_high - forecast.runs_low)
    assert widths[0] < widths[1]


def test_the_band_covers_the_true_crossing_about_95_percent_of_the_time() -> None:
    """A drifting mean (0.02 per run from 5, limit 6: it crosses 21 runs after run 29),
    noise sd 0.1, 200 seeds: the band holds the true crossing in at least 88% of them."""
    covered = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        readings = 5 + 0.02 * np.arange(30) + rng.normal(0, 0.1, 30)
        forecast = runs_to_failure(fit_trend(readings), usl=6.0)
        low, high = forecast.runs_low, forecast.runs_high
        covered += low is not None and high is not None and low <= 21.0 <= high
    assert covered >= 176


def test_a_negative_sigma_or_k_is_refused() -> None:
    with pytest.raises(SpcError, match="sigma and k must be finite and not negative"):
        runs_to_failure(fit_trend([1.0, 2.0, 3.0]), usl=5.0, sigma=-1.0, k=3.0)
