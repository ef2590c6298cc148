"""What ``mfg-ctl serve-web`` was told: where the store, plans and devices are, who may connect."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["LOOPBACK_HOSTS", "WebSettings", "is_loopback"]

#: Host names that mean "this machine only".
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def is_loopback(host: str) -> bool:
    """Whether binding to ``host`` keeps the UI on this machine."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebSettings:
    """Everything the app needs; :func:`~mfg_ctl.web.create_app` takes one.

    ``token`` ("" = none) must accompany every request when set; it is required
    when ``host`` is not a loopback address. ``station_path`` None means each run
    serves its simulated devices in-process, as ``mfg-ctl run`` does.
    """

    db_url: str
    plans_dir: Path = Path("plans")
    runs_dir: Path = Path("runs")  # where batches write their run folders
    station_path: Path | None = None
    port_offset: int = 0
    station_id: str = ""  # recorded with every run started here ("" = the station file's)
    host: str = "127.0.0.1"
    port: int = 5050
    token: str = ""
    language: str = ""  # "" = the browser's preference among the shipped catalogues
    #: Live event streams one client may hold at once, and all clients together.
    streams_per_client: int = 8
    streams_total: int = 64
    #: How long one event stream stays open before the browser reconnects (it resumes).
    stream_seconds: float = 300.0
    #: Runs (or batches) that may run at once when devices are simulated here.
    concurrent_runs: int = 4
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
