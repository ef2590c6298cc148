"""Server-Sent Events: a channel's messages as a stream, with bounded streams per client.

A stream sends ``retry:`` first, then every message after the id the browser
last saw, then waits for more; a comment line every :data:`HEARTBEAT_S` keeps
proxies from closing it and tells the server when the browser has gone. It
ends when the channel closes or after ``stream_seconds`` (the browser then
reconnects with ``Last-Event-ID`` and misses nothing).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

from mfg_ctl.web.live import Channel

__all__ = ["HEARTBEAT_S", "StreamLimiter", "sse_stream"]

#: Seconds between keep-alive comments on a quiet stream.
HEARTBEAT_S = 15.0
#: Seconds between looks at whether the browser is still there.
LOOK_S = 0.5
#: What the browser waits before reconnecting a dropped stream, in ms.
RETRY_MS = 1000


class StreamLimiter:
    """Counts open streams per client and in all; refuses past the bounds."""

    def __init__(self, per_client: int, total: int) -> None:
        self.per_client = per_client
        self.total = total
        self._open: Counter[str] = Counter()
        self._lock = threading.Lock()

    def acquire(self, client: str) -> bool:
        """Take a stream for ``client``; False when it or the server holds too many."""
        with self._lock:
            if self._open[client] >= self.per_client or sum(self._open.values()) >= self.total:
                return False
            self._open[client] += 1
            return True

    def release(self, client: str) -> None:
        """Give a stream back."""
        with self._lock:
            self._open[client] -= 1
            if self._open[client] <= 0:
                del self._open[client]

    def held(self, client: str) -> int:
        """How many streams ``client`` holds now."""
        with self._lock:
            return self._open[client]

    def open_count(self) -> int:
        """How many streams are open now, from every client."""
        with self._lock:
            return sum(self._open.values())


def _never() -> bool:
    return False


def sse_stream(
    channel: Channel,
    last_id: int,
    seconds: float,
    gone: Callable[[], bool] = _never,
) -> Iterator[bytes]:
    """Yield the SSE bytes of ``channel`` after ``last_id`` until it closes or ``seconds`` pass.

    ``gone`` says the browser has disconnected (waitress tells it without a write):
    asked every :data:`LOOK_S`, so a closed page frees its stream slot at once, not at
    the next heartbeat.
    """
    yield f"retry: {RETRY_MS}\n\n".encode()
    deadline = time.monotonic() + seconds
    quiet_since = time.monotonic()
    while not gone():
        now = time.monotonic()
        if now >= deadline:
            return
        fresh, ended = channel.after(last_id, min(LOOK_S, deadline - now))
        if ended:
            yield b"event: end\ndata: {}\n\n"
            return
        if fresh:
            last_id = fresh[-1].id
            quiet_since = time.monotonic()
            yield b"".join(message.sse() for message in fresh)
        elif time.monotonic() - quiet_since >= HEARTBEAT_S:
            quiet_since = time.monotonic()
            yield b": keep-alive\n\n"
