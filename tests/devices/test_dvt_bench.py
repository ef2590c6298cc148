"""The dvt_bench simulator: three SCPI instruments around one shared physical model.

Most tests drive the Systems directly (``parse_chunk`` and the ``system_*``
commands through :func:`~simulators.commands.dispatch`) on a bench that follows
a :class:`ManualClock`, so simulated time moves only when a test says so. The
last section serves the simulator on ephemeral ports and talks to it over real
sockets. PyVISA's view is in ``test_dvt_pyvisa.py``.
"""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.commands import Command, dispatch
from simulators.common import Reply
from simulators.devices import dvt_bench
from simulators.devices.dvt_bench.bench import PSU_CURRENT_LIMIT_A, Bench, load_params
from simulators.devices.dvt_bench.instruments import (
    OVERLOAD,
    Multimeter,
    PowerSupply,
    ThermalChamber,
    build,
)
from simulators.devices.dvt_bench.scpi_system import MAX_LINE, ScpiInstrument
from simulators.launcher import ServeError, Simulator
from simulators.physics import BenchParams
from simulators.utils import ManualClock, SimulatedClock

# From the profile (= shared/dvt_defaults.yaml).
AMBIENT_C = 25.0
TAU_S = 30.0
RATE_C_PER_S = 10.0 / 60.0
WINDOW_C = 0.5
DWELL_S = 30.0
V0 = 3.3
TEMPCO = 50e-6
THETA_JC, THETA_CA = 15.0, 5.0
LOAD_A = 0.1
IQ_A = 50e-6


#: The profile with 1 s model steps instead of 10 ms. Every stage is solved in
#: closed form per step, so the answers agree with 100 Hz to ~1e-8 while long
#: simulated spans cost a hundredth of the CPU. The socket tests use the profile.
COARSE = {"physics": {"update_rate_hz": 1.0}}


