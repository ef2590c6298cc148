"""The dashboards: ``/yield``, ``/trends`` and ``/tempco/<run>``, each with its JSON twin.

Thin over the library, as the commands are: the yield figures of ``mfg-ctl analytics``,
the trends of ``mfg-ctl trends`` and the TempCo figure of ``mfg-ctl report``, with the
report's charts as ``data:`` images. The pages are rendered whole on the server (no
script); what each one computes lives in its ``*_view`` module.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template, request

from mfg_ctl.web.views.tempco_view import tempco_json, tempco_run, tempco_view
from mfg_ctl.web.views.trends_view import trends_json, trends_query, trends_view
from mfg_ctl.web.views.yield_view import (
    TEXT_FILTERS,
    heat_rows,
    percent,
    yield_filters,
    yield_json,
    yield_view,
)

bp = Blueprint("dashboards", __name__)


@bp.get("/yield")
def yield_page() -> str:
    """FPY, final yield, flaky rate and RTY of the filtered runs, with Paretos and strata."""
    filters = yield_filters(request.args)
    return render_template(
        "yield.html",
        view=yield_view(filters),
        text_filters=TEXT_FILTERS,
        percent=percent,
        heat_rows=heat_rows,
    )


@bp.get("/api/yield")
def yield_api() -> Response:
    """The figures as ``mfg-ctl analytics --json`` prints them, with the filters and heatmaps."""
    return jsonify(yield_json(yield_filters(request.args)))


@bp.get("/trends")
def trends_page() -> str:
    """The control chart and SPC figures of each measured step of a plan (or of one step)."""
    return render_template("trends.html", view=trends_view(trends_query(request.args)))


@bp.get("/api/trends")
def trends_api() -> Response:
    """Each step's row as ``mfg-ctl trends --json`` has it."""
    return jsonify(trends_json(trends_query(request.args)))


@bp.get("/tempco/<run_id>")
def tempco_page(run_id: str) -> str:
    """A stored TempCo run: its curve, the temperatures over time, its points and figure."""
    return render_template("tempco.html", view=tempco_view(tempco_run(run_id)))


@bp.get("/api/tempco/<run_id>")
def tempco_api(run_id: str) -> Response:
    """The TempCo figure, its limit, the points and the raw readings of a stored run."""
    return jsonify(tempco_json(tempco_run(run_id)))
