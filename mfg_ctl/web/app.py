"""The Flask app factory: ``create_app(settings)`` wires the store, the views and the guards."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from mfg_ctl.store import RunStore
from mfg_ctl.web.launcher import Launcher
from mfg_ctl.web.live import Channels
from mfg_ctl.web.messages import languages
from mfg_ctl.web.security import csrf_token, install_security
from mfg_ctl.web.settings import WebSettings
from mfg_ctl.web.state import _EXTENSION, WebState, language, messages
from mfg_ctl.web.streams import StreamLimiter
from mfg_ctl.web.views import BLUEPRINTS

__all__ = ["create_app"]

#: The catalogue key of the page shown for each HTTP error a view raises.
_ERROR_TEXT = {
    400: "error.bad_request",
    401: "error.token",
    403: "error.forbidden",
    404: "error.not_found",
    409: "error.busy",
    413: "error.too_large",
    429: "error.too_many",
}


def create_app(settings: WebSettings, store: RunStore | None = None) -> Flask:
    """The web UI over ``settings`` (the store is opened here unless one is given)."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=64 * 1024,  # forms and JSON bodies are small
        JSON_SORT_KEYS=False,
    )
    opened = store if store is not None else RunStore(settings.db_url)
    channels = Channels()
    app.extensions[_EXTENSION] = WebState(
        settings,
        opened,
        channels,
        Launcher(settings, opened, channels),
        StreamLimiter(settings.streams_per_client, settings.streams_total),
    )
    install_security(app, settings.token)
    app.jinja_env.globals.update(
        csrf_token=csrf_token, t=_t, language=language, languages=languages, nav=_nav
    )
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    app.register_error_handler(HTTPException, _http_error)
    return app


def _t(key: str, **values: Any) -> str:
    """A message of this request's catalogue (the templates' ``t``)."""
    return messages()(key, **values)


#: The header's links: (endpoint, catalogue key); a feature not registered is left out.
NAV = (
    ("plans.index", "nav.plans"),
    ("history.runs_page", "nav.runs"),
    ("dashboards.yield_page", "nav.yield"),
    ("dashboards.trends_page", "nav.trends"),
    ("operator.operator_page", "nav.operator"),
)


def _nav() -> list[tuple[str, str]]:
    """The header's links as (address, label)."""
    found = current_app.view_functions
    return [(url_for(endpoint), _t(key)) for endpoint, key in NAV if endpoint in found]


def _http_error(error: HTTPException) -> tuple[Response | str, int]:
    """One clear line, as JSON for the API and as a page for people."""
    code = error.code or 500
    key = _ERROR_TEXT.get(code, "error.other")
    detail = error.description if isinstance(error.description, str) else ""
    if detail == type(error).description:  # werkzeug's own English text: say ours instead
        detail = ""
    text = messages()(key)
    if detail and detail not in ("csrf", "token") and code in (400, 404, 409, 503):
        text = detail
    if request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json":
        return jsonify({"error": text, "status": code}), code
    return render_template("error.html", code=code, text=text), code
