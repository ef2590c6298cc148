"""TempCo characterisation: the pure fit and verdict, and full sweeps on the simulated bench."""

from __future__ import annotations

import math
import random
import time
from datetime import UTC, datetime

import pytest

from mfg_ctl.drivers import (
    InstrumentError,
    InstrumentReportedError,
    InstrumentTimeoutError,
    ScpiChamberDriver,
    ScpiMultimeterDriver,
    ScpiPowerSupplyDriver,
    open_transport,
)
from mfg_ctl.steps.tempco import SIMULATED_SPEED
from mfg_ctl.tempco import (
    Fit,
    StabilityTimeoutError,
    TempcoPoint,
    TempcoReading,
    TempcoSettings,
    evaluate,
    fit_line,
    points_of,
    run_sweep,
    tempco_ppm_per_c,
)
from simulators import plugins
from simulators.client import Client
from simulators.clock import SimulatedClock
from simulators.launcher import Simulator

#: Simulated seconds per real second for the sweeps, as mfg-ctl's simulated bench
#: runs. The default sweep is about 1,760 s of chamber time: under a second of
#: wall time. A long jump of the clock costs one request a bounded number of model
#: sub-steps, so a busy machine slows the sweep's polls, never the model.
SPEED = SIMULATED_SPEED


def ldo(temperature_c: float, ppm: float = 50.0) -> float:
    return 3.3 * (1 + ppm * 1e-6 * (temperature_c - 25.0))


def points(temperatures, ppm: float = 50.0, bow: float = 0.0):
    return [TempcoPoint(t, t, ldo(t, ppm) + bow * (t - 42.5) ** 2) for t in temperatures]


# --- fit and tempco ---------------------------------------------------------------------


def test_fit_of_an_exact_line():
    xs = [-40.0, 0.0, 25.0, 85.0, 125.0]
    fit = fit_line(xs, [2.0 * x + 1.0 for x in xs])
    assert fit.slope == pytest.approx(2.0)
    assert fit.intercept == pytest.approx(1.0)
    assert fit.r_squared == pytest.approx(1.0)
    assert fit.at(10.0) == pytest.approx(21.0)


def test_fit_against_a_hand_computed_example():
    fit = fit_line([0, 1, 2], [1, 3, 2])  # residuals -0.5, 1, -0.5 of a total 2
    assert (fit.slope, fit.intercept, fit.r_squared) == pytest.approx((0.5, 1.5, 0.25))


def test_fit_of_noisy_data_recovers_the_line():
    rng = random.Random(7)
    xs = [x / 2 for x in range(-80, 251)]
    ys = [0.5 * x + 3.0 + rng.gauss(0.0, 0.5) for x in xs]
    fit = fit_line(xs, ys)
    assert fit.slope == pytest.approx(0.5, abs=0.005)
    assert fit.intercept == pytest.approx(3.0, abs=0.1)
    assert 0.99 < fit.r_squared < 1.0


def test_fit_of_a_flat_line():
    assert fit_line([1, 2, 3], [4, 4, 4]) == Fit(0.0, 4.0, 1.0)


@pytest.mark.parametrize(
    ("xs", "ys", "message"),
    [
        ([1, 2], [1], "as many xs as ys"),
        ([1], [1], "at least two distinct x"),
        ([], [], "at least two distinct x"),
        ([3, 3], [1, 2], "at least two distinct x"),
        ([1, math.nan], [1, 2], "finite numbers"),
    ],
)
def test_fit_refuses_what_has_no_line(xs, ys, message):
    with pytest.raises(ValueError, match=message):
        fit_line(xs, ys)


def test_tempco_is_the_slope_relative_to_the_output_at_the_reference():
    fit = fit_line([-40, 125], [ldo(-40), ldo(125)])
    assert tempco_ppm_per_c(fit) == pytest.approx(50.0)
    # Relative to the output at 125 C, the same slope is a little less.
    assert tempco_ppm_per_c(fit, reference_c=125.0) == pytest.approx(50.0 / 1.005)
    with pytest.raises(ValueError, match="fitted output is 0 at 0 C"):
        tempco_ppm_per_c(Fit(1.0, 0.0, 1.0), reference_c=0.0)


