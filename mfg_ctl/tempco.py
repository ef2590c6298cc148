"""TempCo characterisation: output voltage against temperature, as ppm per degree Celsius.

:func:`run_sweep` drives a chamber, a power supply and a DMM through their
interfaces only: it powers the DUT, takes the chamber through each temperature,
waits until the chamber reports stable, averages DMM readings, then fits a
least-squares line and judges the temperature coefficient against limits. Each
point keeps its raw readings (:class:`TempcoReading`: time, setpoint, chamber
air, DUT case, Vout), from which :func:`points_of` rebuilds the points. The rest
is pure: :func:`fit_line`, :func:`tempco_ppm_per_c` and :func:`evaluate`.

Waits are bounded in real time. ``stability_timeout_s``, ``poll_interval_s``
and ``soak_s`` are in the chamber's seconds; ``clock_speed`` says how many of
them pass per real second (1 for real instruments, the simulator's
``SIMULATORS_CLOCK_SPEED`` otherwise), and every wait is divided by it.

>>> fit = fit_line([-40, 25, 125], [3.289275, 3.3, 3.3165])
>>> round(tempco_ppm_per_c(fit), 2)
50.0
>>> evaluate([TempcoPoint(t, t, 3.3 * (1 + 50e-6 * (t - 25))) for t in (0, 85)]).detail
'tempco 50.00 ppm/C, expected 50 +/- 5 (delta 0.00); 2 points, r^2 1.00000'
"""

from __future__ import annotations

import contextlib
import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from mfg_ctl.drivers import ChamberDriver, InstrumentError, MultimeterDriver, PowerSupplyDriver
from mfg_ctl.drivers.transport import InstrumentTimeoutError
from mfg_ctl.run.events import SweepReading

__all__ = [
    "Fit",
    "StabilityTimeoutError",
    "TempcoPoint",
    "TempcoReading",
    "TempcoResult",
    "TempcoSettings",
    "evaluate",
    "fit_line",
    "points_of",
    "run_sweep",
    "tempco_ppm_per_c",
]


class StabilityTimeoutError(InstrumentTimeoutError):
    """The chamber did not report stable at :attr:`setpoint_c` in time."""

    def __init__(self, message: str, setpoint_c: float) -> None:
        super().__init__(message)
        self.setpoint_c = setpoint_c


@dataclass(frozen=True)
class Fit:
    """A least-squares line ``y = slope * x + intercept`` and its coefficient of determination."""

    slope: float
    intercept: float
    r_squared: float

    def at(self, x: float) -> float:
        """The line's value at ``x``."""
        return self.slope * x + self.intercept


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> Fit:
    """Fit ``ys`` against ``xs`` by least squares; ValueError unless >= 2 distinct xs."""
    if len(xs) != len(ys):
        raise ValueError(f"fit needs as many xs as ys, got {len(xs)} and {len(ys)}")
    if not all(math.isfinite(value) for value in (*xs, *ys)):
        raise ValueError("fit needs finite numbers")
    n = len(xs)
    mean_x = math.fsum(xs) / n if n else 0.0
    mean_y = math.fsum(ys) / n if n else 0.0
    sxx = math.fsum((x - mean_x) ** 2 for x in xs)
    if sxx == 0.0:
        raise ValueError("fit needs at least two distinct x values")
    sxy = math.fsum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    ss_res = math.fsum((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys, strict=True))
    ss_tot = math.fsum((y - mean_y) ** 2 for y in ys)
    r_squared = 1.0 - ss_res / ss_tot if ss_tot > 0.0 else 1.0
    return Fit(slope, intercept, r_squared)


def tempco_ppm_per_c(fit: Fit, reference_c: float = 25.0) -> float:
    """The fit's slope relative to its value at ``reference_c``, in ppm per degree Celsius."""
    reference = fit.at(reference_c)
    if reference == 0.0:
        raise ValueError(f"the fitted output is 0 at {reference_c:g} C: no relative tempco")
    return fit.slope / reference * 1e6


