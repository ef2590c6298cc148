"""What ``/trends`` shows: the SPC trend of each measured step of a plan, as ``mfg-ctl trends``
analyses it (:func:`~mfg_ctl.analytics.trends.analyse_steps`), a page of charts at a time.

A plan (the first measured one unless asked) and optionally one step are chosen from
what the store has measured; an unknown one is a 404 naming what there is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import abort

from mfg_ctl.analytics.trends import StepTrend, analyse_steps, cells
from mfg_ctl.store import StoreError
from mfg_ctl.store.series import SeriesFilter
from mfg_ctl.web.charts import chart_words, control_chart_uri
from mfg_ctl.web.state import messages, state
from mfg_ctl.wording import clip

__all__ = ["PAGE_SIZE", "RULES", "TrendsQuery", "trends_json", "trends_query", "trends_view"]

#: Steps charted on one page (each chart is an image of some tens of kB).
PAGE_SIZE = 12
#: The run rules of the analysis: Western Electric, as ``mfg-ctl trends`` by default.
RULES = "we"
#: The words of the library's cells that the page shows in its own language.
_WORDS = {
    "in control": "dash.word.in_control",
    "trending": "dash.word.trending",
    "out of control": "dash.word.out_of_control",
    "undefined": "dash.word.undefined",
    "no drift": "dash.word.no_drift",
    "no limit": "dash.word.no_limit",
    "no limit that side": "dash.word.no_limit_side",
}


def _listed(names: Sequence[str]) -> str:
    shown = ", ".join(clip(name) for name in names[:20])
    return (shown + (", ..." if len(names) > 20 else "")) or "-"


@dataclass(frozen=True)
class TrendsQuery:
    """The plan and step asked for (checked against the store's), their choices, the page."""

    plans: list[str]
    plan: str | None
    steps: list[str]
    step: str | None
    page: int


def _page(args: Mapping[str, str]) -> int:
    raw = str(args.get("page") or "1")
    if not raw.isdigit() or int(raw) < 1:
        abort(400, description=messages()("dash.bad_page"))
    return int(raw)


def trends_query(args: Mapping[str, str]) -> TrendsQuery:
    """The query asked: 404 for a plan or step with no measured result, 400 for a bad page."""
    text = messages()
    store = state().store
    try:
        plans = store.measured_plans()
        plan = str(args.get("plan") or "") or (plans[0] if plans else None)
        if plan is not None and plan not in plans:
            abort(404, description=text("dash.no_plan", plan=clip(plan), plans=_listed(plans)))
        steps = store.measured_steps(plan) if plan is not None else []
    except StoreError as error:
        abort(503, description=str(error))
    step = str(args.get("step") or "") or None
    if step is not None and step not in steps:
        abort(404, description=text("dash.no_step", step=clip(step), steps=_listed(steps)))
    return TrendsQuery(plans, plan, steps, step, _page(args))


def _trends(query: TrendsQuery) -> list[StepTrend]:
    if query.plan is None:
        return []
    try:
        columns = state().store.measured_columns(SeriesFilter(plan=query.plan, step=query.step))
    except StoreError as error:
        abort(503, description=str(error))
    return analyse_steps(columns, RULES)


def _translated(cell: str) -> str:
    key = _WORDS.get(cell)
    return cell if key is None else messages()(key)


def trends_view(query: TrendsQuery) -> dict[str, Any]:
    """The page: the steps of this page with their cells and chart, and the page count."""
    found = _trends(query)
    pages = max(1, math.ceil(len(found) / PAGE_SIZE))
    if query.page > pages:
        abort(404, description=messages()("dash.no_such_page", page=query.page, pages=pages))
    shown = found[(query.page - 1) * PAGE_SIZE : query.page * PAGE_SIZE]
    words = chart_words(messages())
    return {
        "query": query,
        "pages": pages,
        "results": sum(len(trend.series.values) for trend in found),
        "rows": [
            {
                "step": trend.series.step,
                "cells": [_translated(cell) for cell in cells(trend)[1:]],
                "chart": control_chart_uri(trend, words),
                "note": trend.note,
            }
            for trend in shown
        ],
    }


def trends_json(query: TrendsQuery) -> dict[str, Any]:
    """Each step's row as ``mfg-ctl trends --json`` has it (chart details for one step)."""
    found = _trends(query)
    return {
        "filters": {"plan": query.plan, "step": query.step},
        "rules": RULES,
        "results": sum(len(trend.series.values) for trend in found),
        "steps": [trend.to_dict(details=query.step is not None) for trend in found],
    }
