"""``/healthz``: whether the server can read its run store, for a supervisor or load balancer."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from mfg_ctl.store import StoreError
from mfg_ctl.web.state import state

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """``{"status": "ok"}`` (200), or ``"store"`` and its error (503) when the store fails."""
    held = state()
    try:
        held.store.runs(limit=1)
    except StoreError as error:
        return jsonify({"status": "store", "error": str(error)}), 503
    return jsonify({"status": "ok", "running": len(held.launcher.running())}), 200
