"""``/operator``: one unit at a time for a factory operator — scan, answer, read PASS or FAIL.

The page offers the plan chosen (``?plan=NAME``, remembered in the session),
one large serial-number field a barcode scanner types into (its Enter submits
``POST /operator/start``) and the unit under test: its steps with each
measurement against its limits, the operator prompts with one button per
answer, then the unit's result, kept until the next scan. The session remembers
the last run, so a reload shows it live, or its result from the run store.
``operator.js`` follows the run over ``/runs/<id>/events``.

The prompt answers of any run started here arrive at
``POST /runs/<id>/prompts/<prompt_id>`` (form field ``answer``) or its JSON
twin under ``/api`` (``{"answer": ...}``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from mfg_ctl.identity import IdentityError, check_sn
from mfg_ctl.plan import Plan
from mfg_ctl.run.events import UnitIdentity
from mfg_ctl.steps.thresholds import format_number
from mfg_ctl.store import StoreError
from mfg_ctl.web.launcher import BusyError, LaunchError
from mfg_ctl.web.live import Channel
from mfg_ctl.web.plans import find_plan, offered_plans
from mfg_ctl.web.prompts import PromptError
from mfg_ctl.web.state import messages, state
from mfg_ctl.web.views.live import fold_steps

bp = Blueprint("operator", __name__)

#: The session's keys: the plan chosen and the last run started on this page.
_PLAN = "operator_plan"
_RUN = "operator_run"
#: The result shown for each stored run status.
_RESULT = {"passed": "pass", "failed": "fail", "error": "error", "aborted": "error"}


def marker(low: float | None, high: float | None, value: float | None) -> float | None:
    """Where ``value`` sits on a bar whose middle half (25 to 75) is [low, high]; None
    without both limits and a value. Clamped to 1..99 so a far value stays on the bar."""
    if low is None or high is None or value is None:
        return None
    span = (high - low) or 1.0
    return round(min(99.0, max(1.0, 25.0 + (value - low) / span * 50.0)), 2)


def _limits(low: float | None, high: float | None, unit: str) -> str:
    """The limits as the page words them ("" when the step judged no number)."""
    say = messages()
    if low is not None and high is not None:
        return say("operator.band", low=format_number(low), high=format_number(high), unit=unit)
    if low is not None:
        return say("operator.at_least", low=format_number(low), unit=unit)
    if high is not None:
        return say("operator.at_most", high=format_number(high), unit=unit)
    return ""


def step_row(step: dict[str, Any]) -> dict[str, Any]:
    """One ``.op-step`` row from a step's live data or stored fields."""
    measured, low, high = step.get("measured"), step.get("low"), step.get("high")
    unit = str(step.get("unit") or "")
    return {
        "number": step.get("number", 0),
        "name": step.get("name", ""),
        "verdict": step.get("verdict", "running"),
        "detail": step.get("detail", ""),
        "value": f"{format_number(measured)} {unit}".strip() if measured is not None else "",
        "limits": _limits(low, high, unit),
        "marker": marker(low, high, measured),
    }


def _chosen_plan(names: list[str]) -> str:
    """The plan this page starts: ``?plan=`` (remembered), the session's, else the first."""
    asked = request.args.get("plan")
    if asked is not None:
        if asked not in names:
            abort(404, description=messages()("start.no_plan", plan=asked[:80]))
        session[_PLAN] = asked
        return asked
    remembered = session.get(_PLAN)
    if isinstance(remembered, str) and remembered in names:
        return remembered
    return names[0] if names else ""


def _live_view(run_id: str, channel: Channel) -> dict[str, Any]:
    shown = channel.snapshot()
    folded = fold_steps(shown)
    pending = [prompt.data() for prompt in state().launcher.prompts.pending(run_id)]
    return {
        "run_id": run_id,
        "sn": folded["run"].get("sn", ""),
        "plan": folded["run"].get("plan", ""),
        "steps": [step_row(step) for step in folded["steps"]],
        "errors": folded["errors"],
        "prompt": pending[0] if pending else None,
        "last_id": shown[-1].id if shown else 0,
        "closed": False,
        "result": None,
    }


def _stored_view(run_id: str) -> dict[str, Any] | None:
    """The last run as stored, with its result; None when the store does not have it."""
    try:
        run = state().store.get(run_id)
    except StoreError:
        return None
    if run.status == "running":
        return None
    verdict = _RESULT.get(run.status, "error")
    if run.status == "aborted" and run.failed:
        verdict = "fail"
    steps = [step_row(asdict(step)) for step in run.steps]
    return {
        "run_id": run_id,
        "sn": run.sn,
        "plan": run.plan_name,
        "steps": steps,
        "errors": [],
        "prompt": None,
        "last_id": 0,
        "closed": True,
        "result": {"verdict": verdict, "first_failure": run.first_failure or ""},
    }


