"""The value layer: what a device reports, with overrides, value faults and noise applied.

A device names its values (registers, readings) and gives a callable for each
live value. On top of it, per value:

* ``set``: an override, reported instead of the live value until set again
  (``live`` gives it back to the model), written or reset;
* ``drift``: an offset that grows by ``step`` on every read that reports it, and
  optionally seeded Gaussian noise on each such read (not accumulated);
* ``stuck``: the value at the moment it stuck, whatever happens next;
* ``noise``: seeded Gaussian noise on every read (standard deviation per value).

:class:`Values` is the one place value faults are applied, and it holds the
device's response faults too, so ``$system_fault`` has one target.

>>> from simulators.devicekit.values import Values
>>> level = {"volts": 3.3}
>>> values = Values({"voltage": lambda: level["volts"]})
>>> values.fault("drift", "voltage", "0.1")
>>> round(values.report("voltage"), 3), round(values.report("voltage"), 3)
(3.4, 3.5)
>>> values.fault("stuck", "voltage")
>>> level["volts"] = 0.0
>>> round(values.report("voltage"), 3)
3.5
>>> values.clear_faults()
>>> values.report("voltage")
0.0
>>> values.set_text("voltage", "1.25")
>>> values.report("voltage"), values.describe()
(1.25, 'voltage = 1.25 (set)')
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping

from simulators.devicekit.faults import Drift, ResponseFaults, Stuck, parse

__all__ = ["LIVE", "Values", "number_or_live"]

#: The value of ``$system_set`` that gives a reading back to the model.
LIVE = "live"


def number_or_live(text: str) -> float | None:
    """A ``$system_set`` value: a finite number, or None for ``live`` (back to the model).

    >>> from simulators.devicekit.values import number_or_live
    >>> number_or_live("2.5"), number_or_live(" Live ")
    (2.5, None)
    """
    if text.strip().lower() == LIVE:
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"value must be a number or {LIVE!r}, got {text!r}") from None
    if not math.isfinite(value):
        raise ValueError(f"value must be finite, got {text!r}")
    return value


class Values:
    """The named values of one device, the faults injected into them, and its response faults.

    ``target``: the device's word for one value, in error messages (``reading``,
    ``register``). ``resolve``: turns what a command names into a value's name
    (default: the name itself, checked). ``parse_value``: a ``$system_set``
    value (default :func:`number_or_live`). ``noise``: standard deviation per
    value, drawn from a generator seeded with ``seed`` at every reset.
    ``corruption``: ``garbage`` for a line protocol (which also takes ``crc``),
    ``crc`` for a binary one. ``drift_moves_value``: drift moves the value
    itself, as a register's content (clearing the fault stops it where it is),
    rather than adding an error to a reading (clearing the fault removes it).
    """

    def __init__(
        self,
        sources: Mapping[str, Callable[[], float]],
        *,
        target: str = "reading",
        resolve: Callable[[str], str] | None = None,
        parse_value: Callable[[str], float | None] = number_or_live,
        noise: Mapping[str, float] | None = None,
        seed: int | None = 0,
        corruption: str = "garbage",
        drift_moves_value: bool = False,
    ) -> None:
        if corruption not in ("garbage", "crc"):
            raise ValueError(f"corruption must be 'garbage' or 'crc', got {corruption!r}")
        self.sources = dict(sources)
        self.target = target
        self._resolve = resolve
        self._parse_value = parse_value
        self._noise = {name: sigma for name, sigma in (noise or {}).items() if sigma}
        self._seed = seed
        self.corruption = corruption
        self.drift_moves_value = drift_moves_value
        self.responses = ResponseFaults()
        self._overrides: dict[str, float] = {}
        self._offsets: dict[str, float] = {}  # what drift added
        self._drift: dict[str, Drift] = {}
        self._drift_noise: dict[str, random.Random] = {}  # one sequence per noisy drift
        self._frozen: dict[str, float] = {}  # the stuck values
        self._rng = random.Random(seed)

    # -- reads -----------------------------------------------------------------

    def report(self, name: str) -> float:
        """What a read reports: a drifting value moves by its step first, noise is drawn last.

        A noisy drift's noise is added to this read only: the drift accumulates without it.
        """
        if name in self._frozen:
            value = self._frozen[name]
        else:
            drift = self._drift.get(name)
            if drift is not None:
                self._offsets[name] = self._offsets.get(name, 0.0) + drift.step
            override = self._overrides.get(name)  # _live(), inlined: every read comes here
            value = self.sources[name]() if override is None else override
            value += self._offsets.get(name, 0.0)
            if drift is not None and drift.sigma:
                value += self._drift_noise[name].gauss(0.0, drift.sigma)
        sigma = self._noise.get(name)
        if sigma:
            value += self._rng.gauss(0.0, sigma)
        return value

    def value(self, name: str) -> float:
        """What a read would report now, without moving a drift or drawing noise."""
        if name in self._frozen:
            return self._frozen[name]
        return self._live(name)

    def _live(self, name: str) -> float:
        override = self._overrides.get(name)
        base = self.sources[name]() if override is None else override
        return base + self._offsets.get(name, 0.0)

    # -- changes ---------------------------------------------------------------

    def lookup(self, key: str) -> str:
        """The name of the value ``key`` names; ValueError if none."""
        if self._resolve is not None:
            return self._resolve(key)
        if key not in self.sources:
            known = ", ".join(sorted(self.sources))
            raise ValueError(f"unknown {self.target} {key!r}; known: {known}")
        return key

    def set(self, name: str, value: float | None) -> None:
        """Report ``value`` for ``name`` from now on (None: the live value again).

        What drift added goes; a stuck value is frozen again at the new value.
        """
        if value is None:
            self._overrides.pop(name, None)
        else:
            self._overrides[name] = value
        self._offsets.pop(name, None)
        if name in self._frozen:
            self._frozen[name] = self._live(name)

    def set_text(self, key: str, text: str) -> None:
        """:meth:`set` from a ``$system_set:<key>,<text>%`` command."""
        name = self.lookup(key)
        self.set(name, self._parse_value(text))

    def write(self, name: str) -> bool:
        """A client wrote ``name``: False if stuck (the write is ignored), else the override
        and what drift added go and the caller stores the written value."""
        if name in self._frozen:
            return False
        self._overrides.pop(name, None)
        self._offsets.pop(name, None)
        return True

    # -- faults ----------------------------------------------------------------

    def fault(self, kind: str, *args: str) -> None:
        """Inject a fault in the ``$system_fault:<kind>,<args>%`` grammar (ValueError if bad)."""
        fault = parse(
            kind,
            args,
            resolve=self.lookup,
            target=self.target,
            garbage=self.corruption == "garbage",
        )
        if isinstance(fault, Drift):
            self._drift[fault.name] = fault
            # The name is in the seed: values drifting with one seed are not noisy in step.
            self._drift_noise[fault.name] = random.Random(f"drift {fault.name} {fault.seed}")
        elif isinstance(fault, Stuck):
            self._frozen[fault.name] = self._live(fault.name)
        else:
            self.responses.add(fault)

    def describe_faults(self) -> str:
        """One line per active fault, or ``none``."""
        lines = [_describe_drift(self._drift[name]) for name in sorted(self._drift)]
        lines += [f"stuck {name}" for name in sorted(self._frozen)]
        corruption = "garbage" if self.corruption == "garbage" else "crc corrupt"
        lines += self.responses.describe(corruption)
        return "\n".join(lines) or "none"

    def clear_faults(self) -> None:
        """Remove every fault (and what drift added, unless drift moves the value itself)."""
        self._drift.clear()
        self._drift_noise.clear()
        self._frozen.clear()
        self.responses.clear()
        if not self.drift_moves_value:
            self._offsets.clear()

    def reset(self) -> None:
        """No faults, no overrides, nothing drifted, the noise restarted from its seed."""
        self.clear_faults()
        self._offsets.clear()
        self._overrides.clear()
        self._rng = random.Random(self._seed)

    def describe(self) -> str:
        """One line per value: what a read would report now, and where it comes from."""
        lines = []
        for name in sorted(self.sources):
            source = "set" if name in self._overrides else "live"
            if name in self._frozen:
                source += ", stuck"
            elif name in self._drift:
                source += ", drifting"
            lines.append(f"{name} = {self.value(name):.9g} ({source})")
        return "\n".join(lines)


def _describe_drift(drift: Drift) -> str:
    """``drift <name> <step> per read``, and the noise with its seed if any."""
    line = f"drift {drift.name} {drift.step:+g} per read"
    if drift.sigma:
        line += f", noise sigma {drift.sigma:g} seed {drift.seed}"
    return line
