"""What ``/yield`` shows: the runs its filters pick, and their figures as ``mfg-ctl analytics``
computes them (:func:`~mfg_ctl.analytics.yields.yield_report`), with charts and heatmaps.

The store selects by batch and time window (as the command does); plan, station and
stage are then matched on each run, since a unit's runs carry them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import abort

from mfg_ctl.analytics.figures import DIMENSIONS, YieldReport, utc
from mfg_ctl.analytics.heatmap import HEATMAP_COLUMNS, Heatmap, failure_heatmap
from mfg_ctl.analytics.records import UnitRun
from mfg_ctl.analytics.yields import yield_report
from mfg_ctl.store import StoreError
from mfg_ctl.web.charts import chart_words, heat_class, pareto_uri
from mfg_ctl.web.state import messages, state
from mfg_ctl.wording import clip

__all__ = [
    "TEXT_FILTERS",
    "YieldFilters",
    "heat_rows",
    "percent",
    "selected_runs",
    "yield_filters",
    "yield_json",
    "yield_view",
]

#: The text filters of the page, in the order of its form.
TEXT_FILTERS = ("plan", "batch_id", "station_id", "stage")
#: The longest text a filter takes (the store's identity columns hold 64).
_FILTER_MAX = 64


@dataclass(frozen=True)
class YieldFilters:
    """Which finished runs the figures count; None matches any."""

    plan: str | None = None
    batch_id: str | None = None
    station_id: str | None = None
    stage: str | None = None
    since: datetime | None = None  # inclusive, UTC
    until: datetime | None = None  # exclusive, UTC

    @property
    def given(self) -> bool:
        """Some filter was given."""
        return any(value is not None for value in self.to_dict().values())

    def keeps(self, run: UnitRun) -> bool:
        """``run`` is of the plan, station and stage asked for (the store picked the rest)."""
        pairs = ((self.plan, run.plan_name), (self.station_id, run.station_id))
        return all(
            wanted is None or wanted == have for wanted, have in (*pairs, (self.stage, run.stage))
        )

    def to_dict(self) -> dict[str, str | None]:
        """The filters as JSON values (times in ISO 8601)."""
        moments = {
            "since": None if self.since is None else self.since.isoformat(),
            "until": None if self.until is None else self.until.isoformat(),
        }
        return {name: getattr(self, name) for name in TEXT_FILTERS} | moments


def _text(args: Mapping[str, str], name: str) -> str | None:
    value = str(args.get(name) or "").strip()
    if len(value) > _FILTER_MAX:
        abort(400, description=messages()("start.too_long", field=name, most=_FILTER_MAX))
    return value or None


def _moment(args: Mapping[str, str], name: str) -> datetime | None:
    """An ISO 8601 date or date-time as UTC (naive counts as UTC); 400 for anything else."""
    raw = str(args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return utc(datetime.fromisoformat(raw))
    except ValueError:
        abort(400, description=messages()("dash.bad_moment", field=name, value=clip(raw)))


def yield_filters(args: Mapping[str, str]) -> YieldFilters:
    """The filters of a query string; 400 (one line) for a bad time or an empty window."""
    found = YieldFilters(
        **{name: _text(args, name) for name in TEXT_FILTERS},
        since=_moment(args, "since"),
        until=_moment(args, "until"),
    )
    if found.since is not None and found.until is not None and found.since >= found.until:
        abort(400, description=messages()("dash.empty_window"))
    return found


def selected_runs(filters: YieldFilters) -> list[UnitRun]:
    """The finished runs of named units that ``filters`` pick, oldest first."""
    try:
        runs = state().store.unit_runs(
            batch_id=filters.batch_id, since=filters.since, until=filters.until
        )
    except StoreError as error:
        abort(503, description=str(error))
    return [run for run in runs if filters.keeps(run)]


def percent(value: float | None) -> str:
    """A fraction as a percentage with one decimal, in the page's language ("-" for none)."""
    if value is None:
        return "-"
    text = messages()
    return text("dash.percent", value=f"{100 * value:.1f}".replace(".", text("dash.decimal")))


def heat_rows(heatmap: Heatmap) -> list[tuple[str, list[tuple[int, str]]]]:
    """Each row of a heatmap: its step, and each cell's count with its CSS class."""
    most = heatmap.most
    return [
        (row, [(count, heat_class(count, most)) for count in counts])
        for row, counts in zip(heatmap.rows, heatmap.counts, strict=True)
    ]


def _kpis(report: YieldReport) -> list[dict[str, Any]]:
    """The tiles: each figure's element id, label key, value (raw, for scripts) and text."""
    return [
        {"id": f"kpi-{name}", "label": f"dash.kpi.{name}", "value": value, "text": percent(value)}
        for name, value in (
            ("fpy", report.fpy),
            ("final-yield", report.final_yield),
            ("flaky", report.flaky_rate),
            ("rty", report.rty),
        )
    ]


def yield_json(filters: YieldFilters) -> dict[str, Any]:
    """The filters, the figures as ``mfg-ctl analytics --json`` prints them, and the heatmaps."""
    runs = selected_runs(filters)
    heatmaps = {name: failure_heatmap(runs, name).to_dict() for name in HEATMAP_COLUMNS}
    return {"filters": filters.to_dict(), **yield_report(runs).to_dict(), "heatmaps": heatmaps}


def yield_view(filters: YieldFilters) -> dict[str, Any]:
    """Everything the yield page renders: tiles, Pareto charts, heatmaps and strata."""
    runs = selected_runs(filters)
    report = yield_report(runs)
    pareto = report.to_dict()["pareto"]
    text = messages()
    words = chart_words(text)
    return {
        "filters": filters,
        "report": report,
        "kpis": _kpis(report),
        "pareto_steps": pareto_uri(pareto["steps"], text("dash.pareto.steps"), words),
        "pareto_codes": pareto_uri(pareto["error_codes"], text("dash.pareto.codes"), words),
        "heatmaps": {name: failure_heatmap(runs, name) for name in HEATMAP_COLUMNS},
        "dimensions": DIMENSIONS,
    }