class Rig:
    """The three instruments on one bench that follows a manual clock."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.bench = Bench(load_params(COARSE), clock=self.clock)
        self.chamber = ThermalChamber(self.bench)
        self.psu = PowerSupply(self.bench)
        self.dmm = Multimeter(self.bench)

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)


@pytest.fixture
def rig() -> Rig:
    return Rig()


def ask(instrument: ScpiInstrument, message: str) -> str:
    """Send one program message that must produce exactly one reply; return it."""
    replies = instrument.parse_chunk(message.encode() + b"\n")
    assert len(replies) == 1, replies
    assert replies[0].endswith(b"\n")
    return replies[0].decode().rstrip("\n")


def number(instrument: ScpiInstrument, message: str) -> float:
    return float(ask(instrument, message))


def send(instrument: ScpiInstrument, message: str) -> None:
    """Send a program message that must not produce a reply."""
    assert instrument.parse_chunk(message.encode() + b"\n") == []


def error(instrument: ScpiInstrument) -> str:
    return ask(instrument, "SYST:ERR?")


def custom(instrument: ScpiInstrument, name: str, *args: str) -> str:
    return dispatch(instrument, Command(name, args))


def expected_air(t_s: float, start: float, target: float) -> float:
    """The chamber air, in closed form: linear at the ramp rate, then first-order."""
    gap = abs(target - start)
    sign = math.copysign(1.0, target - start)
    knee = RATE_C_PER_S * TAU_S
    linear_s = max(0.0, (gap - knee) / RATE_C_PER_S)
    if t_s <= linear_s:
        return start + sign * RATE_C_PER_S * t_s
    return target - sign * min(gap, knee) * math.exp(-(t_s - linear_s) / TAU_S)


def steady_vout(air_c: float, vin: float) -> float:
    """Vout once the case has settled: Tj = air + P * (theta_ca + theta_jc), solved by iteration."""
    tj = air_c
    for _ in range(20):
        vout = V0 * (1 + TEMPCO * (tj - 25))
        iq = IQ_A * (1 + 0.003 * (tj - 25))
        power = (vin - vout) * LOAD_A + vin * iq
        tj = air_c + power * (THETA_CA + THETA_JC)
    return V0 * (1 + TEMPCO * (tj - 25))


# -- identity, common commands, errors ------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [("chamber", "THERMAL-CHAMBER"), ("power_supply", "POWER-SUPPLY"), ("dmm", "MULTIMETER")],
)
def test_each_instrument_names_its_kind(name: str, kind: str) -> None:
    instrument = build(name, bench=Bench(clock=ManualClock()))
    maker, model, serial, firmware = ask(instrument, "*IDN?").split(",")
    assert (maker, model, firmware) == ("SIMULATORS", kind, "1.0")
    assert serial
    assert ask(instrument, "*OPC?;*TST?;SYST:VERS?") == "1;0;1999.0"


def test_an_unknown_instrument_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown instrument 'oven'; choose one of: chamber"):
        build("oven")
    with pytest.raises(ValueError, match="unknown instrument"):
        dvt_bench.System(instrument="oven")


@pytest.mark.parametrize("attribute", ["chamber", "psu", "dmm"])
def test_an_unknown_header_queues_113(rig: Rig, attribute: str) -> None:
    instrument = getattr(rig, attribute)
    send(instrument, "FOO:BAR 3")
    assert error(instrument) == '-113,"Undefined header"'
    assert error(instrument) == '0,"No error"'


def test_errors_stay_with_their_instrument(rig: Rig) -> None:
    send(rig.chamber, "NOPE")
    assert error(rig.psu) == '0,"No error"'
    assert error(rig.chamber) == '-113,"Undefined header"'


# -- thermal chamber --------------------------------------------------------------


def test_chamber_powers_up_at_ambient_and_stable(rig: Rig) -> None:
    assert number(rig.chamber, "TEMP:ACT?") == AMBIENT_C
    assert number(rig.chamber, "TEMP:SETP?") == AMBIENT_C
    assert ask(rig.chamber, "TEMP:STAB?") == "1"
    assert number(rig.chamber, "TEMP:RAMP?") == 10.0


def test_chamber_settings_take_units_and_limits(rig: Rig) -> None:
    send(rig.chamber, "TEMPERATURE:SETPOINT 85 CEL;RAMP 2.5")
    assert ask(rig.chamber, "TEMP:SETP?;RAMP?") == "+8.50000000E+01;+2.50000000E+00"
    assert ask(rig.chamber, "TEMP:SETP? MIN;SETP? MAX;SETP? DEF") == (
        "-7.00000000E+01;+1.80000000E+02;+2.50000000E+01"
    )
    assert ask(rig.chamber, "TEMP:RAMP? MIN;RAMP? MAXIMUM;RAMP? DEF") == (
        "+1.00000000E-01;+3.00000000E+01;+1.00000000E+01"
    )
    send(rig.chamber, "TEMP:SETP MAX;RAMP MIN")
    assert ask(rig.chamber, "TEMP:SETP?;RAMP?") == "+1.80000000E+02;+1.00000000E-01"
    send(rig.chamber, "TEMP:SETP 181")
    assert error(rig.chamber) == '-222,"Data out of range"'
    send(rig.chamber, "TEMP:RAMP 31")
    assert error(rig.chamber) == '-222,"Data out of range"'
    send(rig.chamber, "TEMP:RAMP 5 CEL")
    assert error(rig.chamber) == '-138,"Suffix not allowed"'
    send(rig.chamber, "TEMP:SETP 5 V")
    assert error(rig.chamber) == '-131,"Invalid suffix"'
    assert ask(rig.chamber, "TEMP:SETP?;RAMP?") == "+1.80000000E+02;+1.00000000E-01"


@pytest.mark.parametrize("target", [85.0, -40.0, 27.0])
def test_chamber_air_follows_the_ramp_limited_first_order_curve(rig: Rig, target: float) -> None:
    send(rig.chamber, f"TEMP:SETP {target}")
    elapsed = 0.0
    for t_s in (1.0, 30.0, 60.0, 200.0, 330.0, 345.0, 360.0, 420.0, 600.0, 900.0):
        rig.advance(t_s - elapsed)
        elapsed = t_s
        assert number(rig.chamber, "TEMP:ACT?") == pytest.approx(
            expected_air(t_s, AMBIENT_C, target), abs=1e-6
        )
    assert number(rig.chamber, "TEMP:ACT?") == pytest.approx(target, abs=1e-3)


def test_chamber_reports_stable_after_the_dwell_in_the_window(rig: Rig) -> None:
    send(rig.chamber, "TEMP:SETP 85")
    assert ask(rig.chamber, "TEMP:STAB?") == "0"
    # Linear to the knee (5 C away) in 330 s, then 30 s * ln(5 / 0.5) into the window.
    entered_s = (60.0 - RATE_C_PER_S * TAU_S) / RATE_C_PER_S + TAU_S * math.log(5.0 / WINDOW_C)
    rig.advance(entered_s - 1.0)
    assert abs(number(rig.chamber, "TEMP:ACT?") - 85.0) > WINDOW_C
    rig.advance(2.0)
    assert abs(number(rig.chamber, "TEMP:ACT?") - 85.0) <= WINDOW_C
    assert ask(rig.chamber, "TEMP:STAB?") == "0"
    rig.advance(DWELL_S - 2.0)
    assert ask(rig.chamber, "TEMP:STAB?") == "0"
    rig.advance(2.0)
    assert ask(rig.chamber, "TEMP:STAB?") == "1"


def test_a_faster_ramp_shortens_the_linear_part(rig: Rig) -> None:
    send(rig.chamber, "TEMP:RAMP 30;SETP 125")
    rig.advance(60.0)
    assert number(rig.chamber, "TEMP:ACT?") == pytest.approx(AMBIENT_C + 30.0, abs=1e-6)


def test_chamber_rst_restores_settings_but_not_the_air(rig: Rig) -> None:
    send(rig.chamber, "TEMP:SETP 100;RAMP 20")
    rig.advance(60.0)
    send(rig.chamber, "*RST")
    assert ask(rig.chamber, "TEMP:SETP?;RAMP?") == "+2.50000000E+01;+1.00000000E+01"
    assert number(rig.chamber, "TEMP:ACT?") == pytest.approx(45.0, abs=1e-6)
    rig.advance(600.0)
    assert number(rig.chamber, "TEMP:ACT?") == pytest.approx(AMBIENT_C, abs=1e-3)


# -- power supply ----------------------------------------------------------------


def test_supply_powers_up_off_at_the_profile_voltage(rig: Rig) -> None:
    assert ask(rig.psu, "OUTP?") == "0"
    assert number(rig.psu, "VOLT?") == 5.0
    assert number(rig.psu, "CURR?") == PSU_CURRENT_LIMIT_A
    assert ask(rig.psu, "MEAS:VOLT?;CURR?") == "+0.00000000E+00;+0.00000000E+00"


def test_supply_settings_and_readbacks(rig: Rig) -> None:
    send(rig.psu, "SOUR:VOLT:LEV:IMM:AMPL 6000 mV;:CURR 500 mA;:OUTP ON")
    assert ask(rig.psu, "VOLT?;CURR?;OUTP?") == "+6.00000000E+00;+5.00000000E-01;1"
    assert number(rig.psu, "MEAS:VOLT?") == 6.0
    assert number(rig.psu, "MEAS:CURR:DC?") == pytest.approx(LOAD_A + IQ_A, rel=0.05)
    send(rig.psu, "CURR 0.05")
    assert number(rig.psu, "MEAS:CURR?") == 0.05  # capped at the current limit
    send(rig.psu, "OUTPUT:STATE OFF")
    assert ask(rig.psu, "MEAS:VOLT?;:OUTP?") == "+0.00000000E+00;0"
    assert ask(rig.psu, "VOLT? MAX;VOLT? MIN;CURR? MAX;CURR? DEF") == (
        "+3.00000000E+01;+0.00000000E+00;+5.00000000E+00;+1.00000000E+00"
    )
    send(rig.psu, "VOLT 31")
    assert error(rig.psu) == '-222,"Data out of range"'
    send(rig.psu, "OUTP MAYBE")
    assert error(rig.psu) == '-141,"Invalid character data"'
    send(rig.psu, "CURR")
    assert error(rig.psu) == '-109,"Missing parameter"'


def test_supply_rst_switches_the_output_off(rig: Rig) -> None:
    send(rig.psu, "VOLT 12;CURR 2;OUTP 1")
    send(rig.psu, "*RST")
    assert ask(rig.psu, "VOLT?;CURR?;OUTP?") == "+5.00000000E+00;+1.00000000E+00;0"


# -- multimeter ------------------------------------------------------------------


def test_dmm_reads_what_its_function_is_configured_to(rig: Rig) -> None:
    send(rig.psu, "OUTP ON")
    assert ask(rig.dmm, "CONF?") == '"VOLT"'
    send(rig.dmm, "CONF:VOLT:DC")
    assert number(rig.dmm, "READ?") == pytest.approx(V0, abs=5e-3)
    send(rig.dmm, "CONF:CURR:DC 1,0.001")  # range and resolution are ignored
    assert ask(rig.dmm, "CONF?") == '"CURR"'
    assert number(rig.dmm, "READ?") == LOAD_A
    send(rig.dmm, "CONF:RES AUTO")
    assert number(rig.dmm, "READ?") == pytest.approx(V0 / LOAD_A, abs=0.05)
    send(rig.dmm, "*RST")
    assert ask(rig.dmm, "CONF?") == '"VOLT"'


def test_dmm_measure_queries_configure_too(rig: Rig) -> None:
    send(rig.psu, "OUTP ON")
    volts, amps, ohms = (
        float(value) for value in ask(rig.dmm, "MEAS:VOLT:DC?;:MEAS:CURR:DC?;:MEAS:RES?").split(";")
    )
    assert volts == pytest.approx(V0, abs=5e-3)
    assert amps == LOAD_A
    assert ohms == pytest.approx(volts / amps)
    assert ask(rig.dmm, "CONF?") == '"RES"'
    assert number(rig.dmm, "MEAS:VOLT? 10,MAX") == volts
    assert ask(rig.dmm, "CONF?") == '"VOLT"'


def test_dmm_reports_overload_for_resistance_without_current(rig: Rig) -> None:
    assert ask(rig.dmm, "MEAS:RES?") == "+9.90000000E+37"
    assert OVERLOAD == 9.9e37
    assert number(rig.dmm, "MEAS:CURR?") == 0.0


# -- the shared model --------------------------------------------------------------


def test_the_supply_powers_the_dut_the_dmm_measures(rig: Rig) -> None:
    assert number(rig.dmm, "MEAS:VOLT:DC?") == 0.0
    send(rig.psu, "VOLT 5;OUTP ON")
    assert number(rig.dmm, "MEAS:VOLT:DC?") == pytest.approx(3.3, abs=5e-3)
    send(rig.psu, "VOLT 3.0")  # below Vout + dropout: the output follows Vin - 0.3 V
    assert number(rig.dmm, "MEAS:VOLT:DC?") == pytest.approx(2.7, abs=1e-9)
    send(rig.psu, "OUTP OFF")
    assert number(rig.dmm, "MEAS:VOLT:DC?") == 0.0


def test_self_heating_raises_the_output_through_the_tempco(rig: Rig) -> None:
    send(rig.psu, "VOLT 5;OUTP ON")
    rig.advance(120.0)
    at_5v = number(rig.dmm, "MEAS:VOLT:DC?")
    assert at_5v == pytest.approx(steady_vout(AMBIENT_C, 5.0), abs=2e-6)
    assert at_5v > V0  # the LDO is above 25 C by its own dissipation
    send(rig.psu, "VOLT 12")
    at_once = number(rig.dmm, "MEAS:VOLT:DC?")  # the junction jumps, the case lags
    rig.advance(120.0)
    settled = number(rig.dmm, "MEAS:VOLT:DC?")
    assert at_5v < at_once < settled
    assert settled == pytest.approx(steady_vout(AMBIENT_C, 12.0), abs=2e-6)
    assert settled - at_5v > 2e-3  # about 15 C more at the junction


def test_the_chamber_temperature_moves_what_the_dmm_reads(rig: Rig) -> None:
    send(rig.psu, "OUTP ON")
    send(rig.chamber, "TEMP:SETP 125")
    rig.advance(1200.0)
    assert ask(rig.chamber, "TEMP:STAB?") == "1"
    hot = number(rig.dmm, "MEAS:VOLT:DC?")
    assert hot == pytest.approx(steady_vout(125.0, 5.0), abs=2e-6)
    send(rig.chamber, "TEMP:SETP -40")
    rig.advance(1500.0)
    cold = number(rig.dmm, "MEAS:VOLT:DC?")
    assert cold == pytest.approx(steady_vout(-40.0, 5.0), abs=2e-6)
    # 50 ppm/C over 165 C
    assert (hot - cold) / V0 / 165.0 == pytest.approx(TEMPCO, rel=0.01)


def test_time_passes_only_when_the_bench_is_looked_at(rig: Rig) -> None:
    send(rig.chamber, "TEMP:SETP 85")
    rig.advance(30.0)
    rig.advance(30.0)
    assert rig.bench.advance() == 60.0
    assert rig.bench.advance() == 0.0
    assert number(rig.chamber, "TEMP:ACT?") == pytest.approx(35.0, abs=1e-6)


# -- framing ---------------------------------------------------------------------


def test_bytes_may_arrive_one_at_a_time(rig: Rig) -> None:
    replies = [rig.psu.parse(bytes([byte])) for byte in b"*IDN?\r\nVOLT?\n"]
    answers = [reply for reply in replies if reply is not True]
    assert answers == [b"SIMULATORS,POWER-SUPPLY,PS0001,1.0\n", b"+5.00000000E+00\n"]
    assert rig.psu.parse_chunk(b"\n\n  \n") == []  # blank messages are not answered


def test_a_message_split_across_reads_waits_for_its_newline(rig: Rig) -> None:
    assert rig.psu.parse_chunk(b"VOLT 7;VO") == []
    assert rig.psu.parse_chunk(b"LT?") == []
    assert rig.psu.parse_chunk(b"\n*OPC?\n") == [b"+7.00000000E+00\n", b"1\n"]


def test_an_oversized_message_is_dropped_with_223(rig: Rig) -> None:
    assert rig.dmm.parse_chunk(b"X" * (MAX_LINE + 1)) == []  # no newline yet
    assert rig.dmm.parse_chunk(b"Y" * 1000) == []  # still the same message
    assert rig.dmm.parse_chunk(b"Z\n*OPC?\n") == [b"1\n"]
    assert error(rig.dmm) == '-223,"Too much data"'
    assert error(rig.dmm) == '0,"No error"'
    assert rig.dmm.parse_chunk(b"W" * MAX_LINE + b"W\n*OPC?\n") == [b"1\n"]
    assert error(rig.dmm) == '-223,"Too much data"'


# -- custom commands: readings -----------------------------------------------------


def test_set_holds_a_reading_until_changed(rig: Rig) -> None:
    send(rig.psu, "OUTP ON")
    assert custom(rig.dmm, "set", "voltage", "1.25") == "ok"
    assert number(rig.dmm, "MEAS:VOLT:DC?") == 1.25
    send(rig.psu, "OUTP OFF")
    rig.advance(100.0)
    assert number(rig.dmm, "READ?") == 1.25
    assert "voltage = 1.25 (set)" in custom(rig.dmm, "readings")
    assert custom(rig.dmm, "clear_faults") == "ok"
    assert number(rig.dmm, "READ?") == 1.25  # a set value is not a fault
    assert custom(rig.dmm, "set", "voltage", "LIVE") == "ok"
    assert number(rig.dmm, "READ?") == 0.0


def test_set_on_the_chamber_and_supply_readings(rig: Rig) -> None:
    assert custom(rig.chamber, "set", "temperature", "-12.5") == "ok"
    assert custom(rig.chamber, "set", "stable", "0") == "ok"
    assert ask(rig.chamber, "TEMP:ACT?;STAB?") == "-1.25000000E+01;0"
    assert number(rig.chamber, "TEMP:SETP?") == AMBIENT_C  # settings are not readings
    assert custom(rig.psu, "set", "current", "0.75") == "ok"
    assert number(rig.psu, "MEAS:CURR?") == 0.75


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("nope", "1"), "error: set: unknown reading 'nope'; known: current, resistance, voltage"),
        (("voltage", "abc"), "error: set: value must be a number or 'live', got 'abc'"),
        (("voltage", "nan"), "error: set: value must be finite, got 'nan'"),
        (("voltage",), "error: wrong number of arguments; usage: $system_set:<reading>,<value>%"),
    ],
)
def test_a_malformed_set_changes_nothing(rig: Rig, args: tuple[str, ...], message: str) -> None:
    assert custom(rig.dmm, "set", *args) == message
    assert number(rig.dmm, "MEAS:VOLT:DC?") == 0.0


def test_drift_moves_a_reading_on_every_query(rig: Rig) -> None:
    send(rig.psu, "VOLT 5;OUTP ON")
    assert custom(rig.psu, "fault", "drift", "voltage", "0.5") == "ok"
    assert [number(rig.psu, "MEAS:VOLT?") for _ in range(3)] == [5.5, 6.0, 6.5]
    assert number(rig.psu, "VOLT?") == 5.0  # the setting does not drift
    assert custom(rig.psu, "faults") == "drift voltage +0.5 per read"
    assert "voltage = 6.5 (live, drifting)" in custom(rig.psu, "readings")
    assert number(rig.psu, "MEAS:VOLT?") == 7.0  # readings did not move it
    assert custom(rig.psu, "set", "voltage", "2") == "ok"  # set drops what drift added
    assert number(rig.psu, "MEAS:VOLT?") == 2.5
    assert custom(rig.psu, "clear_faults") == "ok"
    assert custom(rig.psu, "faults") == "none"
    assert number(rig.psu, "MEAS:VOLT?") == 2.0


def test_clearing_faults_removes_what_drift_added(rig: Rig) -> None:
    assert custom(rig.chamber, "fault", "drift", "temperature", "-1") == "ok"
    assert number(rig.chamber, "TEMP:ACT?") == AMBIENT_C - 1
    assert number(rig.chamber, "TEMP:ACT?") == AMBIENT_C - 2
    assert custom(rig.chamber, "clear_faults") == "ok"
    assert number(rig.chamber, "TEMP:ACT?") == AMBIENT_C


def test_stuck_freezes_a_reading_at_its_present_value(rig: Rig) -> None:
    send(rig.psu, "OUTP ON")
    live = number(rig.dmm, "MEAS:CURR:DC?")
    assert custom(rig.dmm, "fault", "stuck", "current") == "ok"
    send(rig.psu, "OUTP OFF")
    assert number(rig.dmm, "MEAS:CURR:DC?") == live
    assert custom(rig.dmm, "faults") == "stuck current"
    assert "current = 0.1 (live, stuck)" in custom(rig.dmm, "readings")
    assert custom(rig.dmm, "set", "current", "0.2") == "ok"  # moves the frozen value
    assert number(rig.dmm, "MEAS:CURR:DC?") == 0.2
    assert custom(rig.dmm, "set", "current", "live") == "ok"  # re-frozen at the live value
    send(rig.psu, "OUTP ON")
    assert number(rig.dmm, "MEAS:CURR:DC?") == 0.0
    assert custom(rig.dmm, "clear_faults") == "ok"
    assert number(rig.dmm, "MEAS:CURR:DC?") == LOAD_A


def test_a_stuck_chamber_never_settles(rig: Rig) -> None:
    assert custom(rig.chamber, "fault", "stuck", "stable") == "ok"
    send(rig.chamber, "TEMP:SETP 60")
    rig.advance(100.0)
    assert ask(rig.chamber, "TEMP:STAB?") == "1"
    assert custom(rig.chamber, "fault", "stuck", "temperature") == "ok"
    rig.advance(100.0)
    frozen = number(rig.chamber, "TEMP:ACT?")
    rig.advance(100.0)
    assert number(rig.chamber, "TEMP:ACT?") == frozen
    assert custom(rig.chamber, "faults") == "stuck stable\nstuck temperature"


# -- custom commands: response faults ------------------------------------------------


def test_delay_holds_back_every_kth_answer(rig: Rig) -> None:
    assert custom(rig.psu, "fault", "delay", "250", "2") == "ok"
    assert custom(rig.psu, "faults") == "delay 250 ms every 2nd response"
    send(rig.psu, "VOLT 6")  # set commands have no answer and are not counted
    first, second, third = (rig.psu.parse_chunk(b"VOLT?\n")[0] for _ in range(3))
    assert not isinstance(first, Reply)
    assert isinstance(second, Reply)
    assert (bytes(second), second.delay_s, second.close) == (b"+6.00000000E+00\n", 0.25, False)
    assert first == third == b"+6.00000000E+00\n"


def test_drop_closes_the_connection_instead_of_answering(rig: Rig) -> None:
    assert custom(rig.psu, "fault", "drop", "1") == "ok"
    replies = rig.psu.parse_chunk(b"VOLT 8;VOLT?\nVOLT 9\n*IDN?\n")
    assert len(replies) == 1
    assert isinstance(replies[0], Reply)
    assert replies[0].close
    assert custom(rig.psu, "faults") == "drop connection every response"
    assert custom(rig.psu, "clear_faults") == "ok"
    # The dropped message ran; what followed it in the read was lost with the connection.
    assert number(rig.psu, "VOLT?") == 8.0


@pytest.mark.parametrize("kind", ["garbage", "crc"])
def test_garbage_replaces_every_kth_answer(rig: Rig, kind: str) -> None:
    assert custom(rig.dmm, "fault", kind, "3") == "ok"
    assert custom(rig.dmm, "faults") == "garbage every 3rd response"
    answers = [rig.dmm.parse_chunk(b"*IDN?\n")[0] for _ in range(6)]
    good = b"SIMULATORS,MULTIMETER,MM0001,1.0\n"
    assert answers[0] == answers[1] == answers[3] == answers[4] == good
    for bad in (answers[2], answers[5]):
        assert bad.endswith(b"\n")
        assert bad.count(b"\n") == 1
        assert len(bad) == len(good)
        assert not bad[:-1].isascii()
    assert answers[2] != answers[5]


def test_faults_combine_on_one_answer(rig: Rig) -> None:
    assert custom(rig.dmm, "fault", "garbage", "1") == "ok"
    assert custom(rig.dmm, "fault", "delay", "10") == "ok"
    (reply,) = rig.dmm.parse_chunk(b"*OPC?\n")
    assert isinstance(reply, Reply)
    assert reply.delay_s == 0.01
    assert reply != b"1\n"
    assert reply.endswith(b"\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("melt",), "error: fault: unknown fault 'melt'; choose one of: drift, stuck, delay,"),
        (("drift", "voltage"), "error: fault: usage: $system_fault:drift,<reading>,<step>%"),
        (("drift", "power", "1"), "error: fault: unknown reading 'power'; known: current,"),
        (("drift", "voltage", "x"), "error: fault: step must be a number, got 'x'"),
        (("stuck",), "error: fault: usage: $system_fault:stuck,<reading>%"),
        (("stuck", "voltage", "1"), "error: fault: usage: $system_fault:stuck,<reading>%"),
        (("delay", "-5"), "error: fault: delay must be between 0 and 60000, got -5"),
        (("delay", "10", "0"), "error: fault: every_k must be between 1 and 1000000, got 0"),
        (("drop", "often"), "error: fault: every_k must be an integer, got 'often'"),
        (("garbage",), "error: fault: usage: $system_fault:garbage,<every_k>%"),
        (("garbage", "0"), "error: fault: every_k must be between 1 and 1000000, got 0"),
        (("crc", "1", "2"), "error: fault: usage: $system_fault:crc,<every_k>%"),
        ((), "error: wrong number of arguments; usage: $system_fault:<kind>,<args>...%"),
    ],
)
def test_a_malformed_fault_answers_error_and_changes_nothing(
    rig: Rig, args: tuple[str, ...], message: str
) -> None:
    assert custom(rig.dmm, "fault", *args).startswith(message)
    assert custom(rig.dmm, "faults") == "none"


# -- custom commands: errors, reset, help --------------------------------------------


def test_push_error_queues_for_syst_err(rig: Rig) -> None:
    assert custom(rig.chamber, "push_error", "-310") == "ok"
    assert custom(rig.chamber, "push_error", "101", "Compressor", " overheated") == "ok"
    assert custom(rig.chamber, "push_error", "-350", "") == "ok"
    assert ask(rig.chamber, "SYST:ERR:COUN?") == "3"
    assert error(rig.chamber) == '-310,"System error"'
    assert error(rig.chamber) == '101,"Compressor, overheated"'
    assert error(rig.chamber) == '-350,"Queue overflow"'
    assert error(rig.chamber) == '0,"No error"'
    assert error(rig.psu) == '0,"No error"'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("x",), "error: push_error: code must be an integer, got 'x'"),
        (("0",), "error: push_error: error code 0 means 'no error' and cannot be queued"),
        (("40000",), "error: push_error: code must be between -32768 and 32767, got 40000"),
        (("-100", "a\nb"), "error: push_error: message must be printable ASCII"),
        (("-100", "caf\u00e9"), "error: push_error: message must be printable ASCII"),
        ((), "error: wrong number of arguments; usage: $system_push_error:<code>,<message>...%"),
    ],
)
def test_a_malformed_push_error_queues_nothing(
    rig: Rig, args: tuple[str, ...], message: str
) -> None:
    assert custom(rig.psu, "push_error", *args) == message
    assert error(rig.psu) == '0,"No error"'


def test_chamber_reset_restores_the_thermal_part_of_the_bench(rig: Rig) -> None:
    send(rig.psu, "VOLT 6;OUTP ON")
    send(rig.chamber, "TEMP:SETP 150;RAMP 20;NOPE")
    assert custom(rig.chamber, "fault", "delay", "10") == "ok"
    assert custom(rig.chamber, "set", "stable", "1") == "ok"
    rig.advance(300.0)
    assert custom(rig.chamber, "reset") == "ok"
    assert custom(rig.chamber, "faults") == "none"
    assert ask(rig.chamber, "TEMP:ACT?;SETP?;RAMP?;STAB?") == (
        "+2.50000000E+01;+2.50000000E+01;+1.00000000E+01;1"
    )
    assert error(rig.chamber) == '0,"No error"'
    assert ask(rig.chamber, "*ESR?") == "128"  # power-on, as after a power cycle
    # The supply and the DUT stay powered; the DUT is back at the chamber's ambient.
    assert ask(rig.psu, "OUTP?;VOLT?") == "1;+6.00000000E+00"
    assert number(rig.dmm, "MEAS:VOLT:DC?") > V0
    rig.advance(120.0)
    assert number(rig.dmm, "MEAS:VOLT:DC?") == pytest.approx(steady_vout(25.0, 6.0), abs=2e-6)


def test_supply_reset_leaves_the_chamber_alone(rig: Rig) -> None:
    send(rig.chamber, "TEMP:SETP 60")
    send(rig.psu, "VOLT 7;CURR 0.3;OUTP ON")
    rig.advance(60.0)
    assert custom(rig.psu, "reset") == "ok"
    assert ask(rig.psu, "VOLT?;CURR?;OUTP?") == "+5.00000000E+00;+1.00000000E+00;0"
    assert number(rig.chamber, "TEMP:SETP?") == 60.0
    assert number(rig.chamber, "TEMP:ACT?") == pytest.approx(35.0, abs=1e-6)


def test_dmm_reset_touches_only_the_dmm(rig: Rig) -> None:
    send(rig.psu, "OUTP ON")
    send(rig.dmm, "CONF:RES")
    assert custom(rig.dmm, "set", "resistance", "5") == "ok"
    assert custom(rig.dmm, "fault", "garbage", "1") == "ok"
    assert custom(rig.dmm, "reset") == "ok"
    assert ask(rig.dmm, "CONF?") == '"VOLT"'
    assert number(rig.dmm, "MEAS:RES?") == pytest.approx(V0 / LOAD_A, abs=0.05)
    assert ask(rig.psu, "OUTP?") == "1"


def test_help_lists_the_commands(rig: Rig) -> None:
    text = custom(rig.dmm, "help")
    for name in ("set", "fault", "faults", "clear_faults", "reset", "push_error", "readings"):
        assert f"$system_{name}" in text
    assert custom(rig.dmm, "readings").splitlines() == [
        "current = 0 (live)",
        "resistance = 9.9e+37 (live)",
        "voltage = 0 (live)",
    ]


# -- the bench ------------------------------------------------------------------------


def test_the_profile_is_the_station_defaults() -> None:
    assert load_params() == BenchParams()
    assert load_params({"bench": {"psu_voltage": 12.0}}).psu_voltage_v == 12.0


def test_bad_parameters_say_where(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"cannot read bench parameters from .*missing\.yaml"):
        load_params(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("physics: [unclosed\n")
    with pytest.raises(ValueError, match=r"cannot read bench parameters from .*broken\.yaml"):
        load_params(broken)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("bench:\n  psu_voltage: -1\n")
    with pytest.raises(ValueError, match=r"wrong\.yaml: psu_voltage_v must be"):
        load_params(wrong)
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    assert load_params(str(empty)) == BenchParams()


def test_the_bench_follows_one_clock() -> None:
    first, second = ManualClock(), ManualClock()
    bench = Bench(clock=first)
    bench.use_clock(first)
    with pytest.raises(ValueError, match="already follows another clock"):
        bench.use_clock(second)
    with pytest.raises(ValueError, match="already follows another clock"):
        ThermalChamber(bench, clock=second)
    assert PowerSupply(bench, clock=first).clock is first


def test_a_bench_without_a_clock_uses_the_default_one() -> None:
    bench = Bench()
    assert bench.advance() == 0.0  # time starts at the first access
    assert bench.clock is Multimeter(bench).clock
    assert ThermalChamber().bench is not bench  # an instrument alone gets its own bench


# -- over real sockets ---------------------------------------------------------------


@pytest.fixture
def manual() -> Iterator[tuple[Simulator, ManualClock]]:
    clock = ManualClock()
    sim = Simulator(
        "dvt_bench", plugins.load("dvt_bench"), ephemeral=True, system_kwargs={"clock": clock}
    )
    with sim:
        yield sim, clock


def connect(sim: Simulator, index: int) -> Client:
    address = sim.addresses[index]
    return Client(address.host, address.port, timeout=2.0)


def test_plugin_serves_three_ports_on_one_bench(manual: tuple[Simulator, ManualClock]) -> None:
    sim, clock = manual
    assert [entry.listening[1] for entry in plugins.entries(dvt_bench) if entry.listening] == [
        5025,
        5026,
        5027,
    ]
    assert len({address.port for address in sim.addresses}) == 3
    chamber, psu, dmm = (connect(sim, index) for index in range(3))
    with chamber, psu, dmm:
        kinds = [c.query(b"*IDN?\n").split(b",")[1] for c in (chamber, psu, dmm)]
        assert kinds == [b"THERMAL-CHAMBER", b"POWER-SUPPLY", b"MULTIMETER"]
        # *OPC? answers once the message has run: the next query elsewhere sees it.
        assert psu.query(b"VOLT 5;OUTP ON;*OPC?\n") == b"1\n"
        assert chamber.query(b"TEMP:SETP 85;*OPC?\n") == b"1\n"
        before = float(dmm.query(b"MEAS:VOLT:DC?\n"))
        clock.advance(120.0)
        assert float(chamber.query(b"TEMP:ACT?\n")) == pytest.approx(
            expected_air(120.0, 25.0, 85.0), abs=1e-6
        )
        after = float(dmm.query(b"MEAS:VOLT:DC?\n"))
        # 20 C more in the air (the case lags a little, then warms by itself)
        assert after - before == pytest.approx(V0 * TEMPCO * 20.0, rel=0.1)
        assert chamber.custom("reset") == "ok"
        assert psu.query(b"OUTP?\n") == b"1\n"


def test_a_fast_clock_lets_the_chamber_move_the_dmm_reading() -> None:
    clock = SimulatedClock(speed=100.0)
    sim = Simulator(
        "dvt_bench", plugins.load("dvt_bench"), ephemeral=True, system_kwargs={"clock": clock}
    )
    with sim, connect(sim, 0) as chamber, connect(sim, 1) as psu, connect(sim, 2) as dmm:
        assert psu.query(b"OUTP ON;*OPC?\n") == b"1\n"
        cool = float(dmm.query(b"READ?\n"))
        chamber.send(b"TEMP:RAMP 30;SETP 125\n")
        deadline = time.monotonic() + 5.0
        while float(chamber.query(b"TEMP:ACT?\n")) < 35.0:
            assert time.monotonic() < deadline, "the chamber did not heat up"
            time.sleep(0.002)
        # 10 C more in the air; the case lags it by about 2.5 C at 30 C/min
        assert float(dmm.query(b"READ?\n")) - cool > V0 * TEMPCO * 5.0


def test_every_start_builds_a_fresh_bench() -> None:
    module = plugins.load("dvt_bench")
    clock = ManualClock()
    kwargs = {"clock": clock}
    with (
        Simulator("dvt_bench", module, ephemeral=True, system_kwargs=kwargs) as one,
        Simulator("dvt_bench", module, ephemeral=True, system_kwargs=kwargs) as two,
    ):
        assert one.systems[0].bench is one.systems[2].bench  # type: ignore[attr-defined]
        assert one.systems[0].bench is not two.systems[0].bench  # type: ignore[attr-defined]
        with connect(one, 1) as psu, connect(two, 2) as dmm:
            psu.send(b"OUTP ON\n")
            assert psu.query(b"OUTP?\n") == b"1\n"
            assert dmm.query(b"MEAS:VOLT:DC?\n") == b"+0.00000000E+00\n"


def test_a_bad_keyword_is_a_serve_error() -> None:
    sim = Simulator(
        "dvt_bench", plugins.load("dvt_bench"), ephemeral=True, system_kwargs={"speed": 2}
    )
    with pytest.raises(ServeError, match="dvt_bench"):
        sim.start()


def test_faults_over_the_wire(manual: tuple[Simulator, ManualClock]) -> None:
    sim, _clock = manual
    with connect(sim, 1) as psu, connect(sim, 1) as control:
        assert control.custom("fault", "drop", "2") == "ok"
        assert psu.query(b"VOLT?\n") == b"+5.00000000E+00\n"
        psu.send(b"VOLT?\n")
        with pytest.raises(ConnectionError):
            psu.receive()
        assert control.custom("faults") == "drop connection every 2nd response"
        assert control.custom("clear_faults") == "ok"
        assert control.custom("fault", "delay", "300") == "ok"
        started = time.monotonic()
        assert control.query(b"*OPC?\n") == b"1\n"
        assert time.monotonic() - started >= 0.3
        assert control.custom("push_error", "-241") == "ok"
        assert control.custom("clear_faults") == "ok"
        assert control.query(b"SYST:ERR?\n") == b'-241,"Hardware missing"\n'


def test_partial_messages_of_two_clients_do_not_mix(
    manual: tuple[Simulator, ManualClock],
) -> None:
    sim, _clock = manual
    with connect(sim, 2) as first, connect(sim, 2) as second:
        first.send(b"*ID")
        assert second.query(b"MEAS:VOLT?\n") == b"+0.00000000E+00\n"
        first.send(b"N?\n")
        assert first.receive() == b"SIMULATORS,MULTIMETER,MM0001,1.0\n"


def test_concurrent_clients_on_all_ports_keep_answering(
    manual: tuple[Simulator, ManualClock],
) -> None:
    sim, clock = manual
    failures: list[BaseException] = []

    def hammer(index: int, query: bytes) -> None:
        try:
            with connect(sim, index) as client:
                for _ in range(50):
                    assert client.query(query).endswith(b"\n")
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [
        threading.Thread(target=hammer, args=(index, query))
        for index, query in enumerate([b"TEMP:ACT?\n", b"MEAS:CURR?\n", b"MEAS:VOLT:DC?\n"])
    ]
    for thread in threads:
        thread.start()
    for _ in range(50):
        clock.advance(1.0)
    for thread in threads:
        thread.join(timeout=5.0)
    assert not failures
    with socket.create_connection((sim.addresses[0].host, sim.addresses[0].port), 2.0) as raw:
        raw.sendall(b"TEMP:STAB?\n")
        assert raw.recv(100) == b"1\n"
