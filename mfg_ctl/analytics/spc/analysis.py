"""One analysis of a series: its chart, run rules, trend, capability and forecast together.

What ``mfg-ctl spc`` prints, as one frozen result with the ``--json`` schema
(:meth:`SpcAnalysis.to_dict`, documented in doc/spc.rst).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mfg_ctl.analytics.spc.capability import Capability, capability
from mfg_ctl.analytics.spc.charts import (
    ChartKind,
    ControlChart,
    individuals_chart,
    xbar_r_chart,
    xbar_s_chart,
)
from mfg_ctl.analytics.spc.errors import SpcError
from mfg_ctl.analytics.spc.rules import RULE_SETS, run_rules
from mfg_ctl.analytics.spc.trend import (
    Classification,
    Forecast,
    Trend,
    classify,
    fit_trend,
    runs_to_failure,
)

__all__ = ["SpcAnalysis", "analyse"]


@dataclass(frozen=True, eq=False)
class SpcAnalysis:
    """A chart and what it says: rule signals, trend, capability, forecasts, classification.

    ``trend`` is None below 3 points; ``capability`` and the forecasts are None without
    specification limits. ``forecast_tail`` is the forecast for the mean +/- ``k`` sigma
    within (a single reading k sigma out).
    """

    chart: ControlChart
    rule_set: str
    trend_points: int
    signals: dict[str, list[int]]
    trend: Trend | None
    capability: Capability | None
    forecast: Forecast | None
    forecast_tail: Forecast | None
    k: float
    classification: Classification

    def to_dict(self) -> dict[str, Any]:
        """The ``spc --json`` document (doc/spc.rst, "The JSON document")."""
        return {
            **self.chart.to_dict(),
            "rules": self.rule_set,
            "nelson_3_points": self.trend_points,
            "signals": self.signals,
            "trend": None if self.trend is None else self.trend.to_dict(),
            "capability": None if self.capability is None else self.capability.to_dict(),
            "forecast": None if self.forecast is None else self.forecast.to_dict(),
            "forecast_tail": None
            if self.forecast_tail is None
            else {"k": self.k, **self.forecast_tail.to_dict()},
            "classification": self.classification,
        }


def _chart(
    kind: ChartKind,
    values: Sequence[float] | None,
    subgroups: Sequence[Sequence[float]] | None,
) -> ControlChart:
    if kind == "imr":
        if values is None:
            raise SpcError("an I-MR chart takes individual values, not subgroups")
        return individuals_chart(values)
    if subgroups is None:
        raise SpcError(f"an {kind} chart takes subgroups, not individual values")
    return xbar_r_chart(subgroups) if kind == "xbar-r" else xbar_s_chart(subgroups)


def analyse(
    *,
    kind: ChartKind = "imr",
    values: Sequence[float] | None = None,
    subgroups: Sequence[Sequence[float]] | None = None,
    lsl: float | None = None,
    usl: float | None = None,
    target: float | None = None,
    rule_set: str = "we",
    trend_points: int = 6,
    k: float = 3.0,
) -> SpcAnalysis:
    """Chart ``values`` (I-MR) or ``subgroups`` (X-bar/R or X-bar/S) and classify them.

    The classification: ``out of control`` when a point is beyond the limits (rule 1,
    checked even with ``rule_set="none"``), ``trending`` when another rule of the set
    fires or the slope's 95% interval excludes 0, else ``in control``.
    """
    if rule_set not in RULE_SETS:
        raise SpcError(f"unknown rule set {rule_set!r}: choose one of {', '.join(RULE_SETS)}")
    if target is not None and lsl is None and usl is None:
        raise SpcError("a target needs specification limits: give LSL and USL too")
    chart = _chart(kind, values, subgroups)
    signals = run_rules(
        chart.points,
        chart.location.center,
        chart.sigma,
        rule_set=rule_set,
        trend_points=trend_points,
    )
    other_signals = any(indices for name, indices in signals.items() if not name.endswith("_1"))
    trend = fit_trend(chart.points) if chart.points.size >= 3 else None
    specified = lsl is not None or usl is not None
    found = (
        capability(
            chart.center,
            chart.sigma_within,
            chart.sigma_overall,
            lsl=lsl,
            usl=usl,
            target=target,
        )
        if specified
        else None
    )
    forecast = tail = None
    if specified and trend is None:
        reason = f"no forecast: a trend needs at least 3 points, not {chart.points.size}"
        forecast = tail = Forecast(None, None, None, None, None, reason)
    elif specified and trend is not None:
        forecast = runs_to_failure(trend, lsl=lsl, usl=usl)
        tail = runs_to_failure(trend, lsl=lsl, usl=usl, sigma=chart.sigma_within, k=k)
    return SpcAnalysis(
        chart=chart,
        rule_set=rule_set,
        trend_points=trend_points,
        signals=signals,
        trend=trend,
        capability=found,
        forecast=forecast,
        forecast_tail=tail,
        k=k,
        classification=classify(chart.beyond_limits, other_signals, trend),
    )
