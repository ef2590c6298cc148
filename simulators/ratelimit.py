"""A rate limit for log lines about bad input, so hostile traffic cannot flood the log.

A client may send a megabyte of malformed frames; logging one line per frame
would write many megabytes. Every System owns one :class:`RateLimitedLog`
(``system.bad_input_log``) through which it logs what it rejects: the first
``burst`` lines pass, then at most ``per_second`` lines a second. The first
suppressed line of an episode is replaced by one notice; the next line that
passes says how many were left out.

>>> import logging, sys
>>> logger = logging.getLogger("ratelimit.example")
>>> logger.addHandler(logging.StreamHandler(sys.stdout))
>>> logger.propagate = False
>>> now = [0.0]
>>> log = RateLimitedLog(burst=2, per_second=1.0, clock=lambda: now[0])
>>> for _ in range(4):
...     _ = log.log(logger, logging.WARNING, "bad frame")
bad frame
bad frame
too many similar messages: logging at most 1 a second until they calm down
>>> now[0] = 5.0
>>> _ = log.log(logger, logging.WARNING, "bad frame")
bad frame (2 similar messages suppressed before this one)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

__all__ = ["BURST", "PER_SECOND", "RateLimitedLog"]

#: Lines that may be logged at once before the rate applies.
BURST = 10
#: Lines a second once the burst is spent.
PER_SECOND = 1.0


class RateLimitedLog:
    """A token bucket of log lines: ``burst`` at once, then ``per_second``; the rest is counted."""

    def __init__(
        self,
        burst: int = BURST,
        per_second: float = PER_SECOND,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or per_second <= 0:
            raise ValueError(f"burst must be >= 1 and per_second > 0, got {burst}, {per_second}")
        self.burst = burst
        self.per_second = per_second
        self._clock = clock
        self._tokens = float(burst)
        self._last = clock()
        self._lock = threading.Lock()
        #: Lines left out since the last line that was logged.
        self.suppressed = 0

    def log(
        self,
        logger: logging.Logger,
        level: int,
        message: str,
        *args: object,
        exc_info: bool = False,
    ) -> bool:
        """Log like ``logger.log(level, message, *args)`` if the rate allows; True if it did."""
        if not logger.isEnabledFor(level):
            return False
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.per_second)
            self._last = now
            if self._tokens < 1.0:
                self.suppressed += 1
                notice = self.suppressed == 1
                left_out = -1
            else:
                self._tokens -= 1.0
                left_out, self.suppressed = self.suppressed, 0
                notice = False
        if notice:
            logger.log(
                level,
                "too many similar messages: logging at most %g a second until they calm down",
                self.per_second,
            )
        if left_out < 0:
            return False
        if left_out:
            message += f" ({left_out} similar messages suppressed before this one)"
        logger.log(level, message, *args, exc_info=exc_info)
        return True
