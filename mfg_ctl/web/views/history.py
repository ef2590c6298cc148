"""The run history: ``/runs`` a page at a time, one stored run at ``/runs/<id>``, and its report
files at ``/runs/<id>/download/<fmt>``, each also as JSON under ``/api``.

Filters arrive as query parameters and are checked here (a bad one is a 400
with one line); the store answers with indexed queries
(:mod:`mfg_ctl.store.history`). A download is made from the store exactly as
``mfg-ctl report RUN_ID`` makes its files, through the same report model; no
part of the request names a file on the server.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, NoReturn
from urllib.parse import quote

from flask import Blueprint, Response, abort, jsonify, redirect, render_template, request, url_for

from mfg_ctl.analytics.figures import utc
from mfg_ctl.report import RunReport, render_json, render_markdown
from mfg_ctl.report.document import ReportError, number_text
from mfg_ctl.report.junit import render_junit
from mfg_ctl.store import STATUSES, AmbiguousRunId, RunNotFound, StoredRun, StoreError
from mfg_ctl.store.history import TEXT_FILTERS, RunFilter, RunPage, stored_dict
from mfg_ctl.web.state import messages, state

__all__ = ["bp", "duration_text", "moment_text", "render_page", "stored_or_abort"]

bp = Blueprint("history", __name__)

#: Runs on one page of the history.
PER_PAGE = 50
#: The deepest page asked for (50 million runs): beyond it a number is a typo.
MAX_PAGE = 1_000_000
#: The longest text filter: the store's widest filtered column holds 255 characters.
_FILTER_MAX = 255
#: Query parameters the history keeps from one page to the next.
KEPT = (*TEXT_FILTERS, "since", "until")


def moment_text(moment: datetime | None) -> str:
    """A stored time for people: ``2026-11-30 09:15:02`` (UTC), or nothing."""
    return "" if moment is None else utc(moment).strftime("%Y-%m-%d %H:%M:%S")


def duration_text(seconds: float | None) -> str:
    """A run's duration: ``12.3 s``, or nothing while it runs."""
    return "" if seconds is None else f"{seconds:.1f} s"


def render_page(template: str, **context: Any) -> str:
    """Render a page of this module with the request's catalogue as its ``t``, looked up
    once per page rather than once per text (a page of 50 runs shows hundreds)."""
    return render_template(template, t=messages(), when=moment_text, took=duration_text, **context)


def _bad(key: str, **values: Any) -> NoReturn:
    abort(400, description=messages()(key, **values))


def _moment(name: str, text: str) -> datetime:
    """A ``since``/``until`` value in UTC: a date (``until`` then includes that whole day) or an
    ISO 8601 time (naive counts as UTC)."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        moment = datetime(day.year, day.month, day.day)
        if name == "until" and day < date.max:
            moment += timedelta(days=1)
        return utc(moment)
    try:
        return utc(datetime.fromisoformat(text))
    except (ValueError, OverflowError):  # OverflowError: an offset past the year 1 or 9999
        _bad("history.bad_time", field=name, value=text[:40])


def asked_filters(args: Mapping[str, str]) -> dict[str, str]:
    """The filters a request names (non-empty, trimmed), by parameter."""
    asked = {name: str(args.get(name, "")).strip() for name in KEPT}
    return {name: value for name, value in asked.items() if value}


def run_filter(asked: Mapping[str, str]) -> RunFilter:
    """The store filter for the parameters ``asked``; 400 for a value that cannot be one."""
    for name, value in asked.items():
        if len(value) > _FILTER_MAX:
            _bad("start.too_long", field=name, most=_FILTER_MAX)
    status = asked.get("status")
    if status is not None and status not in STATUSES:
        _bad("history.bad_status", value=status[:40], statuses=", ".join(STATUSES))
    since = _moment("since", asked["since"]) if "since" in asked else None
    until = _moment("until", asked["until"]) if "until" in asked else None
    if since is not None and until is not None and since >= until:
        _bad("history.bad_range", since=asked["since"], until=asked["until"])
    texts = {name: asked.get(name) for name in TEXT_FILTERS}
    return RunFilter(**texts, since=since, until=until)


def _page_number() -> int:
    raw = request.args.get("page", "1").strip() or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        _bad("history.bad_page", most=MAX_PAGE)
    return int(raw)


def _store_call(call: Callable[[], Any]) -> Any:
    """A store query; a store that fails is a 503 with its one line."""
    try:
        return call()
    except StoreError as error:
        abort(503, description=str(error))


def _listed() -> tuple[RunPage, dict[str, str]]:
    """The page of runs this request asks for, and the filters it named."""
    asked = asked_filters(request.args)
    wanted = run_filter(asked)
    number = _page_number()
    page: RunPage = _store_call(lambda: state().store.run_page(wanted, number, PER_PAGE))
    return page, asked


def _page_link(asked: Mapping[str, str], number: int) -> str:
    """The address of page ``number`` of the history with the same filters."""
    values: dict[str, Any] = {**asked, "page": number}
    return url_for("history.runs_page", **values)


@bp.get("/runs")
def runs_page() -> str:
    """The history, newest first, with its filter form and page links that keep the filters."""
    page, asked = _listed()
    previous = _page_link(asked, page.page - 1) if page.page > 1 else ""
    following = _page_link(asked, page.page + 1) if page.page < page.pages else ""
    return render_page(
        "runs.html",
        page=page,
        asked=asked,
        statuses=STATUSES,
        previous=previous,
        following=following,
    )


@bp.get("/api/runs")
def runs_json() -> Response:
    """The history page as JSON: ``{runs, total, page, per_page}``."""
    page, _ = _listed()
    return jsonify(page.to_dict())


@bp.get("/batches/<batch_id>")
def batch_page(batch_id: str) -> Response:
    """A batch's runs: the history filtered by the batch."""
    return redirect(url_for("history.runs_page", batch_id=batch_id))  # type: ignore[return-value]