def _positive(name: str, value: float, *, zero: bool = False) -> None:
    ok = math.isfinite(value) and (value >= 0 if zero else value > 0)
    if not ok:
        raise ValueError(f"{name} must be a finite number {'>=' if zero else '>'} 0, got {value!r}")


@dataclass(frozen=True)
class TempcoSettings:
    """What to sweep, how to power and measure, how long to wait, and the limits.

    Defaults follow ``dvt_defaults.yaml``: the sweep -40..125 C at 5 V in, and
    an LDO specified at 50 +/- 5 ppm/C whose output is a straight line
    (``r^2 >= 0.99``). An hour per point (chamber time) covers a 165 C step at
    10 C/min with margin. ``final_setpoint_c`` (None: leave it) is where the
    chamber is sent afterwards.
    """

    temperatures_c: tuple[float, ...] = (-40.0, 0.0, 25.0, 85.0, 125.0)
    psu_voltage_v: float = 5.0
    psu_current_limit_a: float = 0.5
    readings_per_point: int = 5
    expected_ppm_per_c: float = 50.0
    tolerance_ppm_per_c: float = 5.0
    min_r_squared: float = 0.99
    reference_c: float = 25.0
    ramp_c_per_min: float | None = None
    stability_timeout_s: float = 3600.0
    poll_interval_s: float = 10.0
    soak_s: float = 0.0
    clock_speed: float = 1.0
    final_setpoint_c: float | None = 25.0
    dut_probe: bool = True  # the chamber's product probe on the DUT case (TEMP:PROD?)

    def __post_init__(self) -> None:
        temperatures = tuple(float(t) for t in self.temperatures_c)
        object.__setattr__(self, "temperatures_c", temperatures)
        if len(set(temperatures)) < 2 or not all(math.isfinite(t) for t in temperatures):
            raise ValueError(
                f"temperatures_c needs >= 2 distinct finite values, got {temperatures}"
            )
        if isinstance(self.readings_per_point, bool) or self.readings_per_point < 1:
            raise ValueError(f"readings_per_point must be >= 1, got {self.readings_per_point!r}")
        if not 0.0 <= self.min_r_squared <= 1.0:
            raise ValueError(f"min_r_squared must be within [0, 1], got {self.min_r_squared!r}")
        for name in ("stability_timeout_s", "poll_interval_s", "clock_speed"):
            _positive(name, getattr(self, name))
        for name in ("psu_voltage_v", "psu_current_limit_a", "tolerance_ppm_per_c", "soak_s"):
            _positive(name, getattr(self, name), zero=True)
        if self.ramp_c_per_min is not None:
            _positive("ramp_c_per_min", self.ramp_c_per_min)
        if not (math.isfinite(self.expected_ppm_per_c) and math.isfinite(self.reference_c)):
            raise ValueError("expected_ppm_per_c and reference_c must be finite numbers")

    @classmethod
    def from_defaults(cls, data: Mapping[str, Any], **overrides: Any) -> TempcoSettings:
        """Settings from a parsed ``dvt_defaults.yaml`` (sweep, supply, expected tempco)."""
        try:
            bench = data.get("bench") or {}
            dut = (data.get("dut") or {}).get("parameters") or {}
            found = {
                "temperatures_c": bench.get("tempco_sweep_c"),
                "psu_voltage_v": bench.get("psu_voltage"),
                "expected_ppm_per_c": dut.get("tempco_ppm_per_c"),
            }
            values = {key: value for key, value in found.items() if value is not None}
            return cls(**{**values, **overrides})
        except (AttributeError, TypeError) as error:
            raise ValueError(f"bad TempCo settings: {error}") from None


#: One DMM reading of a sweep with its time, setpoint, chamber air and DUT case
#: temperatures: the run's neutral record (:class:`mfg_ctl.run.events.SweepReading`),
#: so observers and the run store keep it as it is.
TempcoReading = SweepReading


