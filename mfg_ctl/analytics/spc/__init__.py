"""Statistical process control: control charts, run rules, capability, drift and forecasts.

Pure functions over numbers (numpy, scipy): no files, no store, no printing. Every result
is a frozen dataclass with ``to_dict()`` for JSON; bad input raises :class:`SpcError`
with a one-line message. doc/spc.rst gives the formulas and conventions.

>>> chart = individuals_chart([49.6, 47.6, 49.9, 51.3, 47.8, 51.2, 52.6, 52.4, 53.6, 52.1])
>>> round(chart.center, 2), round(chart.dispersion_bar, 4), chart.beyond_limits
(50.81, 1.8778, [])
"""

from __future__ import annotations

from mfg_ctl.analytics.spc.analysis import SpcAnalysis, analyse
from mfg_ctl.analytics.spc.capability import Capability, capability
from mfg_ctl.analytics.spc.charts import (
    ChartKind,
    ControlChart,
    Limits,
    individuals_chart,
    xbar_r_chart,
    xbar_s_chart,
)
from mfg_ctl.analytics.spc.constants import ChartConstants, c4, chart_constants, d2, d3
from mfg_ctl.analytics.spc.errors import SpcError
from mfg_ctl.analytics.spc.rules import RULE_SETS, first_rule_per_point, run_rules
from mfg_ctl.analytics.spc.trend import Forecast, Trend, classify, fit_trend, runs_to_failure

__all__ = [
    "RULE_SETS",
    "Capability",
    "ChartConstants",
    "ChartKind",
    "ControlChart",
    "Forecast",
    "Limits",
    "SpcAnalysis",
    "SpcError",
    "Trend",
    "analyse",
    "c4",
    "capability",
    "chart_constants",
    "classify",
    "d2",
    "d3",
    "first_rule_per_point",
    "fit_trend",
    "individuals_chart",
    "run_rules",
    "runs_to_failure",
    "xbar_r_chart",
    "xbar_s_chart",
]
