"""The fault catalogue: every fault a device takes, in one table, and its grammar.

Value faults change what a device reads (``drift``, optionally noisy, ``stuck``); response faults
change how it answers (``delay``, ``crc``/``garbage``, ``drop``). :func:`parse`
turns the arguments of ``$system_fault:<kind>,<args>%`` into a typed fault;
:class:`ResponseFaults` holds the active response faults and counts requests.
No I/O here: :mod:`simulators.devicekit.values` applies value faults and
:func:`simulators.devicekit.replies.respond` turns a verdict into a reply.

>>> from simulators.devicekit.faults import ResponseFaults, parse
>>> parse("drift", ["dc_voltage", "5"], resolve=str)
Drift(name='dc_voltage', step=5, sigma=0, seed=0)
>>> parse("drift", ["dc_voltage", "2", "3", "42"], resolve=str)
Drift(name='dc_voltage', step=2, sigma=3, seed=42)
>>> responses = ResponseFaults()
>>> responses.add(parse("delay", ["200", "2"], resolve=str))
>>> [responses.next_response().delay_s for _ in range(4)]
[0.0, 0.2, 0.0, 0.2]
>>> responses.describe()
['delay 200 ms every 2nd response']
>>> parse("melt", [], resolve=str)
Traceback (most recent call last):
  ...
ValueError: unknown fault 'melt'; choose one of: drift, stuck, delay, crc, drop
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

__all__ = [
    "KINDS",
    "MAX_DELAY_MS",
    "MAX_SEED",
    "NO_FAULT",
    "Corrupt",
    "Delay",
    "Drift",
    "Drop",
    "Fault",
    "FaultKind",
    "ResponseFault",
    "ResponseFaults",
    "Stuck",
    "parse",
]

#: Longest injectable delay: a fault must never hang a client for good.
MAX_DELAY_MS = 60_000
#: Largest ``every_k``.
MAX_EVERY = 1_000_000
#: Largest seed of a noisy drift (any 64-bit unsigned integer).
MAX_SEED = 2**64 - 1


@dataclass(frozen=True)
class FaultKind:
    """One row of the catalogue: how many arguments a fault takes and how to write it."""

    arities: tuple[int, ...]
    usage: str  # ``{target}`` stands for the device's word: register, reading, ...
    names_target: bool = False  # the first argument names a register or reading


#: Every fault kind, in the order errors list them. ``garbage`` is ``crc`` under the
#: name line protocols give it (they have no CRC); only they accept it.
KINDS: dict[str, FaultKind] = {
    "drift": FaultKind((2, 3, 4), "<{target}>,<step>[,<sigma>[,<seed>]]", names_target=True),
    "stuck": FaultKind((1,), "<{target}>", names_target=True),
    "delay": FaultKind((1, 2), "<ms>[,<every_k>]"),
    "crc": FaultKind((1,), "<every_k>"),
    "drop": FaultKind((1,), "<every_k>"),
    "garbage": FaultKind((1,), "<every_k>"),
}


@dataclass(frozen=True)
class Drift:
    """The value moves by ``step`` on every read; each read adds Gaussian noise of ``sigma``.

    The noise comes from a sequence seeded by ``seed`` (and the value's name, so
    two values drifting with one seed are not noisy in step): the same commands
    give the same readings. The drift itself accumulates without the noise.
    """

    name: str
    step: float
    sigma: float = 0
    seed: int = 0


@dataclass(frozen=True)
class Stuck:
    """The value keeps what it was when the fault was injected."""

    name: str


@dataclass(frozen=True)
class Delay:
    """Every ``every``-th response is held back ``seconds``."""

    seconds: float
    every: int


@dataclass(frozen=True)
class Corrupt:
    """Every ``every``-th response is corrupted (a bad CRC, a garbage line)."""

    every: int


@dataclass(frozen=True)
class Drop:
    """Every ``every``-th request closes the connection instead of being answered."""

    every: int


Fault = Drift | Stuck | Delay | Corrupt | Drop


def _int(name: str, text: str, low: int, high: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be an integer, got {text!r}") from None
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _number(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {text!r}")
    return int(value) if value.is_integer() else value


def _every(text: str) -> int:
    return _int("every_k", text, 1, MAX_EVERY)


def _drift(args: Sequence[str]) -> Drift:
    """``<name>,<step>[,<sigma>[,<seed>]]``: sigma a finite number >= 0, seed an integer."""
    sigma = _number("sigma", args[2]) if len(args) > 2 else 0
    if sigma < 0:
        raise ValueError(f"sigma must be >= 0, got {args[2]!r}")
    seed = _int("seed", args[3], 0, MAX_SEED) if len(args) > 3 else 0
    return Drift(args[0], _number("step", args[1]), sigma, seed)


def parse(
    kind: str,
    args: Sequence[str],
    *,
    resolve: Callable[[str], str],
    target: str = "register",
    garbage: bool = False,
) -> Fault:
    """One fault from ``$system_fault:<kind>,<args>%``; ValueError with one line if malformed.

    ``resolve`` checks a register or reading name and returns its canonical
    name; ``target`` is the device's word for one; ``garbage``: the device
    takes ``garbage`` (a line protocol), as a second name for ``crc``.
    """
    row = KINDS.get(kind) if garbage or kind != "garbage" else None
    if row is None:
        kinds = [name for name in KINDS if garbage or name != "garbage"]
        raise ValueError(f"unknown fault {kind!r}; choose one of: {', '.join(kinds)}")
    if row.names_target and args:
        args = [resolve(args[0]), *args[1:]]
    if len(args) not in row.arities:
        raise ValueError(f"usage: $system_fault:{kind},{row.usage.format(target=target)}%")
    if kind == "drift":
        return _drift(args)
    if kind == "stuck":
        return Stuck(args[0])
    if kind == "delay":
        delay_ms = _int("delay", args[0], 0, MAX_DELAY_MS)
        return Delay(delay_ms / 1000.0, _every(args[1]) if len(args) > 1 else 1)
    if kind == "drop":
        return Drop(_every(args[0]))
    return Corrupt(_every(args[0]))  # crc, garbage


@dataclass(frozen=True)
class ResponseFault:
    """What to do with one response: hold it back, corrupt it, or drop the connection."""

    delay_s: float = 0.0
    corrupt: bool = False
    drop: bool = False


#: The verdict when no response fault is set (shared: the hot path allocates nothing).
NO_FAULT = ResponseFault()


def _ordinal(k: int) -> str:
    if k == 1:
        return "response"
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix} response"


class ResponseFaults:
    """The active response faults of one device, and its request count."""

    def __init__(self) -> None:
        self.delay: Delay | None = None
        self.corrupt: Corrupt | None = None
        self.drop: Drop | None = None
        self._requests = 0

    def add(self, fault: Delay | Corrupt | Drop) -> None:
        """Set a response fault, replacing one of the same kind."""
        if isinstance(fault, Delay):
            self.delay = fault
        elif isinstance(fault, Corrupt):
            self.corrupt = fault
        else:
            self.drop = fault

    def next_response(self) -> ResponseFault:
        """Count one request and return what to do with its response."""
        self._requests += 1
        delay, corrupt, drop = self.delay, self.corrupt, self.drop
        if delay is None and corrupt is None and drop is None:
            return NO_FAULT
        count = self._requests
        return ResponseFault(
            delay_s=delay.seconds if delay and count % delay.every == 0 else 0.0,
            corrupt=bool(corrupt and count % corrupt.every == 0),
            drop=bool(drop and count % drop.every == 0),
        )

    def describe(self, corruption: str = "crc corrupt") -> list[str]:
        """One line per active fault; ``corruption`` is how the device calls corrupting."""
        lines = []
        if self.delay:
            lines.append(
                f"delay {self.delay.seconds * 1000:g} ms every {_ordinal(self.delay.every)}"
            )
        if self.corrupt:
            lines.append(f"{corruption} every {_ordinal(self.corrupt.every)}")
        if self.drop:
            lines.append(f"drop connection every {_ordinal(self.drop.every)}")
        return lines

    def clear(self) -> None:
        """Remove every response fault and restart the request count."""
        self.delay = self.corrupt = self.drop = None
        self._requests = 0
