"""The bench's shared model as the instruments see it, message framing, and the bench itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulators.devices.dvt_bench.bench import Bench, load_params
from simulators.devices.dvt_bench.instruments import (
    Multimeter,
    PowerSupply,
    ThermalChamber,
)
from simulators.devices.dvt_bench.scpi_system import MAX_LINE
from simulators.physics import BenchParams
from simulators.utils import ManualClock
from tests.devices.dvt_rig import (
    AMBIENT_C,
    TEMPCO,
    V0,
    Rig,
    ask,
    error,
    number,
    send,
    steady_vout,
)

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