# --- verdicts ---------------------------------------------------------------------------


def test_pass_detail():
    result = evaluate(points([-40, 0, 25, 85, 125], ppm=49.97))
    assert result.passed
    assert result.detail == (
        "tempco 49.97 ppm/C, expected 50 +/- 5 (delta 0.03); 5 points, r^2 1.00000"
    )


def test_out_of_limits_fails():
    result = evaluate(points([-40, 125], ppm=56.0))
    assert result.verdict == "fail"
    assert result.ppm_per_c == pytest.approx(56.0)
    assert result.detail.startswith("tempco 56.00 ppm/C, expected 50 +/- 5 (delta 6.00)")


def test_limits_are_inclusive_and_configurable():
    settings = TempcoSettings(expected_ppm_per_c=-20.0, tolerance_ppm_per_c=1.0)
    assert evaluate(points([0, 100], ppm=-21.0), settings).passed
    assert not evaluate(points([0, 100], ppm=-21.01), settings).passed
    assert evaluate(points([0, 100], ppm=55.0)).passed


def test_a_curved_output_fails_on_r_squared():
    curved = points([-40, 0, 25, 85, 125], bow=2e-6)
    result = evaluate(curved)
    assert result.verdict == "fail"
    assert result.detail.endswith(" below 0.99")
    assert evaluate(curved, TempcoSettings(min_r_squared=0.5)).passed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"temperatures_c": (25.0,)}, "needs >= 2 distinct"),
        ({"temperatures_c": (25.0, 25.0)}, "needs >= 2 distinct"),
        ({"temperatures_c": (0.0, math.inf)}, "needs >= 2 distinct finite"),
        ({"readings_per_point": 0}, "readings_per_point must be >= 1"),
        ({"readings_per_point": True}, "readings_per_point must be >= 1"),
        ({"min_r_squared": 1.5}, r"min_r_squared must be within \[0, 1\]"),
        ({"clock_speed": 0.0}, "clock_speed must be a finite number > 0"),
        ({"stability_timeout_s": math.nan}, "stability_timeout_s must be"),
        ({"soak_s": -1.0}, "soak_s must be a finite number >= 0"),
        ({"ramp_c_per_min": 0.0}, "ramp_c_per_min must be"),
        ({"reference_c": math.nan}, "must be finite numbers"),
    ],
)
def test_settings_are_validated(changes, message):
    with pytest.raises(ValueError, match=message):
        TempcoSettings(**changes)


def test_settings_from_the_bench_defaults():
    defaults = {  # the shape of the bench parameters (BenchParams.from_mapping)
        "dut": {"parameters": {"tempco_ppm_per_c": 40.0}},
        "bench": {"psu_voltage": 12.0, "tempco_sweep_c": [-20, 60]},
    }
    settings = TempcoSettings.from_defaults(defaults, tolerance_ppm_per_c=2.0)
    assert settings.temperatures_c == (-20.0, 60.0)
    assert (settings.psu_voltage_v, settings.expected_ppm_per_c) == (12.0, 40.0)
    assert settings.tolerance_ppm_per_c == 2.0
    assert TempcoSettings.from_defaults({}) == TempcoSettings()
    with pytest.raises(ValueError, match=r"bad TempCo settings: .*unexpected keyword"):
        TempcoSettings.from_defaults({}, colour="blue")
    with pytest.raises(ValueError, match="bad TempCo settings: 'list' object has no attribute"):
        TempcoSettings.from_defaults({"bench": [1, 2]})
    with pytest.raises(ValueError, match="psu_voltage_v must be a finite number >= 0"):
        TempcoSettings.from_defaults({"bench": {"psu_voltage": -5}})


# --- the sweep on scripted instruments --------------------------------------------------


