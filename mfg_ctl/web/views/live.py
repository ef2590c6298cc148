"""A run as it happens: ``/runs/<id>/live``, its event stream, and its stop button.

The page is rendered with every step known so far (it works without
scripts: reload it to see more) and the id of the last message it shows;
``live.js`` then opens ``/runs/<id>/events?after=ID`` and adds each step as
it arrives. The stream honours ``Last-Event-ID`` too, so a reconnecting
browser gets each message once.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from mfg_ctl.web.live import Channel, Message
from mfg_ctl.web.state import messages, state
from mfg_ctl.web.streams import sse_stream

bp = Blueprint("live", __name__)


def _channel(run_id: str) -> Channel:
    channel = state().channels.get(run_id)
    if channel is None:
        abort(404, description=messages()("live.not_live", run=run_id[:12]))
    return channel


def fold_steps(shown: list[Message]) -> dict[str, Any]:
    """What a live page shows from a channel's messages: the run, its steps by number, the end."""
    run: dict[str, Any] = {}
    steps: dict[int, dict[str, Any]] = {}
    ended: dict[str, Any] = {}
    errors: list[str] = []
    for message in shown:
        data = message.data
        if message.kind == "run_started":
            run = data
        elif message.kind == "step_started":
            steps[data["number"]] = {**data, "verdict": "running", "detail": ""}
        elif message.kind == "step_progress":
            steps.setdefault(data["number"], {"number": data["number"], "name": ""})
            steps[data["number"]]["detail"] = data["detail"]
        elif message.kind == "step_finished":
            steps[data["number"]] = data
        elif message.kind == "run_finished":
            ended = data
        elif message.kind == "run_error":
            errors.append(data["error"])
    ordered = [steps[number] for number in sorted(steps)]
    return {"run": run, "steps": ordered, "ended": ended, "errors": errors}


def fold_batch(shown: list[Message]) -> dict[str, Any]:
    """What a live batch page shows: the batch, its units as they finish, its end."""
    batch: dict[str, Any] = {}
    units: list[dict[str, Any]] = []
    ended: dict[str, Any] = {}
    errors: list[str] = []
    for message in shown:
        if message.kind == "batch_started":
            batch = message.data
        elif message.kind == "unit_finished":
            units.append(message.data)
        elif message.kind == "batch_finished":
            ended = message.data
        elif message.kind == "run_error":
            errors.append(message.data["error"])
    return {"batch": batch, "units": units, "ended": ended, "errors": errors}


@bp.get("/runs/<run_id>/live")
def live_page(run_id: str) -> Response | str:
    """The live run page; a run no longer live here is shown from the store."""
    channel = state().channels.get(run_id)
    if channel is None:  # ended before this server started, or long ago: the stored run
        return redirect(f"/runs/{quote(run_id, safe='')}")  # type: ignore[return-value]
    shown = channel.snapshot()
    if channel.kind == "batch":
        return render_template(
            "batch_live.html",
            channel_id=run_id,
            view=fold_batch(shown),
            last_id=shown[-1].id if shown else 0,
            closed=channel.closed,
        )
    return render_template(
        "live.html",
        run_id=run_id,
        prompts=state().launcher.prompts.pending(run_id),
        view=fold_steps(shown),
        last_id=shown[-1].id if shown else 0,
        closed=channel.closed,
    )


@bp.get("/api/runs/<run_id>/live")
def live_json(run_id: str) -> Response:
    """The live state of a run as JSON (what the page shows)."""
    channel = _channel(run_id)
    shown = channel.snapshot()
    folded = fold_batch(shown) if channel.kind == "batch" else fold_steps(shown)
    return jsonify({**folded, "last_id": shown[-1].id if shown else 0, "closed": channel.closed})


def _never() -> bool:
    return False


def _last_seen() -> int:
    """The id of the last message the browser has: ``Last-Event-ID``, else ``?after=``."""
    for raw in (request.headers.get("Last-Event-ID"), request.args.get("after")):
        if raw is not None:
            try:
                return max(0, int(raw))
            except ValueError:
                abort(400, description=messages()("live.bad_id"))
    return 0


@bp.get("/runs/<run_id>/events")
def events(run_id: str) -> Response:
    """The run's messages as Server-Sent Events, from the one after the last seen."""
    channel = _channel(run_id)
    last_id = _last_seen()
    held = state()
    client = request.remote_addr or "?"
    if not held.streams.acquire(client):
        abort(429, description=messages()("error.too_many"))

    gone = request.environ.get("waitress.client_disconnected") or _never

    def stream() -> Any:
        try:
            yield from sse_stream(channel, last_id, held.settings.stream_seconds, gone)
        finally:
            held.streams.release(client)

    response = Response(stream_with_context(stream()), mimetype="text/event-stream")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Accel-Buffering"] = "no"
    return response


@bp.post("/runs/<run_id>/stop")
def stop(run_id: str) -> Response | tuple[Response, int]:
    """Stop a live run after its current step; its teardown runs."""
    stopped = state().launcher.stop(run_id)
    if request.path.startswith("/api/") or request.is_json:
        return jsonify({"run_id": run_id, "stopping": stopped}), 202 if stopped else 409
    if not stopped:
        abort(409, description=messages()("live.not_running"))
    return redirect(url_for("live.live_page", run_id=run_id), code=303)  # type: ignore[return-value]