@dataclass(frozen=True)
class TempcoPoint:
    """One settled temperature: what was asked, what the chamber read, the mean Vout.

    ``readings`` are the DMM readings averaged (none for a point made by hand):
    every one's ``chamber_c`` is ``temperature_c``, and their mean Vout ``vout_v``.
    """

    setpoint_c: float
    temperature_c: float
    vout_v: float
    readings: tuple[TempcoReading, ...] = ()


def points_of(readings: Iterable[TempcoReading]) -> tuple[TempcoPoint, ...]:
    """The points a sweep's readings were taken at, as :func:`run_sweep` made them.

    Consecutive readings of the same setpoint and chamber temperature are one
    point: its temperature is theirs, its Vout their mean.
    """
    points = []
    for (setpoint, chamber), group in itertools.groupby(
        readings, key=lambda reading: (reading.setpoint_c, reading.chamber_c)
    ):
        rows = tuple(group)
        points.append(
            TempcoPoint(setpoint, chamber, math.fsum(r.vout_v for r in rows) / len(rows), rows)
        )
    return tuple(points)


@dataclass(frozen=True)
class TempcoResult:
    """The points, the fit, the tempco and the verdict, with a one-line ``detail``."""

    points: tuple[TempcoPoint, ...]
    fit: Fit
    ppm_per_c: float
    verdict: Literal["pass", "fail"]
    detail: str
    settings: TempcoSettings = field(repr=False)
    wall_time_s: float | None = None

    @property
    def passed(self) -> bool:
        """Whether the verdict is pass."""
        return self.verdict == "pass"


def evaluate(points: Sequence[TempcoPoint], settings: TempcoSettings | None = None) -> TempcoResult:
    """Fit the points, compute ppm/C and judge it (and the fit's r^2) against ``settings``."""
    settings = settings if settings is not None else TempcoSettings()
    fit = fit_line([p.temperature_c for p in points], [p.vout_v for p in points])
    ppm = tempco_ppm_per_c(fit, settings.reference_c)
    expected, band = settings.expected_ppm_per_c, settings.tolerance_ppm_per_c
    delta = abs(ppm - expected)
    in_band = delta <= band + 1e-9 * max(1.0, abs(expected))
    linear = fit.r_squared >= settings.min_r_squared
    detail = (
        f"tempco {ppm:.2f} ppm/C, expected {expected:g} +/- {band:g} (delta {delta:.2f});"
        f" {len(points)} points, r^2 {fit.r_squared:.5f}"
    )
    if not linear:
        detail += f" below {settings.min_r_squared:g}"
    verdict: Literal["pass", "fail"] = "pass" if in_band and linear else "fail"
    return TempcoResult(tuple(points), fit, ppm, verdict, detail, settings)


def _wait_stable(
    chamber: ChamberDriver,
    setpoint: float,
    settings: TempcoSettings,
    sleep: Callable[[float], None],
) -> None:
    """Poll ``stable()`` every poll interval until true; raise at the (real-time) deadline."""
    speed = settings.clock_speed
    deadline = time.monotonic() + settings.stability_timeout_s / speed
    while True:
        sleep(max(0.0, min(settings.poll_interval_s / speed, deadline - time.monotonic())))
        if chamber.stable():
            return
        if time.monotonic() >= deadline:
            raise StabilityTimeoutError(
                f"chamber not stable at {setpoint:g} C within {settings.stability_timeout_s:g} s"
                f" (chamber time, clock speed {speed:g}); check the chamber"
                " or raise stability_timeout_s",
                setpoint,
            )