class FakeBench:
    """A chamber, supply and DMM that settle at once, following the LDO at 50 ppm/C."""

    def __init__(self, *, output_sticks: bool = False, refuse_final: bool = False) -> None:
        self.log: list[str] = []
        self.air = 25.0
        self.on = False
        self.output_sticks = output_sticks
        self.refuse_final = refuse_final

    # chamber
    def set_setpoint(self, celsius):
        self.log.append(f"setpoint {celsius:g}")
        if self.refuse_final and not self.on:
            raise InstrumentError("chamber gone")
        self.air = celsius

    def set_ramp(self, c_per_min):
        self.log.append(f"ramp {c_per_min:g}")

    def stable(self):
        return True

    def temperature(self):
        return self.air

    def product_temperature(self):  # the DUT's case, warmed by its own dissipation
        return self.air + (0.5 if self.on else 0.0)

    # supply
    def set_voltage(self, volts):
        self.log.append(f"voltage {volts:g}")

    def set_current_limit(self, amps):
        self.log.append(f"limit {amps:g}")

    def output(self, on):
        self.log.append(f"output {on}")
        self.on = on or self.output_sticks

    def output_on(self):
        return self.on

    # dmm
    def configure_dc_voltage(self):
        self.log.append("configure")

    def measure_dc_voltage(self):
        return ldo(self.air) if self.on else 0.0

    # every instrument
    def reset(self):
        self.log.append("reset")

    def check_errors(self):
        pass

    def identify(self):
        return "FAKE,BENCH,0,0"

    def close(self):
        pass

    # the rest of the interfaces, which the sweep does not use
    setpoint = ramp = voltage = current_limit = measure_voltage = measure_current = temperature
    read = measure_dc_current = measure_resistance = measure_dc_voltage


def test_sweep_order_soak_ramp_and_callback():
    fake = FakeBench()
    waits: list[float] = []
    seen: list[TempcoPoint] = []
    settings = TempcoSettings(
        temperatures_c=(0, 100), ramp_c_per_min=5, soak_s=120, clock_speed=60, final_setpoint_c=None
    )
    result = run_sweep(fake, fake, fake, settings, sleep=waits.append, on_point=seen.append)
    assert fake.log == [
        *["reset"] * 3,
        *["ramp 5", "voltage 5", "limit 0.5", "output True", "configure"],
        *["setpoint 0", "setpoint 100", "output False"],
    ]
    assert waits == [10 / 60, 2.0, 10 / 60, 2.0]  # one poll interval, then the soak
    assert seen == list(result.points)
    assert [(p.setpoint_c, p.temperature_c, p.vout_v) for p in seen] == [
        (0, 0, ldo(0)),
        (100, 100, ldo(100)),
    ]
    assert result.passed
    assert result.wall_time_s is not None


def test_each_dmm_reading_is_kept_with_its_time_and_temperatures():
    fake = FakeBench()
    settings = TempcoSettings(temperatures_c=(0, 50, 100), readings_per_point=4, clock_speed=60)
    before = datetime.now(UTC)
    result = run_sweep(fake, fake, fake, settings, sleep=lambda _: None)
    readings = [reading for point in result.points for reading in point.readings]
    assert len(readings) == 3 * 4
    for point in result.points:
        assert {(r.setpoint_c, r.chamber_c, r.dut_c) for r in point.readings} == {
            (point.setpoint_c, point.temperature_c, point.temperature_c + 0.5)
        }
        assert point.vout_v == math.fsum(r.vout_v for r in point.readings) / 4
    assert [r.vout_v for r in readings[:4]] == [ldo(0)] * 4
    assert all(before <= r.at <= datetime.now(UTC) for r in readings)
    assert [r.at for r in readings] == sorted(r.at for r in readings)
    elapsed = [r.elapsed_s for r in readings]
    assert elapsed == sorted(elapsed)
    assert elapsed[0] >= 0
    assert points_of(readings) == result.points  # the points, rebuilt from the readings alone
    assert evaluate(points_of(readings), settings).detail == result.detail


