"""Trends over the run history: one SPC analysis per measured step, as ``mfg-ctl trends`` shows.

Pure functions: the store's measured columns in (:class:`~mfg_ctl.store.series.MeasuredColumns`),
one :class:`StepTrend` per plan and step out. Each series is charted as individuals
(I-MR) in run order and analysed by :func:`mfg_ctl.analytics.spc.analyse`: mean, sigma,
the least-squares slope with its 95% interval, the classification under the chosen run
rules, Cpk against the step's own threshold (the low and high recorded with its newest
result; a one-sided threshold gives the one-sided index) and the runs-to-failure band.
A ``limit`` given by the user replaces the threshold for the forecasts only.

A step with fewer than :data:`MIN_POINTS` results gets a row saying how many it needs;
constant readings (sigma 0: no control limits) are in control, with capability "undefined"
and the reason, never inf or NaN.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from mfg_ctl.analytics.spc import (
    Forecast,
    SpcAnalysis,
    SpcError,
    analyse,
    first_rule_per_point,
    runs_to_failure,
)
from mfg_ctl.store.series import MeasuredColumns

__all__ = [
    "HEADERS",
    "MIN_POINTS",
    "TAIL_K",
    "StepSeries",
    "StepTrend",
    "analyse_step",
    "analyse_steps",
    "cells",
    "number",
    "step_series",
]

#: Results a step needs for a row with figures: the least-squares trend needs 3.
MIN_POINTS = 3
#: The forecast for single readings: the mean +/- this many sigma within.
TAIL_K = 3.0


@dataclass(frozen=True, eq=False)
class StepSeries:
    """The measured values of one step of one plan, oldest run first.

    ``register``, ``low`` and ``high`` are those of the newest result (a plan edited
    since keeps its current threshold).
    """

    plan: str
    step: str
    number: int
    register: str
    values: NDArray[np.float64]
    run_ids: tuple[str, ...]
    low: float | None
    high: float | None


def step_series(columns: MeasuredColumns) -> list[StepSeries]:
    """Group the columns by plan and step (numpy), in plan then step-number order."""
    if not len(columns):
        return []
    pairs = zip(columns.plan_name, columns.step_name, strict=True)
    keys = np.asarray([f"{plan}\x1f{name}" for plan, name in pairs])
    _unique, group = np.unique(keys, return_inverse=True)
    order = np.argsort(group, kind="stable")  # stable: run order within each group
    bounds = np.flatnonzero(np.diff(group[order])) + 1
    measured = np.asarray(columns.measured, dtype=float)
    run_ids = np.asarray(columns.run_id, dtype=object)
    found = []
    for rows in np.split(order, bounds):
        newest = int(rows[-1])
        found.append(
            StepSeries(
                plan=columns.plan_name[newest],
                step=columns.step_name[newest],
                number=int(columns.number[newest]),
                register=columns.register[newest],
                values=measured[rows],
                run_ids=tuple(run_ids[rows]),
                low=columns.low[newest],
                high=columns.high[newest],
            )
        )
    return sorted(found, key=lambda series: (series.plan, series.number, series.step))


@dataclass(frozen=True, eq=False)
class StepTrend:
    """What the history says about one step: its analysis, or why there is none.

    ``forecast`` and ``forecast_tail`` are against ``limit`` when the user gave one,
    else against the step's threshold; ``capability_note`` says why Cpk is missing.
    """

    series: StepSeries
    analysis: SpcAnalysis | None
    forecast: Forecast | None
    forecast_tail: Forecast | None
    limit: float | None
    note: str | None
    capability_note: str | None

    @property
    def constant(self) -> bool:
        """Every reading the same (sigma 0): no limits, no rules, capability undefined."""
        values = self.series.values
        return len(values) >= MIN_POINTS and float(np.ptp(values)) == 0.0

    @property
    def classification(self) -> str:
        """The classification; constant readings are in control; else the note."""
        if self.analysis is not None:
            return self.analysis.classification
        if self.constant:
            return "in control"
        return self.note or "no analysis"

    @property
    def cpk(self) -> float | None:
        """Cpk against the step's threshold (None: see ``capability_note``)."""
        found = None if self.analysis is None else self.analysis.capability
        return None if found is None else found.cpk

    def flagged(self) -> list[dict[str, Any]]:
        """The points a rule flags: index, run id, value and the rule numbers (0-based index)."""
        if self.analysis is None:
            return []
        numbers: dict[int, list[int]] = {}
        for name, indices in self.analysis.signals.items():
            for index in indices:
                numbers.setdefault(index, []).append(int(name.rsplit("_", 1)[1]))
        for index in self.analysis.chart.beyond_limits:
            numbers.setdefault(index, []).append(1)
        return [
            {
                "index": index,
                "run_id": self.series.run_ids[index],
                "value": float(self.series.values[index]),
                "rules": sorted(set(numbers[index])),
            }
            for index in sorted(numbers)
        ]

    def first_rules(self) -> list[int | None]:
        """For each point, the lowest rule number that flags it (None: none)."""
        if self.analysis is None:
            return [None] * len(self.series.values)
        signals = dict(self.analysis.signals)
        signals.setdefault("limits_1", self.analysis.chart.beyond_limits)
        return first_rule_per_point(signals, len(self.series.values))

    def to_dict(self, details: bool = False) -> dict[str, Any]:
        """The row for ``--json``; ``details`` adds the chart and the flagged points."""
        series, analysis = self.series, self.analysis
        row: dict[str, Any] = {
            "plan": series.plan,
            "step": series.step,
            "register": series.register,
            "n": len(series.values),
            "low": series.low,
            "high": series.high,
            "note": self.note,
        }
        if self.constant:
            row |= {
                "mean": float(series.values[0]),
                "sigma_within": 0.0,
                "sigma_overall": 0.0,
                "slope": 0.0,
                "classification": self.classification,
                "cpk": None,
                "capability_note": self.capability_note,
            }
        if analysis is None:
            return row
        chart, trend = analysis.chart, analysis.trend
        row |= {
            "mean": chart.center,
            "sigma_within": chart.sigma_within,
            "sigma_overall": chart.sigma_overall,
            "slope": None if trend is None else trend.slope,
            "slope_ci": None if trend is None else [trend.ci_low, trend.ci_high],
            "classification": analysis.classification,
            "rules": analysis.rule_set,
            "cpk": self.cpk,
            "capability_note": self.capability_note,
            "limit": self.limit,
            "forecast": None if self.forecast is None else self.forecast.to_dict(),
            "forecast_tail": None
            if self.forecast_tail is None
            else {"k": TAIL_K, **self.forecast_tail.to_dict()},
        }
        if details:
            row["chart"] = analysis.to_dict()
            row["flagged"] = self.flagged()
        return row


