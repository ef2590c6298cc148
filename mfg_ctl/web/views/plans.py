"""``/``: the plans offered, and starting a run of one from its form (or ``POST /api/runs``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from mfg_ctl.batch.units import BatchError, parse_sns
from mfg_ctl.connect import DUT_PROFILES
from mfg_ctl.run.events import UnitIdentity
from mfg_ctl.web.launcher import BusyError, LaunchError
from mfg_ctl.web.plans import OfferedPlan, find_plan, offered_plans
from mfg_ctl.web.state import messages, state

bp = Blueprint("plans", __name__)

#: The longest identity field a form may send (the store's columns hold 64).
_FIELD_MAX = 64
#: The most units a batch started here tests at once (simulated slots each serve devices).
MAX_PARALLEL = 16


@bp.get("/")
def index() -> str:
    """The plans of the plans folder, each with its start form."""
    folder = state().settings.plans_dir
    return render_template(
        "plans.html", plans=offered_plans(folder), folder=folder, dut_profiles=DUT_PROFILES
    )


@bp.get("/api/plans")
def api_plans() -> Response:
    """The plans as JSON: name, description, steps, requirements, or the error of a broken one."""
    return jsonify([_plan_json(offered) for offered in offered_plans(state().settings.plans_dir)])


def _plan_json(offered: OfferedPlan) -> dict[str, Any]:
    plan = offered.plan
    if plan is None:
        return {"name": offered.name, "error": offered.error}
    return {
        "name": offered.name,
        "plan": plan.name,
        "description": plan.description,
        "version": plan.version,
        "steps": [{"number": s.number, "name": s.name} for s in plan.steps],
        "requirements": list(offered.requirements),
    }


def _field(values: Any, name: str) -> str:
    """One identity field of a form or JSON body, trimmed; 400 when too long."""
    value = str(values.get(name) or "").strip()
    if len(value) > _FIELD_MAX:
        abort(400, description=messages()("start.too_long", field=name, most=_FIELD_MAX))
    return value


def _serials(values: Any) -> tuple[str, ...]:
    """The serial numbers asked for: ``sn`` or ``sns`` (one per line or comma-separated)."""
    text = str(values.get("sns") or values.get("sn") or "")
    joined = ",".join(part.strip() for part in text.replace("\n", ",").split(",") if part.strip())
    if not joined:
        return ()
    try:
        return parse_sns(joined)
    except BatchError as error:
        abort(400, description=str(error).replace("--sns", messages()("field.sns")))


def _whole(values: Any, name: str, default: int, most: int) -> int:
    raw = str(values.get(name) or default)
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        abort(400, description=messages()("start.whole", field=name, most=most))
    return int(raw)


def _start(values: Any) -> str:
    """Start the run (one serial number or none) or the batch (several) a form or JSON body
    asks for; return its live channel's id."""
    name = str(values.get("plan") or "")
    offered = find_plan(state().settings.plans_dir, name)
    if offered is None:
        abort(404, description=messages()("start.no_plan", plan=name[:80]))
    if offered.plan is None:
        abort(400, description=offered.error)
    sns = _serials(values)
    identity = UnitIdentity(
        sn=sns[0] if len(sns) == 1 else "",
        batch_id=_field(values, "batch_id"),
        station_id="",
        stage=_field(values, "stage"),
        operator=_field(values, "operator"),
    )
    launcher = state().launcher
    try:
        if len(sns) > 1:
            profile = str(values.get("dut_profile") or "clean")
            if profile not in DUT_PROFILES:
                abort(
                    400, description=messages()("start.profile", profiles=", ".join(DUT_PROFILES))
                )
            parallel = _whole(values, "parallel", 1, MAX_PARALLEL)
            return launcher.start_batch(
                offered.plan, identity, sns, parallel=parallel, dut_profile=profile
            )
        return launcher.start_run(offered.plan, identity)
    except BusyError as busy:
        abort(409, description=str(busy))
    except LaunchError as error:
        abort(400, description=str(error))


@bp.post("/runs")
def start_form() -> Response:
    """Start a run from the plans page's form and show it live."""
    run_id = _start(request.form)
    return redirect(url_for("live.live_page", run_id=run_id), code=303)  # type: ignore[return-value]


@bp.post("/api/runs")
def start_api() -> tuple[Response, int]:
    """Start a run from a JSON body; answer its id and where to watch it."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description=messages()("start.json"))
    run_id = _start(body)
    return jsonify(
        {
            "run_id": run_id,
            "live": url_for("live.live_page", run_id=run_id),
            "events": url_for("live.events", run_id=run_id),
        }
    ), 201