def _unit_view() -> dict[str, Any] | None:
    """The last unit started here: live from its channel, else its stored result."""
    run_id = session.get(_RUN)
    if not isinstance(run_id, str):
        return None
    channel = state().channels.get(run_id)
    if channel is not None and not channel.closed:
        return _live_view(run_id, channel)
    return _stored_view(run_id)


def _page(error: str = "", status: int = 200) -> tuple[str, int]:
    names = [offered.name for offered in offered_plans(state().settings.plans_dir) if offered.plan]
    plan = _chosen_plan(names)
    page = render_template("operator.html", plans=names, plan=plan, unit=_unit_view(), error=error)
    return page, status


@bp.get("/operator")
def operator_page() -> tuple[str, int]:
    """The operator's screen."""
    return _page()


class _ScanError(Exception):
    """A scan the page refuses: the line it shows, and the HTTP status."""

    def __init__(self, text: str, status: int) -> None:
        super().__init__(text)
        self.status = status


def _scanned() -> tuple[str, Plan, str]:
    """The plan's name, the plan and the serial number of a scan (_ScanError when unusable)."""
    say = messages()
    name = str(request.form.get("plan") or "")
    offered = find_plan(state().settings.plans_dir, name)
    if offered is None or offered.plan is None:
        raise _ScanError(say("start.no_plan", plan=name[:80]), 404)
    sn = str(request.form.get("sn") or "").strip()
    if not sn:
        raise _ScanError(say("operator.no_sn"), 400)
    try:
        check_sn(sn)
    except IdentityError as error:
        raise _ScanError(str(error), 400) from None
    current = session.get(_RUN)
    channel = state().channels.get(current) if isinstance(current, str) else None
    if channel is not None and not channel.closed:
        raise _ScanError(say("operator.still_testing"), 409)
    return name, offered.plan, sn


@bp.post("/operator/start")
def start() -> Response | tuple[str, int]:
    """Start the chosen plan for the scanned serial number; show it on the operator page."""
    try:
        name, plan, sn = _scanned()
        run_id = state().launcher.start_run(plan, UnitIdentity(sn=sn))
    except _ScanError as refused:
        return _page(str(refused), refused.status)
    except BusyError as busy:
        return _page(str(busy), 409)
    except LaunchError as error:
        return _page(str(error), 400)
    session[_PLAN] = name
    session[_RUN] = run_id
    return redirect(url_for("operator.operator_page"), code=303)  # type: ignore[return-value]


def _answer(run_id: str, prompt_id: str, answer: str) -> None:
    """Answer a run's pending prompt; 404 when none waits, 400 for an answer not offered."""
    say = messages()
    channel = state().channels.get(run_id)
    if channel is None or channel.closed:
        abort(404, description=say("operator.no_prompt"))
    try:
        state().launcher.prompts.answer(run_id, prompt_id, answer, channel)
    except PromptError as error:
        if error.status == 400:
            abort(400, description=say("operator.bad_answer", answers=", ".join(error.offered)))
        abort(404, description=say("operator.no_prompt"))


@bp.post("/runs/<run_id>/prompts/<prompt_id>")
def answer_form(run_id: str, prompt_id: str) -> Response:
    """Answer a prompt from a page's form; back to the operator page or the live page."""
    _answer(run_id, prompt_id, str(request.form.get("answer") or ""))
    if request.form.get("back") == "operator":
        return redirect(url_for("operator.operator_page"), code=303)  # type: ignore[return-value]
    return redirect(url_for("live.live_page", run_id=run_id), code=303)  # type: ignore[return-value]


@bp.post("/api/runs/<run_id>/prompts/<prompt_id>")
def answer_api(run_id: str, prompt_id: str) -> Response:
    """Answer a prompt from a JSON body ``{"answer": ...}``."""
    body = request.get_json(silent=True)
    answer = body.get("answer") if isinstance(body, dict) else None
    if not isinstance(answer, str):
        abort(400, description=messages()("operator.answer_json"))
    _answer(run_id, prompt_id, answer)
    return jsonify({"run_id": run_id, "prompt_id": prompt_id, "answer": answer})


@bp.get("/api/runs/<run_id>/prompts")
def pending_api(run_id: str) -> Response:
    """The prompts of a run waiting for an answer."""
    pending = state().launcher.prompts.pending(run_id)
    return jsonify({"run_id": run_id, "prompts": [prompt.data() for prompt in pending]})
