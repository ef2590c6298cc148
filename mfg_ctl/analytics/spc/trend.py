"""Drift: the least-squares slope per run with its 95% interval, and runs-to-failure.

The fit is y = a + b x over the run index x = 0, 1, ..., N-1 (N >= 3):
``b = Sxy/Sxx``, ``SE(b) = s/sqrt(Sxx)`` with ``s^2 = SSE/(N-2)``, and the interval
``b +/- t(0.975, N-2) SE(b)`` (Student t).

Runs-to-failure extrapolates the fitted mean to the limit the drift heads for (the upper
limit for a rising slope, the lower for a falling one). The line is pivoted about the
centroid (x-bar, y-bar), where the fit is surest, so the slope's interval gives a band:
the steepest slope crosses first, the shallowest last. A slope whose interval contains 0
gives no forecast. The forecast is counted in runs after the last one (run N-1); 0 means
the fitted mean is already at or past the limit. Single readings scatter around the mean
and can fail earlier: the same forecast for the mean +/- k sigma (the limit moved in by
k sigma) says when a reading k sigma above the mean would cross it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray
from scipy import special  # type: ignore[import-untyped]  # scipy ships no types

from mfg_ctl.analytics.spc.charts import as_values
from mfg_ctl.analytics.spc.errors import SpcError

__all__ = ["Classification", "Forecast", "Trend", "classify", "fit_trend", "runs_to_failure"]

Classification = Literal["in control", "trending", "out of control"]
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Trend:
    """The least-squares line through the points, per run."""

    points: int
    intercept: float
    slope: float
    stderr: float
    ci_low: float
    ci_high: float
    centroid_x: float
    centroid_y: float

    @property
    def significant(self) -> bool:
        """The slope's 95% interval excludes 0: the data drift."""
        return self.ci_low > 0 or self.ci_high < 0

    def to_dict(self) -> dict[str, Any]:
        """The fit's figures for JSON (``significant`` included)."""
        return {**asdict(self), "significant": self.significant}


@dataclass(frozen=True)
class Forecast:
    """When the fitted mean reaches ``limit``: runs after the last, with a band.

    ``runs`` is None when there is no forecast (``reason`` says why); ``runs_low`` and
    ``runs_high`` come from the ends of the slope's 95% interval.
    """

    limit: float | None
    side: Literal["upper", "lower"] | None
    runs: float | None
    runs_low: float | None
    runs_high: float | None
    reason: str | None

    def to_dict(self) -> dict[str, Any]:
        """The forecast for JSON."""
        return asdict(self)


def fit_trend(values: Sequence[float] | NDArray[np.float64]) -> Trend:
    """The OLS slope per run of ``values`` (in run order) and its 95% interval; N >= 3."""
    points = as_values(values)
    if points.size < 3:
        raise SpcError(f"{points.size} values given: a trend needs at least 3")
    runs = np.arange(points.size, dtype=float)
    centroid_x, centroid_y = float(runs.mean()), float(points.mean())
    dx = runs - centroid_x
    sxx = float(dx @ dx)
    slope = float(dx @ (points - centroid_y)) / sxx
    intercept = centroid_y - slope * centroid_x
    residuals = points - (intercept + slope * runs)
    freedom = points.size - 2
    stderr = math.sqrt(float(residuals @ residuals) / freedom / sxx)
    quantile = float(special.stdtrit(freedom, 0.5 + CONFIDENCE / 2))  # Student t
    half_width = quantile * stderr
    return Trend(
        points=int(points.size),
        intercept=intercept,
        slope=slope,
        stderr=stderr,
        ci_low=slope - half_width,
        ci_high=slope + half_width,
        centroid_x=centroid_x,
        centroid_y=centroid_y,
    )


def _none(reason: str, limit: float | None = None, side: Any = None) -> Forecast:
    return Forecast(limit, side, None, None, None, reason)


def runs_to_failure(
    trend: Trend,
    *,
    lsl: float | None = None,
    usl: float | None = None,
    sigma: float = 0.0,
    k: float = 0.0,
) -> Forecast:
    """Runs after the last until the fitted mean (+/- ``k * sigma``) reaches a limit.

    The limit is ``usl`` for a rising slope and ``lsl`` for a falling one, moved in by
    ``k * sigma`` (k = 0: the mean itself).
    """
    if lsl is None and usl is None:
        raise SpcError("a forecast needs a limit: give a lower or an upper limit")
    if sigma < 0 or k < 0 or not (math.isfinite(sigma) and math.isfinite(k)):
        raise SpcError("sigma and k must be finite and not negative")
    if not trend.significant:
        return _none(
            f"no forecast: the slope's 95% interval [{trend.ci_low:.6g}, {trend.ci_high:.6g}]"
            " contains 0 (no significant drift)"
        )
    side: Literal["upper", "lower"] = "upper" if trend.slope > 0 else "lower"
    limit = usl if side == "upper" else lsl
    if limit is None:
        return _none(f"no forecast: the data drift toward the {side} side, which has no limit")
    limit = limit - k * sigma if side == "upper" else limit + k * sigma
    last = trend.points - 1

    def after_last(slope: float) -> float:
        crossing = trend.centroid_x + (limit - trend.centroid_y) / slope
        return max(0.0, crossing - last)

    band = sorted((after_last(trend.ci_low), after_last(trend.ci_high)))
    return Forecast(limit, side, after_last(trend.slope), band[0], band[1], None)


def classify(
    beyond_limits: Sequence[int], other_signals: bool, trend: Trend | None
) -> Classification:
    """``out of control`` (a point beyond the limits), ``trending`` (a significant slope or
    another rule's signal) or ``in control``."""
    if beyond_limits:
        return "out of control"
    if other_signals or (trend is not None and trend.significant):
        return "trending"
    return "in control"
