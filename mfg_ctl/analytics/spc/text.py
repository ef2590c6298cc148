"""The plain-text summary ``mfg-ctl spc`` prints: a few lines a quality engineer reads at a
glance, with numbers to seven significant digits (``--json`` has them all)."""

from __future__ import annotations

from collections.abc import Sequence

from mfg_ctl.analytics.spc.analysis import SpcAnalysis
from mfg_ctl.analytics.spc.capability import INDICES
from mfg_ctl.analytics.spc.trend import Forecast

__all__ = ["render_text"]

_TITLES = {"imr": "I-MR", "xbar-r": "X-bar/R", "xbar-s": "X-bar/S"}
_RULE_BOOKS = {"we": "Western Electric", "nelson": "Nelson", "none": "none"}
_DISPERSION = {"mr_bar": "MR", "r_bar": "R", "s_bar": "S"}


def _g(value: float) -> str:
    return f"{value:.7g}"


def _limit(values: float | list[float]) -> str:
    if isinstance(values, list):
        return f"{_g(min(values))}..{_g(max(values))} (per subgroup)"
    return _g(values)


def _indices(indices: Sequence[int]) -> str:
    return ", ".join(map(str, indices)) if indices else "none"


def _forecast(label: str, forecast: Forecast | None) -> str:
    if forecast is None:
        return f"{label}: no specification limit"
    if forecast.runs is None or forecast.runs_low is None or forecast.runs_high is None:
        return f"{label}: {forecast.reason}"
    return (
        f"{label}: {forecast.side} limit {_g(forecast.limit or 0.0)} in {forecast.runs:.1f} "
        f"runs (95% band {forecast.runs_low:.1f} to {forecast.runs_high:.1f})"
    )


def render_text(analysis: SpcAnalysis, column: str) -> str:
    """The summary of ``analysis`` of ``column``, one fact per line."""
    chart = analysis.chart
    document = chart.to_dict()
    unit = "points" if chart.kind == "imr" else "subgroups"
    name = chart.dispersion_name
    lines = [
        f"{_TITLES[chart.kind]} chart of {column}: {len(chart.points)} {unit}",
        f"  centre {_g(chart.center)}, UCL {_limit(document['ucl'])}, "
        f"LCL {_limit(document['lcl'])}",
        f"  sigma within {_g(chart.sigma_within)} ({_DISPERSION[name]}-bar "
        f"{_g(chart.dispersion_bar)}), sigma overall {_g(chart.sigma_overall)}",
        f"  {_DISPERSION[name]} chart: centre {_limit(document['dispersion']['center'])}, "
        f"UCL {_limit(document['dispersion']['ucl'])}, "
        f"LCL {_limit(document['dispersion']['lcl'])}; beyond: "
        f"{_indices(chart.dispersion_beyond_limits)}",
        f"beyond the limits (0-based): {_indices(chart.beyond_limits)}",
    ]
    if analysis.rule_set == "none":
        lines.append("rules: none asked for (only the limits are checked)")
    else:
        fired = [f"{key} at {_indices(found)}" for key, found in analysis.signals.items() if found]
        said = "; ".join(fired) if fired else "none fired"
        lines.append(f"rules ({_RULE_BOOKS[analysis.rule_set]}): {said}")
    if analysis.trend is not None:
        trend = analysis.trend
        lines.append(
            f"trend: slope {trend.slope:+.7g} per point, 95% CI [{_g(trend.ci_low)}, "
            f"{_g(trend.ci_high)}]"
        )
    if analysis.capability is not None:
        found = analysis.capability
        for label, indices in (("sigma within", INDICES[:5]), ("sigma overall", INDICES[5:])):
            shown = [
                f"{index.capitalize()} {_g(value)}"
                for index in indices
                if (value := getattr(found, index)) is not None
            ]
            lines.append(f"capability ({label}): {', '.join(shown) if shown else 'undefined'}")
        by_reason: dict[str, list[str]] = {}
        for index in INDICES:
            if index in found.undefined:
                by_reason.setdefault(found.undefined[index], []).append(index.capitalize())
        lines.extend(
            f"  undefined: {', '.join(names)} ({reason})" for reason, names in by_reason.items()
        )
        if analysis.forecast is not None and analysis.forecast.runs is None:
            lines.append(_forecast("runs to failure", analysis.forecast))
        else:
            lines.append(_forecast("runs to failure (mean)", analysis.forecast))
            lines.append(
                _forecast(
                    f"runs to failure (mean +/- {_g(analysis.k)} sigma)", analysis.forecast_tail
                )
            )
    lines.append(f"classification: {analysis.classification}")
    return "\n".join(lines)
