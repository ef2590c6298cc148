"""What the dut tests share: fault-run statistics, feeding helpers and custom commands."""

from __future__ import annotations

import queue
import random

from simulators.commands import Command, dispatch
from simulators.devices.dut import DutSystem
from simulators.devices.dut.model import (
    FaultProfile,
)

FAULT = "ERR device fault"


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


def feed_bytes(system: DutSystem, data: bytes) -> tuple[list[bytes], list[str]]:
    """Feed ``data`` to ``parse`` one byte at a time: the replies and the ValueErrors raised."""
    replies: list[bytes] = []
    errors: list[str] = []
    for index in range(len(data)):
        try:
            reply = system.parse(data[index : index + 1])
        except ValueError as error:
            errors.append(str(error))
            continue
        if reply is not True and reply is not False:
            replies.append(reply)
    return replies, errors


def feed_chunks(system: DutSystem, data: bytes, size: int) -> list[bytes]:
    """Feed ``data`` to ``parse_chunk`` in pieces of ``size`` bytes."""
    replies: list[bytes] = []
    for start in range(0, len(data), size):
        replies.extend(system.parse_chunk(data[start : start + size]))
    return replies


def custom(system: DutSystem, name: str, *args: object) -> str:
    """What a client reads back for ``$system_<name>:args%``."""
    return dispatch(system, Command(name, tuple(str(arg) for arg in args)))


def outcomes(system: DutSystem, count: int, command: str = "*IDN?") -> list[bool]:
    """Send ``command`` ``count`` times; True where the reply was the device fault."""
    return [system.execute(command) == FAULT for _ in range(count)]


def collect(q: queue.Queue[bytes], count: int, timeout: float = 2.0) -> list[bytes]:
    return [q.get(timeout=timeout) for _ in range(count)]