def test_points_of_keeps_a_temperature_visited_twice_apart():
    at = datetime(2025, 3, 1, tzinfo=UTC)
    visits = [(25.0, 25.1, 3.0), (25.0, 25.1, 3.2), (85.0, 84.9, 3.3), (25.0, 25.2, 3.1)]
    rows = [TempcoReading(at, t, set_c, air, air, v) for t, (set_c, air, v) in enumerate(visits)]
    points = points_of(rows)
    assert [(p.setpoint_c, p.temperature_c, len(p.readings)) for p in points] == [
        (25.0, 25.1, 2),
        (85.0, 84.9, 1),
        (25.0, 25.2, 1),
    ]
    assert points[0].vout_v == pytest.approx(3.1)
    assert points_of([]) == ()


def test_an_output_that_stays_on_is_an_error():
    fake = FakeBench(output_sticks=True)
    with pytest.raises(InstrumentError, match="output still on after switching it off"):
        run_sweep(fake, fake, fake, TempcoSettings(temperatures_c=(0, 100)), sleep=lambda _: None)


def test_a_failing_clean_up_does_not_hide_the_error():
    fake = FakeBench(refuse_final=True)

    def cancel(_seconds):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_sweep(fake, fake, fake, sleep=cancel)
    assert fake.log[-2:] == ["output False", "setpoint 25"]  # both tried


# --- full sweeps on the simulated bench -------------------------------------------------


@pytest.fixture
def bench():
    clock = SimulatedClock(speed=SPEED)
    module = plugins.load("dvt_bench")
    with Simulator("dvt_bench", module, ephemeral=True, system_kwargs={"clock": clock}) as sim:
        yield sim


def connect(bench, backend):
    chamber, psu, dmm = (str(address) for address in bench.addresses)
    return (
        ScpiChamberDriver(open_transport(chamber, backend)),
        ScpiPowerSupplyDriver(open_transport(psu, backend)),
        ScpiMultimeterDriver(open_transport(dmm, backend)),
    )


# The socket transport's full default sweep runs in tests/controller/test_tempco_cli.py.
@pytest.mark.parametrize("backend", ["visa"])
def test_full_sweep_measures_50_ppm(bench, backend):
    chamber, psu, dmm = connect(bench, backend)
    seen: list[TempcoPoint] = []
    started = time.monotonic()
    result = run_sweep(chamber, psu, dmm, TempcoSettings(clock_speed=SPEED), on_point=seen.append)
    wall = time.monotonic() - started
    print(f"{backend}: {result.detail}; {wall:.2f} s wall time")
    assert result.ppm_per_c == pytest.approx(50.0, abs=1.0)
    assert result.verdict == "pass"
    assert [p.setpoint_c for p in seen] == [-40.0, 0.0, 25.0, 85.0, 125.0]
    for point in result.points:
        assert point.temperature_c == pytest.approx(point.setpoint_c, abs=0.5)
        assert point.vout_v == pytest.approx(ldo(point.temperature_c), rel=2e-4)
    assert result.fit.r_squared > 0.9999
    assert psu.output_on() is False
    assert chamber.setpoint() == 25.0
    for driver in (chamber, psu, dmm):
        driver.close()


def test_a_chamber_that_never_settles_is_a_bounded_wait(bench):
    chamber, psu, dmm = connect(bench, "socket")
    address = bench.addresses[0]
    with Client(address.host, address.port) as client:
        assert client.custom("set", "stable", 0) == "ok"
    settings = TempcoSettings(clock_speed=SPEED, stability_timeout_s=60.0)
    with pytest.raises(StabilityTimeoutError, match=r"^chamber not stable at -40 C within 60 s"):
        run_sweep(chamber, psu, dmm, settings)
    assert psu.output_on() is False
    assert chamber.setpoint() == 25.0


def test_stability_timeout_is_a_timeout_error_naming_the_temperature():
    error = StabilityTimeoutError("x", 85.0)
    assert isinstance(error, InstrumentTimeoutError)
    assert isinstance(error, TimeoutError)
    assert error.setpoint_c == 85.0


def test_an_instrument_error_stops_the_sweep_with_the_output_off(bench):
    chamber, psu, dmm = connect(bench, "socket")
    settings = TempcoSettings(temperatures_c=(25, 200), clock_speed=SPEED)
    with pytest.raises(InstrumentReportedError, match='-222,"Data out of range"'):
        run_sweep(chamber, psu, dmm, settings)
    assert psu.output_on() is False
