"""What every request passes through: the access token, CSRF on POST, and safe headers.

* Token: when the server has one (``--token``, required off loopback), a
  request carries it as ``Authorization: Bearer TOKEN``, or once as
  ``?token=TOKEN`` (the browser is then remembered by its signed session
  cookie and sent on without the token in the address).
* CSRF: every POST carries the session's token as the form field
  ``csrf_token`` or the header ``X-CSRF-Token`` (pages put it in each form
  and in a ``<meta name="csrf-token">`` for scripts) — except one that
  carries the access token as a Bearer header, which no other site can send.
* Headers: a Content-Security-Policy that allows only this server's own
  scripts, styles and ``data:`` images, no framing, no plug-ins.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlencode

from flask import Flask, Response, abort, redirect, request, session
from werkzeug.exceptions import Unauthorized

__all__ = ["CSP", "csrf_token", "install_security"]

#: Only this server's own scripts and styles; charts arrive as ``data:`` images.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def csrf_token() -> str:
    """This browser session's CSRF token (made on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def install_security(app: Flask, access_token: str) -> None:
    """Check the token and CSRF before every request; add the safe headers after."""
    wanted = _token_digest(access_token) if access_token else ""

    @app.before_request
    def check_request() -> Response | None:
        if wanted:
            granted = _granted(wanted)
            if granted is not None:
                return granted
        if request.method not in _SAFE_METHODS and not (wanted and _bearer_ok(wanted)):
            sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token", "")
            expected = session.get("csrf")
            if not isinstance(expected, str) or not hmac.compare_digest(sent, expected):
                abort(400, description="csrf")
        return None

    @app.after_request
    def safe_headers(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers.setdefault("Cache-Control", "no-store")
        return response


def _bearer_ok(wanted: str) -> bool:
    """The request carries the token in ``Authorization: Bearer``: a script, not a browser's
    cookie, so no other site can have sent it and it needs no CSRF token."""
    bearer = request.headers.get("Authorization", "")
    return bearer.startswith("Bearer ") and hmac.compare_digest(
        _token_digest(bearer.removeprefix("Bearer ").strip()), wanted
    )


def _granted(wanted: str) -> Response | None:
    """None when the request may go on; else the redirect that drops ``?token=``.

    Aborts with 401 when the request carries no valid token.
    """
    if _bearer_ok(wanted):
        return None
    if hmac.compare_digest(str(session.get("access", "")), wanted):
        return None
    offered = request.args.get("token")
    if offered is not None and hmac.compare_digest(_token_digest(offered), wanted):
        session["access"] = wanted
        rest = {key: value for key, value in request.args.items() if key != "token"}
        query = f"?{urlencode(rest)}" if rest else ""
        return redirect(request.path + query, code=303)  # type: ignore[return-value]
    raise Unauthorized(description="token")
