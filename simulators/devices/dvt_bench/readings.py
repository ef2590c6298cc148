"""What an instrument reports: live measurements with overrides and value faults applied.

Each instrument names its readings (``temperature``, ``voltage``, ...) and
gives a callable for the live value. On top of it, per reading:

* ``set``: an override, reported instead of the live value until set again
  (``live`` gives the reading back to the model) or reset;
* ``drift``: an offset that grows by ``step`` on every query that reports it;
* ``stuck``: the value at the moment it stuck, whatever happens next.

The fault grammar and bookkeeping are those of :class:`simulators.faults.Faults`.

>>> from simulators.devices.dvt_bench.readings import Readings
>>> level = {"volts": 3.3}
>>> readings = Readings({"voltage": lambda: level["volts"]})
>>> readings.fault("drift", "voltage", "0.1")
>>> round(readings.report("voltage"), 3), round(readings.report("voltage"), 3)
(3.4, 3.5)
>>> readings.fault("stuck", "voltage")
>>> level["volts"] = 0.0
>>> round(readings.report("voltage"), 3)
3.5
>>> readings.clear_faults()
>>> readings.report("voltage")
0.0
>>> readings.set("voltage", "1.25")
>>> readings.report("voltage"), readings.describe()
(1.25, 'voltage = 1.25 (set)')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from simulators.faults import KINDS, Faults

__all__ = ["FAULT_KINDS", "LIVE", "Readings"]

#: The value of ``$system_set`` that gives a reading back to the model.
LIVE = "live"
#: Every fault an SCPI instrument takes: the shared catalogue plus ``garbage``.
FAULT_KINDS = (*KINDS, "garbage")


class Readings:
    """The named readings of one instrument and the value faults on them."""

    def __init__(self, sources: Mapping[str, Callable[[], float]]) -> None:
        self.sources = dict(sources)
        self.faults = Faults(registers=self.sources)
        self._overrides: dict[str, float] = {}
        self._offsets: dict[str, float] = {}

    def lookup(self, name: str) -> str:
        """Check that ``name`` is one of the readings."""
        if name not in self.sources:
            known = ", ".join(sorted(self.sources))
            raise ValueError(f"unknown reading {name!r}; known: {known}")
        return name

    def report(self, name: str) -> float:
        """What a query reports: a drifting reading moves by its step first."""
        if name in self.faults.stuck:
            return self.faults.read(name, self._value(name))
        step = self.faults.drift.get(name)
        if step is not None:
            self._offsets[name] = self._offsets.get(name, 0.0) + step
        return self._value(name)

    def peek(self, name: str) -> float:
        """What a query would report now, without moving a drift."""
        frozen = self.faults.stuck.get(name)
        return frozen if frozen is not None else self._value(name)

    def _value(self, name: str) -> float:
        base = self._overrides[name] if name in self._overrides else self.sources[name]()
        return base + self._offsets.get(name, 0.0)

    def set(self, name: str, text: str) -> None:
        """Override a reading with a number, or give it back to the model with ``live``."""
        self.lookup(name)
        if text.strip().lower() == LIVE:
            self._overrides.pop(name, None)
        else:
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"value must be a number or {LIVE!r}, got {text!r}") from None
            if not math.isfinite(value):
                raise ValueError(f"value must be finite, got {text!r}")
            self._overrides[name] = value
        self._offsets.pop(name, None)
        if name in self.faults.stuck:
            self.faults.stuck[name] = self._value(name)

    def fault(self, kind: str, *args: str) -> None:
        """Add a fault in the ``$system_fault`` grammar; ``garbage`` is counted as ``crc``."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; choose one of: {', '.join(FAULT_KINDS)}")
        if kind == "garbage":
            if len(args) != 1:
                raise ValueError("usage: $system_fault:garbage,<every_k>%")
            kind = "crc"
        if kind in ("drift", "stuck") and args:
            self.lookup(args[0])
        try:
            self.faults.add(kind, *args)
        except ValueError as error:
            raise ValueError(str(error).replace("<register>", "<reading>")) from None
        if kind == "stuck":
            self.faults.stuck[args[0]] = None
            self.faults.read(args[0], self._value(args[0]))  # frozen at its present value

    def describe_faults(self) -> str:
        """One line per active fault, or ``none``."""
        return self.faults.describe().replace("crc corrupt every", "garbage every")

    def clear_faults(self) -> None:
        """Remove every fault and what drift added; overrides stay."""
        self.faults.clear()
        self._offsets.clear()

    def reset(self) -> None:
        """No faults, no overrides: every reading live."""
        self.clear_faults()
        self._overrides.clear()

    def describe(self) -> str:
        """One line per reading: its value as a query would report it now, and its source."""
        lines = []
        for name in sorted(self.sources):
            source = "set" if name in self._overrides else "live"
            if name in self.faults.stuck:
                source += ", stuck"
            elif name in self.faults.drift:
                source += ", drifting"
            lines.append(f"{name} = {self.peek(name):.9g} ({source})")
        return "\n".join(lines)
