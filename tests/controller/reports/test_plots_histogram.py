"""The histogram of a measured step: spec limits, mean, and the capability box."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mfg_ctl.analytics.trends import StepSeries, analyse_step
from mfg_ctl.report import plots
from tests.controller.reports.test_plots import decoded, readings, reddish


def test_the_cpk_shown_is_the_trends_analysis_cpk() -> None:
    values = readings()
    series = StepSeries(
        "plan", "dc", 1, "dc_voltage", np.asarray(values), tuple(map(str, values)), 4980.0, 5020.0
    )
    cpk = analyse_step(series).cpk
    assert cpk is not None
    summary = plots.capability_summary(values, low=4980.0, high=5020.0, unit="mV")
    lines = summary.splitlines()
    assert lines[0] == "n      50"
    assert lines[1] == f"mean   {np.mean(values):.5g} mV"
    assert lines[2].startswith("sigma  ")
    assert lines[2].endswith(" mV (within)")
    assert lines[3] == f"Cpk    {cpk:.3f}"


@pytest.mark.parametrize(
    ("values", "low", "high", "why"),
    [
        ([1.0, 2.0, 3.0], None, None, "no specification limit"),
        ([2.5] * 4, 2.0, 3.0, "sigma within is 0 (constant data)"),
        ([2.5], 2.0, 3.0, "one value gives no sigma"),
        ([1.0, 2.0, 3.0], 3.0, 2.0, "LSL 3.0 is not below USL 2.0"),
    ],
)
def test_an_undefined_cpk_says_why(
    values: list[float], low: float | None, high: float | None, why: str
) -> None:
    summary = plots.capability_summary(values, low=low, high=high)
    assert "Cpk    " not in summary
    flat = " ".join(line.strip() for line in summary.splitlines())
    assert f"Cpk undefined: {why}" in flat
    assert decoded(plots.histogram_png(values, title="x", low=low, high=high)).shape[:2] == (
        352,
        715,
    )


def test_a_one_sided_limit_gives_the_one_sided_cpk() -> None:
    summary = plots.capability_summary(readings(), low=None, high=5020.0)
    assert "Cpk    " in summary
    assert "undefined" not in summary


def test_non_finite_values_and_limits_are_left_out() -> None:
    values = readings()
    plain = plots.histogram_png(values, title="dc", low=4980.0)
    assert plots.histogram_png([*values, math.nan, -math.inf], title="dc", low=4980.0) == plain
    assert plots.histogram_png(values, title="dc", low=4980.0, high=math.inf) == plain
    with pytest.raises(ValueError, match="no finite value"):
        plots.histogram_png([math.nan], title="dc")
    with pytest.raises(ValueError, match="no finite value"):
        plots.histogram_png([], title="dc")


def test_the_spec_limits_are_drawn_in_red() -> None:
    without = reddish(decoded(plots.histogram_png(readings(), title="dc"))).sum()
    with_limits = decoded(plots.histogram_png(readings(), title="dc", low=4980.0, high=5020.0))
    assert reddish(with_limits).sum() > without + 400  # two lines the plot's height
