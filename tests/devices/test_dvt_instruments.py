"""The dvt_bench instruments one by one: identity, errors, chamber, supply, multimeter.

The Systems are driven directly on a bench that follows a manual clock (see
``dvt_rig``); the sockets are in ``test_dvt_sockets.py``.
"""

from __future__ import annotations

import math

import pytest

from simulators.devices import dvt_bench
from simulators.devices.dvt_bench.bench import PSU_CURRENT_LIMIT_A, Bench
from simulators.devices.dvt_bench.instruments import (
    OVERLOAD,
    build,
)
from simulators.utils import ManualClock
from tests.devices.dvt_rig import (
    AMBIENT_C,
    DWELL_S,
    IQ_A,
    LOAD_A,
    RATE_C_PER_S,
    TAU_S,
    V0,
    WINDOW_C,
    Rig,
    ask,
    error,
    expected_air,
    number,
    send,
)

# -- identity, common commands, errors ------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("chamber", "THERMAL-CHAMBER"),
        ("power_supply", "POWER-SUPPLY"),
        ("multimeter", "MULTIMETER"),
    ],
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