def _measure(
    chamber: ChamberDriver,
    multimeter: MultimeterDriver,
    setpoint: float,
    settings: TempcoSettings,
    started: float,
) -> TempcoPoint:
    """Read the air and the DUT case, the DMM ``readings_per_point`` times, then both again.

    ``started`` is when the sweep began (``time.monotonic()``): each reading's
    ``elapsed_s`` counts from it, in the chamber's seconds.
    """
    probe = chamber.product_temperature if settings.dut_probe else None
    air_before, dut_before = chamber.temperature(), probe() if probe else None
    taken: list[tuple[datetime, float, float]] = []
    for _ in range(settings.readings_per_point):
        volts = multimeter.measure_dc_voltage()
        elapsed = (time.monotonic() - started) * settings.clock_speed
        taken.append((datetime.now(UTC), elapsed, volts))
    air_after, dut_after = chamber.temperature(), probe() if probe else None
    air = (air_before + air_after) / 2.0
    dut = None if dut_before is None or dut_after is None else (dut_before + dut_after) / 2.0
    readings = tuple(
        TempcoReading(at, elapsed, setpoint, air, dut, volts) for at, elapsed, volts in taken
    )
    vout = math.fsum(volts for _, _, volts in taken) / len(taken)
    return TempcoPoint(setpoint, air, vout, readings)


def _output_off(power_supply: PowerSupplyDriver) -> None:
    power_supply.output(False)
    if power_supply.output_on():  # a query on the same connection also confirms the write has run
        raise InstrumentError("power supply output still on after switching it off")


def _finish(
    chamber: ChamberDriver,
    power_supply: PowerSupplyDriver,
    settings: TempcoSettings,
    *,
    quiet: bool,
) -> None:
    """Output off, then the chamber to its final setpoint; ``quiet`` keeps the first error."""
    steps: list[Callable[[], None]] = [lambda: _output_off(power_supply)]
    final = settings.final_setpoint_c
    if final is not None:

        def park() -> None:
            chamber.set_setpoint(final)
            chamber.check_errors()

        steps.append(park)
    for step in steps:
        if quiet:
            with contextlib.suppress(InstrumentError):
                step()
        else:
            step()


def run_sweep(
    chamber: ChamberDriver,
    power_supply: PowerSupplyDriver,
    multimeter: MultimeterDriver,
    settings: TempcoSettings | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_point: Callable[[TempcoPoint], None] | None = None,
) -> TempcoResult:
    """Run the TempCo sweep and return the judged result.

    Resets the three instruments, powers the DUT, and for each temperature sets
    the chamber, waits for ``stable()`` (:class:`StabilityTimeoutError` past
    the deadline), averages ``readings_per_point`` DC voltage readings (kept in
    the point with the chamber's air and product temperatures) and calls
    ``on_point``. The supply's output is switched off at the end, even on error.
    ``sleep`` waits between polls (real seconds): pass one that raises to cancel.
    """
    settings = settings if settings is not None else TempcoSettings()
    started = time.monotonic()
    points: list[TempcoPoint] = []
    try:
        for instrument in (chamber, power_supply, multimeter):
            instrument.reset()
        if settings.ramp_c_per_min is not None:
            chamber.set_ramp(settings.ramp_c_per_min)
        power_supply.set_voltage(settings.psu_voltage_v)
        power_supply.set_current_limit(settings.psu_current_limit_a)
        power_supply.output(True)
        multimeter.configure_dc_voltage()
        for instrument in (chamber, power_supply, multimeter):
            instrument.check_errors()
        for setpoint in settings.temperatures_c:
            chamber.set_setpoint(setpoint)
            chamber.check_errors()
            _wait_stable(chamber, setpoint, settings, sleep)
            if settings.soak_s > 0:
                sleep(settings.soak_s / settings.clock_speed)
            point = _measure(chamber, multimeter, setpoint, settings, started)
            points.append(point)
            if on_point is not None:
                on_point(point)
    except BaseException:
        _finish(chamber, power_supply, settings, quiet=True)
        raise
    _finish(chamber, power_supply, settings, quiet=False)
    return replace(evaluate(points, settings), wall_time_s=time.monotonic() - started)
