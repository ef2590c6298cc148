"""Where the run store lives: the default location, and how a location is shown to people."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import URL

from mfg_ctl.store.models import FIX_HINT, StoreError

__all__ = ["default_url", "shown_location"]


def default_url() -> str:
    """Return the run store URL to use when none is given, creating its folder.

    ``$MFG_CTL_DB`` wins: a full URL if it contains ``://``, otherwise a file
    path. Else ``$XDG_DATA_HOME/mfg-ctl/runs.db`` (if that variable holds an
    absolute path), else ``~/.local/share/mfg-ctl/runs.db``.
    """
    chosen = os.environ.get("MFG_CTL_DB", "").strip()
    if "://" in chosen:
        return chosen
    if chosen:
        path = Path(chosen).expanduser()
    else:
        xdg = os.environ.get("XDG_DATA_HOME", "")
        base = Path(xdg) if Path(xdg).is_absolute() else Path.home() / ".local" / "share"
        path = base / "mfg-ctl" / "runs.db"
    path = path.absolute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"cannot create the folder for the run store {path}: {exc.strerror}; {FIX_HINT}"
        ) from exc
    return f"sqlite:///{path}"


def shown_location(url: URL) -> str:
    """A store's location for a message: a file path (``~`` for the home folder) or the URL
    without its password."""
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return "an in-memory store (sqlite://)"
        path = str(Path(url.database).absolute())
        home = str(Path.home())
        if home not in ("", "/") and (path == home or path.startswith(home + os.sep)):
            path = "~" + path[len(home) :]
        return path
    return url._replace(password=None).render_as_string(hide_password=False)
