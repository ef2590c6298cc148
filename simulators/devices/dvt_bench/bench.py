"""The bench the three instruments share: one :class:`BenchModel`, its lock and its clock.

Nothing runs in the background. Every access goes through :meth:`Bench.current`,
which takes the lock and first advances the model by the simulated time that
has passed since the previous access (one ``tick(now - last)``). A reading
therefore always reflects the physics up to this instant, whichever instrument
asks, and an idle bench costs nothing. Time is read from the bench's clock:
:func:`~simulators.clock.default_clock` (``SIMULATORS_CLOCK_SPEED``) unless a
clock is given, e.g. a :class:`~simulators.clock.ManualClock` in tests.

>>> from simulators.clock import ManualClock
>>> from simulators.devices.dvt_bench.bench import Bench
>>> clock = ManualClock()
>>> bench = Bench(clock=clock)
>>> with bench.current() as model:
...     model.chamber_setpoint_c = 85.0
>>> clock.advance(60.0)  # at 10 C/min the air has climbed 10 C
>>> with bench.current() as model:
...     print(round(model.chamber_air_c, 6))
35.0
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import yaml

from simulators.clock import Clock, default_clock
from simulators.physics import BenchModel, BenchParams

__all__ = ["PROFILE", "PSU_CURRENT_LIMIT_A", "Bench", "load_params"]

#: The bench parameters shipped with the package: the reference station's bench
#: (doc/reference_station.rst).
PROFILE = Path(__file__).with_name("profile.yaml")
#: Supply current limit at power-up and after ``*RST`` (A); the profile has no such key.
PSU_CURRENT_LIMIT_A = 1.0


def load_params(source: str | Path | Mapping[str, object] | None = None) -> BenchParams:
    """Bench parameters from a YAML file shaped like the package's ``profile.yaml``, or a mapping.

    Without ``source``, the package's ``profile.yaml``. Raises ValueError with
    one line naming the file and what is wrong.
    """
    if isinstance(source, Mapping):
        return BenchParams.from_mapping(source)
    path = PROFILE if source is None else Path(source)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"cannot read bench parameters from {path}: {error}") from None
    try:
        return BenchParams.from_mapping(data if data is not None else {})
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from None


class Bench:
    """The physical bench behind the chamber, the power supply and the DMM.

    ``params`` default to the package's profile. The clock may be given now or
    later with :meth:`use_clock`, as long as no time has been read from another
    one; the bench's time starts when its clock is fixed (or at the first access).
    """

    def __init__(self, params: BenchParams | None = None, clock: Clock | None = None) -> None:
        self.params = params if params is not None else load_params()
        self.lock = threading.RLock()
        self._clock: Clock | None = None
        self._last: float | None = None  # clock reading the model was last advanced to
        self.model = self._new_model()
        if clock is not None:
            self.use_clock(clock)

    def _new_model(self) -> BenchModel:
        return BenchModel(self.params, psu_current_limit_a=PSU_CURRENT_LIMIT_A)

    @property
    def clock(self) -> Clock:
        """The clock the bench follows (the process-wide default if none was given)."""
        with self.lock:
            if self._clock is None:
                self._clock = default_clock()
            return self._clock

    def use_clock(self, clock: Clock) -> None:
        """Follow ``clock`` from now on; ValueError if another clock is already in use."""
        with self.lock:
            if clock is self._clock:
                return
            if self._last is not None:
                raise ValueError(
                    "the bench already follows another clock: give every instrument the same one"
                )
            self._clock = clock
            self._last = clock.monotonic()

    def advance(self) -> float:
        """Bring the model up to the clock's present; return the simulated seconds ticked."""
        with self.lock:
            now = self.clock.monotonic()
            if self._last is None:
                self._last = now
                return 0.0
            elapsed = now - self._last
            if elapsed <= 0:
                return 0.0
            self.model.tick(elapsed)
            self._last = now
            return elapsed

    @contextmanager
    def current(self) -> Iterator[BenchModel]:
        """Hold the bench and yield its model, advanced to this instant."""
        with self.lock:
            self.advance()
            yield self.model

    def reset_chamber(self) -> None:
        """The thermal part back to power-up: air, DUT case, setpoint, ramp, stability.

        The supply's settings and the load are kept; the DUT's electrical state
        follows the reset temperatures at once.
        """
        with self.current() as old:
            fresh = self._new_model()
            fresh.psu_voltage_setpoint_v = old.psu_voltage_setpoint_v
            fresh.psu_current_limit_a = old.psu_current_limit_a
            fresh.load_current_a = old.load_current_a
            fresh.psu_output_on = old.psu_output_on
            self.model = fresh

    def reset_supply(self) -> None:
        """The supply back to power-up: output off, profile voltage, default current limit."""
        with self.current() as model:
            model.psu_output_on = False
            model.psu_voltage_setpoint_v = self.params.psu_voltage_v
            model.psu_current_limit_a = PSU_CURRENT_LIMIT_A
