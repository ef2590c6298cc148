"""Clocks that simulators read instead of ``time.time`` and ``time.sleep``.

A :class:`SimulatedClock` runs at a chosen speed so a test can live through an
hour of instrument time in seconds; a :class:`ManualClock` only moves when told
to, for exact, deterministic model tests. Both satisfy the :class:`Clock` protocol.
"""

from __future__ import annotations

import math
import os
import threading
import time
from datetime import UTC, datetime
from typing import Protocol, runtime_checkable

__all__ = ["SPEED_VARIABLE", "Clock", "ManualClock", "SimulatedClock", "default_clock"]

SPEED_VARIABLE = "SIMULATORS_CLOCK_SPEED"
"""Environment variable read once by :func:`default_clock` for its speed."""

# Looked up at call time so tests can substitute a fake real clock.
_real_monotonic = time.monotonic


@runtime_checkable
class Clock(Protocol):
    """What a simulator needs from a clock."""

    def time(self) -> float:
        """Return the simulated UNIX time, in seconds."""

    def monotonic(self) -> float:
        """Return the simulated seconds elapsed since the clock was created."""

    def sleep(self, seconds: float) -> None:
        """Wait until ``seconds`` of simulated time have passed."""

    def now(self) -> datetime:
        """Return the simulated time as an aware UTC datetime."""

    @property
    def speed(self) -> float:
        """Simulated seconds per real second, to scale real waits (timeouts, events)."""


def _check_speed(speed: float) -> float:
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(f"clock speed must be a finite number > 0, got {speed!r}")
    return float(speed)


def _check_seconds(seconds: float) -> float:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"seconds must be a finite number >= 0, got {seconds!r}")
    return float(seconds)


class SimulatedClock:
    """A clock that runs ``speed`` simulated seconds per real second.

    The speed can change while the clock runs: simulated time stays continuous
    and sleepers in progress wake according to the new speed. All methods are
    thread-safe.

    >>> clock = SimulatedClock(speed=1000.0, start=0.0)
    >>> clock.sleep(2.0)  # two simulated seconds, two real milliseconds
    >>> clock.monotonic() >= 2.0
    True
    >>> clock.now().year
    1970
    """

    def __init__(self, speed: float = 1.0, start: float | None = None) -> None:
        self._speed = _check_speed(speed)
        self._start = time.time() if start is None else float(start)
        self._real_anchor = _real_monotonic()
        self._simulated_anchor = 0.0
        self._changed = threading.Condition(threading.Lock())

    def _monotonic_locked(self) -> float:
        real_elapsed = _real_monotonic() - self._real_anchor
        return self._simulated_anchor + real_elapsed * self._speed

    @property
    def speed(self) -> float:
        """Simulated seconds per real second (finite, > 0); settable at run time."""
        with self._changed:
            return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        speed = _check_speed(value)
        with self._changed:
            self._simulated_anchor = self._monotonic_locked()
            self._real_anchor = _real_monotonic()
            self._speed = speed
            self._changed.notify_all()

    def monotonic(self) -> float:
        """Return the simulated seconds elapsed since the clock was created."""
        with self._changed:
            return self._monotonic_locked()

    def time(self) -> float:
        """Return the simulated UNIX time, in seconds."""
        with self._changed:
            return self._start + self._monotonic_locked()

    def now(self) -> datetime:
        """Return the simulated time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` simulated seconds, that is ``seconds / speed`` real seconds.

        A negative or non-finite duration raises ValueError.
        """
        seconds = _check_seconds(seconds)
        with self._changed:
            now = self._monotonic_locked()
            deadline = now + seconds
            while (remaining := deadline - now) > 0:
                self._changed.wait(remaining / self._speed)
                now = self._monotonic_locked()

    def __repr__(self) -> str:
        return f"SimulatedClock(speed={self.speed!r}, start={self._start!r})"


class ManualClock:
    """A clock that moves only when told to: by :meth:`advance` or :meth:`sleep`.

    ``sleep`` returns at once after advancing the clock, so a model stepped with
    this clock runs deterministically and as fast as the CPU allows.

    >>> clock = ManualClock(start=86400.0)
    >>> clock.advance(1.5)
    >>> clock.sleep(0.5)
    >>> clock.monotonic(), clock.time()
    (2.0, 86402.0)
    >>> clock.now().isoformat()
    '1970-01-02T00:00:02+00:00'
    """

    def __init__(self, start: float = 0.0) -> None:
        self._start = float(start)
        self._elapsed = 0.0
        self._speed = 1.0
        self._lock = threading.Lock()

    @property
    def speed(self) -> float:
        """Kept for interface parity with :class:`SimulatedClock`; has no effect."""
        with self._lock:
            return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        speed = _check_speed(value)
        with self._lock:
            self._speed = speed

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (finite, >= 0)."""
        seconds = _check_seconds(seconds)
        with self._lock:
            self._elapsed += seconds

    def monotonic(self) -> float:
        """Return the seconds advanced since the clock was created."""
        with self._lock:
            return self._elapsed

    def time(self) -> float:
        """Return ``start`` plus the seconds advanced so far."""
        with self._lock:
            return self._start + self._elapsed

    def now(self) -> datetime:
        """Return :meth:`time` as an aware UTC datetime."""
        return datetime.fromtimestamp(self.time(), tz=UTC)

    def sleep(self, seconds: float) -> None:
        """Advance the clock by ``seconds`` and return at once."""
        self.advance(seconds)

    def __repr__(self) -> str:
        return f"ManualClock(start={self._start!r}, elapsed={self.monotonic()!r})"


_default: SimulatedClock | None = None
_default_lock = threading.Lock()


def _speed_from_environment() -> float:
    raw = os.environ.get(SPEED_VARIABLE, "").strip()
    if not raw:
        return 1.0
    try:
        speed = float(raw)
    except ValueError:
        speed = math.nan
    if not math.isfinite(speed) or speed <= 0:
        raise ValueError(
            f"{SPEED_VARIABLE} must be a number > 0 (simulated seconds per real second),"
            f" got {raw!r}; fix or unset it"
        )
    return speed


def default_clock() -> SimulatedClock:
    """Return the process-wide clock, created on first call.

    Its speed comes from the ``SIMULATORS_CLOCK_SPEED`` environment variable
    (default 1.0); an invalid or non-positive value raises ValueError.

    >>> default_clock() is default_clock()
    True
    """
    global _default  # noqa: PLW0603 - one lazily created clock per process
    with _default_lock:
        if _default is None:
            _default = SimulatedClock(speed=_speed_from_environment())
        return _default
