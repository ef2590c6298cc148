"""What the views share: the settings, the run store, the live channels, the launcher and
the bound on event streams."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, session

from mfg_ctl.store import RunStore
from mfg_ctl.web.launcher import Launcher
from mfg_ctl.web.live import Channels
from mfg_ctl.web.messages import DEFAULT_LANGUAGE, Catalogue, catalogue, languages
from mfg_ctl.web.settings import WebSettings
from mfg_ctl.web.streams import StreamLimiter

__all__ = ["WebState", "language", "messages", "state"]

_EXTENSION = "mfg_ctl"


@dataclass(frozen=True)
class WebState:
    """One app's shared objects, kept in ``app.extensions``."""

    settings: WebSettings
    store: RunStore
    channels: Channels
    launcher: Launcher
    streams: StreamLimiter


def state() -> WebState:
    """The shared objects of the app handling this request."""
    held: WebState = current_app.extensions[_EXTENSION]
    return held


def language() -> str:
    """The language of this request: ``?lang=``, then the session, the server's, the browser's."""
    shipped = languages()
    asked = request.args.get("lang", "")
    if asked in shipped:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if isinstance(remembered, str) and remembered in shipped:
        return remembered
    configured = state().settings.language
    if configured in shipped:
        return configured
    return request.accept_languages.best_match(shipped) or DEFAULT_LANGUAGE


def messages() -> Catalogue:
    """The message catalogue of this request's language."""
    return catalogue(language())
