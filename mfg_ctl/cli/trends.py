"""``mfg-ctl trends``: SPC over the run history, one row per measured step, with exports.

A thin shell: one store query (:meth:`~mfg_ctl.store.RunStore.measured_columns`), the
analysis of :mod:`mfg_ctl.analytics.trends`, then a table, ``--json``, the chart details
of ``--step``, and ``--export`` to Markdown or self-contained HTML with a control chart
per step (:mod:`mfg_ctl.report.charts`). Bad input is one line and exit 2; a failing
store, exit 4.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from mfg_ctl.analytics.spc import Forecast, SpcError
from mfg_ctl.analytics.trends import HEADERS, TAIL_K, StepTrend, analyse_steps, cells
from mfg_ctl.cli.analytics import parse_moment
from mfg_ctl.cli.support import EXIT_STORE, db_option, fail, opened_store
from mfg_ctl.report.charts import ExportError, write_export
from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.store.series import MeasuredColumns, SeriesFilter
from mfg_ctl.wording import clip

__all__ = ["render_details", "render_table", "trends"]

_RULE_BOOKS = {"we": "Western Electric", "nelson": "Nelson", "none": "none (limits only)"}


def _since_option(
    _ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    return None if value is None else parse_moment(f"--{param.name}", value)


def _limit_option(
    _ctx: click.Context, _param: click.Parameter, value: float | None
) -> float | None:
    if value is not None and not math.isfinite(value):
        fail(f"--limit must be a finite number, not {value}")
    return value


def _export_option(
    _ctx: click.Context, _param: click.Parameter, value: Path | None
) -> Path | None:
    if value is not None and value.suffix.lower() not in {".md", ".html"}:
        fail(f"--export {clip(str(value))}: give a file ending in .md or .html")
    return value


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(clip(name) for name in names[:20])
    return shown + (", ..." if len(names) > 20 else "") if names else "none"


def _nothing_found(store: RunStore, wanted: SeriesFilter) -> str:
    """The one line saying why no result matched, and what there is instead."""
    plans = store.measured_plans()
    if wanted.plan is not None and wanted.plan not in plans:
        return f"no measured results for plan {clip(wanted.plan)}; plans with results: " + _listed(
            plans
        )
    steps = store.measured_steps(wanted.plan)
    if wanted.step is not None and wanted.step not in steps:
        return f"no measured results for step {clip(wanted.step)}; steps with results: " + _listed(
            steps
        )
    if wanted.register is not None:
        return (
            f"no measured results for register {clip(wanted.register)}; steps with results: "
            + _listed(steps)
        )
    given = [
        f"--{name.replace('_', '-')} {clip(str(value))}"
        for name, value in (
            ("plan", wanted.plan),
            ("step", wanted.step),
            ("station_id", wanted.station_id),
            ("sn", wanted.sn),
            ("since", None if wanted.since is None else wanted.since.isoformat()),
        )
        if value is not None
    ]
    if not given:
        return f"no measured results in the run store {store.where}: record runs first"
    return f"no measured results with {' '.join(given)}"


def _read(db_url: str | None, wanted: SeriesFilter) -> MeasuredColumns:
    with opened_store(db_url) as store:
        try:
            columns = store.measured_columns(wanted)
            if not len(columns):
                fail(_nothing_found(store, wanted))
        except StoreError as error:
            fail(str(error), EXIT_STORE)
    return columns


def render_table(found: Sequence[StepTrend], rule_set: str) -> str:
    """The table: one row per step, grouped by plan, columns aligned."""
    results = sum(len(trend.series.values) for trend in found)
    lines = [
        f"{results} measured results of {len(found)} step{'' if len(found) == 1 else 's'} "
        f"(rules: {_RULE_BOOKS[rule_set]}; slope per run; Cpk against each step's threshold)"
    ]
    rows = [HEADERS, *(cells(trend) for trend in found)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADERS))]
    plan = None
    for index, row in enumerate(rows):
        if index and found[index - 1].series.plan != plan:
            plan = found[index - 1].series.plan
            lines.append(f"plan {plan}:")
        text = "  ".join(
            cell.rjust(width) if column in (1, 2, 3) else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(row, widths, strict=True))
        )
        lines.append("  " + text.rstrip())
    return "\n".join(lines)


def _g(value: float | list[float] | None) -> str:
    """A figure of the details to 7 significant digits (``-`` for none)."""
    if value is None or isinstance(value, list):
        return "-" if not value else f"{min(value):.7g}..{max(value):.7g}"
    return f"{value:.7g}"


def _forecast_line(label: str, forecast: Forecast | None) -> str:
    if forecast is None:
        return f"  {label}: no limit to forecast against"
    if forecast.runs is None or forecast.runs_low is None or forecast.runs_high is None:
        return f"  {label}: {forecast.reason}"
    return (
        f"  {label}: {forecast.side} limit {_g(forecast.limit)} in {forecast.runs:.1f} runs "
        f"(95% band {forecast.runs_low:.1f} to {forecast.runs_high:.1f})"
    )


def render_details(trend: StepTrend) -> str:
    """The chart details of one step: limits, flagged points with rule numbers, forecasts."""
    series, analysis = trend.series, trend.analysis
    lines = [
        f"step {series.step} of plan {series.plan} (register {series.register}): "
        f"{len(series.values)} results"
    ]
    if analysis is None:
        lines.append(f"  {trend.note}")
        if trend.constant:
            lines.append(f"  capability: {trend.capability_note}")
        return "\n".join(lines)
    chart, fit = analysis.chart, analysis.trend
    limits = chart.location.to_dict()
    lines.append(
        f"  I-MR chart: centre {_g(chart.center)}, UCL {_g(limits['ucl'])}, "
        f"LCL {_g(limits['lcl'])}; sigma within {_g(chart.sigma_within)} "
        f"(MR-bar {_g(chart.dispersion_bar)}), sigma overall {_g(chart.sigma_overall)}"
    )
    threshold = f"[{_g(series.low)}, {_g(series.high)}]"
    if analysis.capability is None or trend.cpk is None:
        lines.append(f"  threshold {threshold}: Cpk {trend.capability_note}")
    else:
        found = analysis.capability
        lines.append(
            f"  threshold {threshold}: Cpk {_g(found.cpk)} (Cpu {_g(found.cpu)}, "
            f"Cpl {_g(found.cpl)}), Ppk {_g(found.ppk)}"
        )
    if fit is not None:
        lines.append(
            f"  trend: slope {fit.slope:+.4g} per run, 95% CI [{fit.ci_low:.4g}, {fit.ci_high:.4g}]"
        )
    flagged = trend.flagged()
    lines.append(
        f"  flagged points (0-based, rules {_RULE_BOOKS[analysis.rule_set]}): "
        + ("none" if not flagged else f"{len(flagged)}")
    )
    lines.extend(
        f"    {point['index']}: {_g(point['value'])} in run {point['run_id']}, "
        f"rule{'s' if len(point['rules']) > 1 else ''} {', '.join(map(str, point['rules']))}"
        for point in flagged
    )
    against = "" if trend.limit is None else f" against --limit {_g(trend.limit)}"
    lines.append(_forecast_line(f"runs to failure (mean){against}", trend.forecast))
    lines.append(
        _forecast_line(f"runs to failure (mean +/- {TAIL_K:g} sigma){against}", trend.forecast_tail)
    )
    lines.append(f"  classification: {analysis.classification}")
    return "\n".join(lines)


def _document(found: Sequence[StepTrend], wanted: SeriesFilter, rule_set: str) -> dict[str, Any]:
    detailed = wanted.step is not None
    return {
        "filters": {
            "plan": wanted.plan,
            "step": wanted.step,
            "register": wanted.register,
            "station_id": wanted.station_id,
            "sn": wanted.sn,
            "since": None if wanted.since is None else wanted.since.isoformat(),
            "last": wanted.last,
        },
        "rules": rule_set,
        "results": sum(len(trend.series.values) for trend in found),
        "steps": [trend.to_dict(details=detailed) for trend in found],
    }


@click.command(short_help="SPC trends of every measured step over the run history.")
@click.option("--plan", metavar="P", help="only runs of plan P")
@click.option("--step", metavar="S", help="only step S, with its chart details")
@click.option("--register", metavar="R", help="only steps on register (target) R")
@click.option("--station-id", metavar="S", help="only runs on station S")
@click.option("--sn", metavar="SN", help="only runs of unit SN")
@click.option(
    "--last", type=click.IntRange(min=3), metavar="N", help="only the newest N runs (3 or more)"
)
@click.option(
    "--since", metavar="ISO", callback=_since_option, help="only runs started at or after"
)
@click.option(
    "--limit", type=float, callback=_limit_option, metavar="L",
    help="forecast runs to failure against L instead of each step's threshold",
)
@click.option(
    "--rules", "rule_set", type=click.Choice(["we", "nelson", "none"]), default="we",
    show_default=True, help="run rules: Western Electric 1-4, Nelson 1-8, or none",
)
@click.option("--json", "as_json", is_flag=True, help="print the analysis as JSON")
@click.option(
    "--export", "export_path", type=click.Path(path_type=Path), callback=_export_option,
    metavar="FILE", help="also write FILE.md (charts beside it) or FILE.html (charts inside)",
)
@db_option
def trends(
    *,
    rule_set: str,
    limit: float | None,
    as_json: bool,
    export_path: Path | None,
    db_url: str | None,
    **filters: Any,
) -> None:
    """Mean, sigma, slope, classification, Cpk and runs to failure of each measured step.

    Each step's readings, oldest run first, make an individuals (I-MR) chart; the
    classification is out of control (a point beyond the 3-sigma limits), trending
    (another run rule fires, or the slope's 95% interval excludes 0) or in control.
    Runs to failure extrapolates the drift to the step's threshold (or --limit) with
    a 95% band. doc/spc.rst ("Trends over the run history") explains it all.
    """
    if filters["step"] is not None and filters["register"] is not None:
        fail("give --step or --register, not both")
    wanted = SeriesFilter(**filters)
    columns = _read(db_url, wanted)
    try:
        found = analyse_steps(columns, rule_set, limit)
    except SpcError as error:
        fail(str(error))
    if as_json:
        click.echo(json.dumps(_document(found, wanted, rule_set), indent=2, allow_nan=False))
    else:
        click.echo(render_table(found, rule_set))
        if wanted.step is not None:
            for trend in found:
                click.echo(render_details(trend))
    if export_path is not None:
        title = "Trends" + ("" if wanted.plan is None else f" of {wanted.plan}")
        try:
            images = write_export(export_path, found, title, _RULE_BOOKS[rule_set])
        except ExportError as error:
            fail(str(error))
        drawn = f"{images} chart" + ("" if images == 1 else "s")
        click.echo(f"trends written to {export_path} ({drawn})", err=True)