def _specification(series: StepSeries) -> tuple[float | None, float | None, str | None]:
    """The step's threshold as LSL and USL, and why capability is undefined (if it is)."""
    low, high = series.low, series.high
    if low is None and high is None:
        return None, None, "undefined: the step records no threshold"
    if low is not None and high is not None and low >= high:
        return None, None, f"undefined: the threshold is one value ({low:g}), no spread"
    return low, high, None


def _forecasts(
    analysis: SpcAnalysis, series: StepSeries, limit: float | None
) -> tuple[Forecast | None, Forecast | None]:
    """The forecasts for the mean and for the mean +/- TAIL_K sigma, against the limit used."""
    trend = analysis.trend
    if trend is None:
        return None, None
    lsl, usl = series.low, series.high
    if limit is not None:
        above = limit >= analysis.chart.center
        lsl, usl = (None, limit) if above else (limit, None)
    if lsl is None and usl is None:
        return None, None
    sigma = analysis.chart.sigma_within
    return (
        runs_to_failure(trend, lsl=lsl, usl=usl),
        runs_to_failure(trend, lsl=lsl, usl=usl, sigma=sigma, k=TAIL_K),
    )


def analyse_step(series: StepSeries, rule_set: str = "we", limit: float | None = None) -> StepTrend:
    """The trend of one step's series; a row with a note when it has too few results."""
    count = len(series.values)
    if count < MIN_POINTS:
        note = f"needs {MIN_POINTS} results, has {count}"
        return StepTrend(series, None, None, None, limit, note, None)
    lsl, usl, capability_note = _specification(series)
    if float(np.ptp(series.values)) == 0.0:
        note = f"constant readings ({float(series.values[0]):g}): sigma is 0, no control limits"
        reason = "undefined: sigma is 0 (constant readings), the index would be infinite"
        return StepTrend(series, None, None, None, limit, note, capability_note or reason)
    try:
        analysis = analyse(values=series.values.tolist(), lsl=lsl, usl=usl, rule_set=rule_set)
        forecast, tail = _forecasts(analysis, series, limit)
    except SpcError as error:
        return StepTrend(series, None, None, None, limit, str(error), None)
    if capability_note is None and analysis.capability is not None:
        why = analysis.capability.undefined.get("cpk")
        capability_note = None if why is None else f"undefined: {why}"
    return StepTrend(series, analysis, forecast, tail, limit, None, capability_note)


def analyse_steps(
    columns: MeasuredColumns, rule_set: str = "we", limit: float | None = None
) -> list[StepTrend]:
    """One :class:`StepTrend` per plan and step of ``columns``."""
    if limit is not None and not math.isfinite(limit):
        raise SpcError(f"the limit must be a finite number, not {limit}")
    return [analyse_step(series, rule_set, limit) for series in step_series(columns)]


# -- the table's cells, shared by the terminal and the exports -----------------------------

#: The columns of the table, one row per step.
HEADERS = (
    "step",
    "n",
    "mean",
    "sigma",
    "slope/run (95% CI)",
    "classification",
    "Cpk",
    "runs to failure (95% band)",
)


def number(value: float | None) -> str:
    """A figure to 4 significant digits; ``-`` for none (never inf or NaN)."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:.4g}"


def _runs(forecast: Forecast | None, limit_given: bool) -> str:
    if forecast is None:
        return "no limit" if not limit_given else "-"
    if forecast.runs is None or forecast.runs_low is None or forecast.runs_high is None:
        reason = forecast.reason or ""
        return "no drift" if "contains 0" in reason else "no limit that side"
    return f"{forecast.runs:.0f} ({forecast.runs_low:.0f} to {forecast.runs_high:.0f})"


def cells(trend: StepTrend) -> tuple[str, ...]:
    """The row of ``trend`` under :data:`HEADERS`, as text."""
    series, analysis = trend.series, trend.analysis
    count = str(len(series.values))
    if analysis is None:
        if not trend.constant:
            return (series.step, count, "-", "-", "-", trend.note or "-", "-", "-")
        mean = number(float(series.values[0]))
        return (series.step, count, mean, "0", "+0", "in control", "undefined", "no drift")
    chart, fit = analysis.chart, analysis.trend
    slope = "-" if fit is None else f"{fit.slope:+.3g} [{fit.ci_low:.3g}, {fit.ci_high:.3g}]"
    cpk = number(trend.cpk) if trend.cpk is not None else "undefined"
    return (
        series.step,
        count,
        number(chart.center),
        number(chart.sigma_within),
        slope,
        analysis.classification,
        cpk,
        _runs(trend.forecast, trend.limit is not None),
    )