def stored_or_abort(run_id: str) -> StoredRun:
    """The stored run named by ``run_id`` (or a unique prefix); 404 unknown, 400 ambiguous."""
    store = state().store
    try:
        return store.get(run_id)
    except AmbiguousRunId as error:
        shown = ", ".join(match[:12] for match in error.matches[:5])
        _bad("history.ambiguous", run=run_id[:40], matches=shown)
    except RunNotFound:
        abort(404, description=messages()("history.no_run", run=run_id[:40]))
    except StoreError as error:
        abort(503, description=str(error))


def _step_row(step: Any) -> dict[str, str]:
    """What the steps table shows of a stored step: numbers as text, limits as a range."""
    if step.low is not None or step.high is not None:
        limits = f"{number_text(step.low) or '-∞'} … {number_text(step.high) or '∞'}"
    else:
        limits = number_text(step.expected)
    return {"measured": number_text(step.measured), "limits": limits}


@bp.get("/runs/<run_id>")
def run_page(run_id: str) -> str:
    """One stored run: who, what, where, its steps, its downloads, and a live link while live."""
    run = stored_or_abort(run_id)
    channel = state().channels.get(run.run_id)
    swept = _store_call(lambda: state().store.has_sweep_readings(run.run_id))
    return render_page(
        "run.html",
        run=run,
        shown={step.number: _step_row(step) for step in run.steps},
        live=channel is not None and not channel.closed,
        tempco=f"/tempco/{quote(run.run_id, safe='')}" if swept else "",
        formats=FORMATS,
    )


@bp.get("/api/runs/<run_id>")
def run_json(run_id: str) -> Response:
    """One stored run as JSON: its summary, plan text, devices and steps."""
    return jsonify(stored_dict(stored_or_abort(run_id)))


def _document(report: RunReport) -> Any:
    from mfg_ctl.report.compose import run_report_document  # noqa: PLC0415 - matplotlib

    return run_report_document(report)


def _html(report: RunReport) -> str:
    from mfg_ctl.report.compose import html_text  # noqa: PLC0415 - Jinja2

    return html_text(_document(report))


def _pdf(report: RunReport) -> bytes:
    from mfg_ctl.report.compose import pdf_bytes  # noqa: PLC0415 - WeasyPrint

    return pdf_bytes(_document(report))


#: Each download: its file extension, media type, and how it is made from the report
#: (the renderers ``mfg-ctl report --json-out/--md-out/--junit/--html/--pdf`` use).
FORMATS: dict[str, tuple[str, str, Callable[[RunReport], str | bytes]]] = {
    "json": ("json", "application/json", render_json),
    "md": ("md", "text/markdown; charset=utf-8", render_markdown),
    "html": ("html", "text/html; charset=utf-8", _html),
    "pdf": ("pdf", "application/pdf", _pdf),
    "junit": ("xml", "application/xml", render_junit),
}


def _file_name(run_id: str, extension: str) -> str:
    """``run-<id>.<ext>``, the id cut to letters, digits, ``-`` and ``_``."""
    return f"run-{re.sub(r'[^A-Za-z0-9_-]', '_', run_id)[:64]}.{extension}"


@bp.get("/runs/<run_id>/download/<fmt>")
def download(run_id: str, fmt: str) -> Response | tuple[str, int]:
    """The run's report as a file, as ``mfg-ctl report RUN_ID`` writes it from the store."""
    if fmt not in FORMATS:
        abort(404, description=messages()("history.no_format", formats=", ".join(FORMATS)))
    extension, media, render = FORMATS[fmt]
    run = stored_or_abort(run_id)
    readings = _store_call(lambda: state().store.sweep_readings(run.run_id))
    try:
        content = render(RunReport.from_stored(run, readings))
    except (ReportError, ValueError) as error:  # WeasyPrint or Pango missing, a chart not drawn
        code = 503 if isinstance(error, ReportError) else 500
        text = messages()("history.no_file", format=fmt, reason=str(error))
        return render_template("error.html", code=code, text=text), code
    response = Response(content, content_type=media)
    name = _file_name(run.run_id, extension)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
