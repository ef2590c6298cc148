"""A unit's history: ``/units/<sn>``, every finished run of one serial number across stages and
batches, oldest first, as ``mfg-ctl history SN`` lists it (and as JSON, as its ``--json``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify

from mfg_ctl.analytics.records import StepRecord, UnitRun
from mfg_ctl.analytics.yields import history, run_to_dict
from mfg_ctl.identity import MAX_SN
from mfg_ctl.store import StoreError
from mfg_ctl.web.state import messages, state
from mfg_ctl.web.views.history import render_page

__all__ = ["bp"]

bp = Blueprint("units", __name__)


def _unit_runs(sn: str) -> list[UnitRun]:
    """The finished runs of ``sn``, oldest first; 404 when it has none."""
    if len(sn) > MAX_SN:
        abort(400, description=messages()("start.too_long", field="sn", most=MAX_SN))
    try:
        runs = history(state().store.unit_runs(sn=sn), sn)
    except StoreError as error:
        abort(503, description=str(error))
    if not runs:
        abort(404, description=messages()("history.unit_none", sn=sn))
    return runs


def _worth_a_look(run: UnitRun) -> list[StepRecord]:
    """The steps of a run that did not simply pass at the first attempt."""
    return [
        step for step in run.steps if step.status != "pass" or step.attempts > 1 or step.error_codes
    ]


@bp.get("/units/<path:sn>")
def unit_page(sn: str) -> str:
    """The unit's runs, oldest first, each with the steps that did not simply pass."""
    runs = _unit_runs(sn)
    noted: dict[str, Any] = {run.run_id: _worth_a_look(run) for run in runs}
    return render_page("unit.html", sn=sn, runs=runs, noted=noted)


@bp.get("/api/units/<path:sn>")
def unit_json(sn: str) -> Response:
    """The unit's runs and their steps as JSON, as ``mfg-ctl history SN --json`` prints them."""
    return jsonify({"sn": sn, "runs": [run_to_dict(run) for run in _unit_runs(sn)]})
