"""What the dut tests share: fault-run statistics, feeding helpers and custom commands."""

from __future__ import annotations

import queue
import random

from simulators.commands import CustomCommand, dispatch
from simulators.devices.dut import DutSystem
from simulators.devices.dut.model import (
    FaultProfile,
)

#: What ``*IDN?`` answers when the unit fails the request (E202: communication error).
FAULT = "ERR E202 communication error"
#: What ``POWER`` and ``POWER?`` answer when the unit fails the request.
POWER_FAULT = "ERR E201 power stage did not start"


# -- helpers ------------------------------------------------------------------


def failure_runs(outcomes: list[bool]) -> list[int]:
    """Lengths of the runs of consecutive failures in ``outcomes``."""
    runs, length = [], 0
    for failed in outcomes:
        if failed:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    if length:
        runs.append(length)
    return runs


def draws(profile: FaultProfile, seed: int, count: int) -> list[bool]:
    rng = random.Random(seed)
    return [profile.fails(rng) for _ in range(count)]


def feed_bytes(system: DutSystem, data: bytes) -> tuple[list[bytes], int]:
    """Feed ``data`` to a new session one byte at a time: the replies and the overlong lines."""
    dropped = [0]

    def count() -> None:
        dropped[0] += 1

    system.line_too_long = count  # type: ignore[method-assign]
    session = system.open_session()
    replies: list[bytes] = []
    for index in range(len(data)):
        replies.extend(session.feed(data[index : index + 1]))
    return replies, dropped[0]


def feed_chunks(system: DutSystem, data: bytes, size: int) -> list[bytes]:
    """Feed ``data`` to a new session in pieces of ``size`` bytes."""
    session = system.open_session()
    replies: list[bytes] = []
    for start in range(0, len(data), size):
        replies.extend(session.feed(data[start : start + size]))
    return replies


def custom(system: DutSystem, name: str, *args: object) -> str:
    """What a client reads back for ``$system_<name>:args%``."""
    return dispatch(system, CustomCommand(name, tuple(str(arg) for arg in args)))


def outcomes(system: DutSystem, count: int, command: str = "*IDN?") -> list[bool]:
    """Send ``command`` ``count`` times; True where the reply was a device fault (E2xx)."""
    return [system.execute(command).startswith("ERR E2") for _ in range(count)]


def collect(q: queue.Queue[bytes], count: int, timeout: float = 2.0) -> list[bytes]:
    return [q.get(timeout=timeout) for _ in range(count)]
