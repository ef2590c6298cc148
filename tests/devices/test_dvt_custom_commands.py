"""The bench instruments' custom commands: readings, value and response faults, errors, resets."""

from __future__ import annotations

import pytest

from simulators.common import Reply
from tests.devices.dvt_rig import (
    AMBIENT_C,
    LOAD_A,
    V0,
    Rig,
    ask,
    custom,
    error,
    number,
    send,
    steady_vout,
)

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
        (
            ("drift", "voltage"),
            "error: fault: usage: $system_fault:drift,<reading>,<step>[,<sigma>[,<seed>]]%",
        ),
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
