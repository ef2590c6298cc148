"""The fault catalogue every Modbus and SCPI device shares.

Value faults change what a device reads (drift, stuck); response faults change
how it answers (delay, corrupt, drop). :class:`Faults` holds the active ones,
parses the ``$system_fault:...%`` grammar and counts requests; the device
applies the verdicts. No I/O here: a device turns a :class:`ResponseFault` into
a :class:`simulators.common.Reply` for the server.

>>> faults = Faults(registers={"dc_voltage", "dc_current"})
>>> faults.add("drift", "dc_voltage", "5")
>>> faults.add("delay", "200", "2")
>>> print(faults.describe())
drift dc_voltage +5 per read
delay 200 ms every 2nd response
>>> faults.read("dc_voltage", 4980)
4985
>>> faults.read("dc_voltage", 4985)
4990
>>> [faults.next_response().delay_s for _ in range(4)]
[0.0, 0.2, 0.0, 0.2]
>>> faults.add("stuck", "nope")
Traceback (most recent call last):
  ...
ValueError: unknown register 'nope'; known: dc_current, dc_voltage
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from dataclasses import dataclass

__all__ = ["KINDS", "NO_FAULT", "Faults", "ResponseFault"]

#: Longest injectable delay: a fault must never hang a client for good.
MAX_DELAY_MS = 60_000


@dataclass(frozen=True)
class ResponseFault:
    """What to do with one response: hold it back, corrupt it, or drop the connection."""

    delay_s: float = 0.0
    corrupt: bool = False
    drop: bool = False


#: The verdict when no response fault is set (shared: the hot path allocates nothing).
NO_FAULT = ResponseFault()


@dataclass(frozen=True)
class _EveryK:
    every_k: int

    def hits(self, count: int) -> bool:
        return count % self.every_k == 0


def _ordinal(k: int) -> str:
    if k == 1:
        return "response"
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix} response"


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


class Faults:
    """The active faults of one device, keyed by register (or measurement) name."""

    def __init__(self, registers: Collection[str]) -> None:
        self.registers = frozenset(registers)
        self.drift: dict[str, float] = {}
        self.stuck: dict[str, float | None] = {}
        self.delay: tuple[float, _EveryK] | None = None
        self.corrupt: _EveryK | None = None
        self.drop: _EveryK | None = None
        self._requests = 0

    def add(self, kind: str, *args: str) -> None:
        """Add a fault in the ``$system_fault:<kind>,<args>%`` grammar; ValueError if malformed."""
        parser = _PARSERS.get(kind)
        if parser is None:
            raise ValueError(f"unknown fault {kind!r}; choose one of: {', '.join(KINDS)}")
        expected, usage = KINDS[kind]
        if len(args) not in expected:
            raise ValueError(f"usage: $system_fault:{kind},{usage}%")
        parser(self, *args)

    def register(self, name: str) -> str:
        """Check that ``name`` is a register of this device."""
        if name not in self.registers:
            known = ", ".join(sorted(self.registers))
            raise ValueError(f"unknown register {name!r}; known: {known}")
        return name

    def _add_drift(self, register: str, step: str) -> None:
        self.drift[self.register(register)] = _number("step", step)

    def _add_stuck(self, register: str) -> None:
        self.stuck[self.register(register)] = None  # frozen at the next read

    def _add_delay(self, ms: str, every_k: str = "1") -> None:
        delay_ms = _int("delay", ms, 0, MAX_DELAY_MS)
        self.delay = (delay_ms / 1000.0, _EveryK(_int("every_k", every_k, 1, 1_000_000)))

    def _add_crc(self, every_k: str) -> None:
        self.corrupt = _EveryK(_int("every_k", every_k, 1, 1_000_000))

    def _add_drop(self, every_k: str) -> None:
        self.drop = _EveryK(_int("every_k", every_k, 1, 1_000_000))

    def read(self, register: str, value: float) -> float:
        """Return what a read of ``register`` reports, given its true ``value``.

        A drifting register moves by its step on every read (the caller stores
        the new value); a stuck register keeps the value it had when it stuck.
        """
        if register in self.stuck:
            frozen = self.stuck[register]
            if frozen is None:
                self.stuck[register] = frozen = value
            return frozen
        step = self.drift.get(register)
        return value + step if step is not None else value

    def writable(self, register: str) -> bool:
        """Whether a write to ``register`` takes effect (writes to a stuck one are ignored)."""
        return register not in self.stuck

    def next_response(self) -> ResponseFault:
        """Count one request and return what to do with its response."""
        self._requests += 1
        if self.delay is None and self.corrupt is None and self.drop is None:
            return NO_FAULT
        count = self._requests
        delay = self.delay[0] if self.delay and self.delay[1].hits(count) else 0.0
        return ResponseFault(
            delay_s=delay,
            corrupt=bool(self.corrupt and self.corrupt.hits(count)),
            drop=bool(self.drop and self.drop.hits(count)),
        )

    @property
    def active(self) -> bool:
        """Whether any fault is set."""
        return bool(self.drift or self.stuck or self.delay or self.corrupt or self.drop)

    def describe(self) -> str:
        """One line per active fault, or ``none``."""
        lines = [f"drift {name} {step:+g} per read" for name, step in sorted(self.drift.items())]
        lines += [f"stuck {name}" for name in sorted(self.stuck)]
        if self.delay:
            delay_s, every = self.delay
            lines.append(f"delay {delay_s * 1000:g} ms every {_ordinal(every.every_k)}")
        if self.corrupt:
            lines.append(f"crc corrupt every {_ordinal(self.corrupt.every_k)}")
        if self.drop:
            lines.append(f"drop connection every {_ordinal(self.drop.every_k)}")
        return "\n".join(lines) or "none"

    def clear(self) -> None:
        """Remove every fault and restart the request count."""
        self.drift.clear()
        self.stuck.clear()
        self.delay = self.corrupt = self.drop = None
        self._requests = 0


#: Each kind: the argument counts it takes and its usage.
KINDS: dict[str, tuple[tuple[int, ...], str]] = {
    "drift": ((2,), "<register>,<step>"),
    "stuck": ((1,), "<register>"),
    "delay": ((1, 2), "<ms>[,<every_k>]"),
    "crc": ((1,), "<every_k>"),
    "drop": ((1,), "<every_k>"),
}

_PARSERS: dict[str, Callable[..., None]] = {
    "drift": Faults._add_drift,
    "stuck": Faults._add_stuck,
    "delay": Faults._add_delay,
    "crc": Faults._add_crc,
    "drop": Faults._add_drop,
}
