"""The WSGI server the web UI runs under: waitress, sized for live views.

Each open live view (an event stream) holds one waitress worker thread for as
long as it is open, so the server has :data:`THREADS` of them and the app lets
streams take all but :data:`THREADS_FOR_PAGES`. waitress is asked to read
ahead on each connection, which is how a stream learns that its browser has
gone without writing to it (``waitress.client_disconnected``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from waitress.server import BaseWSGIServer, MultiSocketServer

__all__ = ["STREAMS_TOTAL", "THREADS", "THREADS_FOR_PAGES", "wsgi_server"]

#: waitress worker threads: each open live view holds one.
THREADS = 48
#: Of those, kept for pages and the API however many live views are open.
THREADS_FOR_PAGES = 8
#: The live views all clients together may hold (WebSettings.streams_total).
STREAMS_TOTAL = THREADS - THREADS_FOR_PAGES


def wsgi_server(app: Flask, host: str, port: int) -> BaseWSGIServer | MultiSocketServer:
    """A waitress server for ``app`` bound to ``host:port`` (0: a free port); OSError if not."""
    from waitress.server import create_server  # noqa: PLC0415 - the web extra, only here

    return create_server(
        app,
        host=host,
        port=port,
        threads=THREADS,
        ident="mfg-ctl",
        channel_request_lookahead=1,  # tells a live view that its browser has gone
    )
