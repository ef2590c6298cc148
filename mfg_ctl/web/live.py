"""Live runs for browsers: each run's events as numbered messages, kept so a stream can resume.

A :class:`Channel` holds every message of one live run (or batch) in order,
numbered from 1; a browser's event stream asks for the messages after the last
id it saw (``Last-Event-ID``), so a reconnecting or reloaded page gets each
step exactly once. :class:`ChannelObserver` turns sequencer events into
messages; :class:`Channels` keeps the live channels and the most recent ended
ones, bounded.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mfg_ctl.run.events import (
    Event,
    RunFinished,
    RunStarted,
    StepAttempt,
    StepFinished,
    StepProgress,
    StepStarted,
)

__all__ = ["Channel", "ChannelObserver", "Channels", "Message", "event_message"]

#: Messages one channel keeps; past this it forgets its oldest (a stream asking for those
#: starts at the oldest kept).
MAX_MESSAGES = 20_000


@dataclass(frozen=True, slots=True)
class Message:
    """One numbered message of a channel: its kind (the SSE ``event:``) and JSON data."""

    id: int
    kind: str
    data: dict[str, Any]

    def sse(self) -> bytes:
        """The message as a Server-Sent Events block."""
        body = json.dumps(self.data, separators=(",", ":"), allow_nan=False)
        return f"id: {self.id}\nevent: {self.kind}\ndata: {body}\n\n".encode()


class Channel:
    """Everything one live run or batch said so far, and a way to wait for more."""

    def __init__(self, channel_id: str, kind: str = "run") -> None:
        self.channel_id = channel_id
        self.kind = kind  # run | batch
        self._messages: list[Message] = []
        self._next_id = 1
        self._closed = False
        self._changed = threading.Condition()

    @property
    def closed(self) -> bool:
        """The run ended: no message will follow."""
        return self._closed

    def publish(self, kind: str, data: dict[str, Any]) -> Message:
        """Add a message and wake every waiting stream."""
        with self._changed:
            message = Message(self._next_id, kind, data)
            self._next_id += 1
            self._messages.append(message)
            if len(self._messages) > MAX_MESSAGES:
                del self._messages[: len(self._messages) - MAX_MESSAGES]
            self._changed.notify_all()
            return message

    def close(self) -> None:
        """No more messages: streams end once they have sent what is here."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def after(self, last_id: int, wait_s: float = 0.0) -> tuple[list[Message], bool]:
        """The messages numbered past ``last_id`` (waiting up to ``wait_s`` for one), and
        whether the channel is closed with nothing more to send."""
        deadline = time.monotonic() + wait_s
        with self._changed:
            while True:
                fresh = [m for m in self._tail(last_id) if m.id > last_id]
                if fresh or self._closed:
                    return fresh, self._closed and not fresh
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return [], False
                self._changed.wait(remaining)

    def _tail(self, last_id: int) -> list[Message]:
        """The messages from ``last_id`` on, found by id without scanning them all."""
        if not self._messages:
            return []
        first = self._messages[0].id
        return self._messages[max(0, last_id + 1 - first) :]

    def snapshot(self) -> list[Message]:
        """Every message kept, in order."""
        with self._changed:
            return list(self._messages)


class Channels:
    """The live channels and the ``keep_ended`` most recently ended ones, by id."""

    def __init__(self, keep_ended: int = 200) -> None:
        self._channels: OrderedDict[str, Channel] = OrderedDict()
        self._keep_ended = keep_ended
        self._lock = threading.Lock()

    def open(self, channel_id: str, kind: str = "run") -> Channel:
        """A new channel, forgetting the oldest ended ones past the bound."""
        channel = Channel(channel_id, kind)
        with self._lock:
            self._channels[channel_id] = channel
            ended = [key for key, held in self._channels.items() if held.closed]
            for key in ended[: max(0, len(ended) - self._keep_ended)]:
                del self._channels[key]
        return channel

    def get(self, channel_id: str) -> Channel | None:
        """The channel of a live (or recently ended) run or batch, if any."""
        with self._lock:
            return self._channels.get(channel_id)

    def live(self) -> list[Channel]:
        """The channels still open, oldest first."""
        with self._lock:
            return [channel for channel in self._channels.values() if not channel.closed]


def _finite(value: float | None) -> float | None:
    """A number JSON can carry (NaN and infinities become null)."""
    return value if value is None or math.isfinite(value) else None


def _when(event: Event) -> str:
    at = getattr(event, "finished_at", None) or getattr(event, "started_at", None)
    return at.isoformat() if at is not None else ""


def _run_started(event: RunStarted) -> dict[str, Any]:
    return {
        "run_id": event.run_id,
        "plan": event.plan_name,
        "steps": event.step_count,
        "sn": event.identity.sn,
        "batch_id": event.identity.batch_id,
        "station_id": event.identity.station_id,
        "at": _when(event),
    }


def _step_started(event: StepStarted) -> dict[str, Any]:
    return {
        "run_id": event.run_id,
        "number": event.number,
        "name": event.name,
        "device": event.device,
        "at": _when(event),
    }


def _step_progress(event: StepProgress) -> dict[str, Any]:
    return {
        "run_id": event.run_id,
        "number": event.number,
        "part": event.part,
        "detail": event.detail,
        "value": _finite(event.value),
        "unit": event.unit,
    }


def _step_attempt(event: StepAttempt) -> dict[str, Any]:
    return {
        "run_id": event.run_id,
        "number": event.number,
        "attempt": event.attempt,
        "status": event.status,
        "reason": event.reason,
    }


def _step_finished(event: StepFinished) -> dict[str, Any]:
    return {
        "run_id": event.run_id,
        "number": event.number,
        "name": event.name,
        "device": event.device,
        "verdict": event.verdict,
        "detail": event.detail,
        "measured": _finite(event.measured),
        "expected": _finite(event.expected),
        "low": _finite(event.low),
        "high": _finite(event.high),
        "unit": event.unit,
        "attempts": event.attempts,
        "teardown": event.teardown,
        "duration_s": round(event.duration_s, 6),
        "at": _when(event),
    }


def _run_finished(event: RunFinished) -> dict[str, Any]:
    return {
        "run_id": event.run_id,
        "verdict": event.verdict,
        "status": event.status,
        "passed": event.passed,
        "failed": event.failed,
        "errors": event.errors,
        "skipped": event.skipped,
        "first_failure": event.first_failure or "",
        "duration_s": round(event.duration_s, 6),
        "at": _when(event),
    }


#: Each event type a browser hears: its message kind and how its data is made.
_MESSAGES: dict[type, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    RunStarted: ("run_started", _run_started),
    StepStarted: ("step_started", _step_started),
    StepProgress: ("step_progress", _step_progress),
    StepAttempt: ("step_attempt", _step_attempt),
    StepFinished: ("step_finished", _step_finished),
    RunFinished: ("run_finished", _run_finished),
}


def event_message(event: Event) -> tuple[str, dict[str, Any]] | None:
    """A sequencer event as a message kind and its data (None: browsers need not hear it).

    A first attempt that passed says nothing its step's ``step_finished`` will not.
    """
    if isinstance(event, StepAttempt) and event.attempt == 1 and event.status == "pass":
        return None
    kind, data = _MESSAGES[type(event)]
    return kind, data(event)


class ChannelObserver:
    """A sequencer observer that publishes each event a browser needs on a channel."""

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    def __call__(self, event: Event) -> None:
        """Publish ``event`` (the observer protocol)."""
        message = event_message(event)
        if message is not None:
            self.channel.publish(*message)
