"""``$system_new_unit%SEED``: the dut becomes another unit off the line, reproducibly."""

from __future__ import annotations

import re
import statistics

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.devices.dut import DutSystem, System
from simulators.devices.dut import model as dut_model
from simulators.devices.dut.model import DutModel, unit_spread
from simulators.launcher import Simulator
from tests.devices.dut_helpers import FAULT, custom

#: Every command of the dut, over and over: what a functional test of one unit might send.
SCRIPT = [
    "*IDN?", "POWER ON", "POWER?", "LOAD 0.5", "LOAD?", "MEAS:VOLT?", "MEAS:CURR?",
    "MEAS:TEMP?", "STATUS?", "LOAD 1.5", "MEAS:VOLT?", "*RST", "POWER ON", "LOAD 3",
] * 25  # fmt: skip

UNIT_LINE = re.compile(r"unit=(\S+) nominal_voltage=(\d\.\d{4}) output_resistance=(\d\.\d{4})")


def unit_of(dut: DutSystem) -> tuple[str, float, float]:
    """What ``$system_unit%`` says: which unit, its nominal voltage and output resistance."""
    found = UNIT_LINE.fullmatch(custom(dut, "unit"))
    assert found, custom(dut, "unit")
    return found[1], float(found[2]), float(found[3])


def run_unit(seed: int, history: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """A factory-flaky dut, used for ``history`` first, made unit ``seed``: its unit and replies."""
    dut = System(system_type="factory-flaky", seed=len(history))
    for line in history:
        dut.execute(line)
    assert custom(dut, "new_unit", seed) == "ok"
    return custom(dut, "unit"), [dut.execute(line) for line in SCRIPT]


def test_the_same_seed_is_the_same_unit_with_the_same_faults_whatever_came_before():
    unit, replies = run_unit(31)
    assert run_unit(31, ("POWER ON", "LOAD 2", *["MEAS:VOLT?"] * 37)) == (unit, replies)
    codes = {reply.split()[1] for reply in replies if reply.startswith("ERR E2")}
    assert len(codes) >= 3  # faults of several parts, each at the same request in both
    assert any(reply.startswith("ERR E102 ") for reply in replies)
    other_unit, other_replies = run_unit(32)
    assert other_unit != unit
    assert other_replies != replies


def test_a_new_unit_starts_off_unloaded_and_keeps_the_profile():
    dut = DutSystem()
    dut.system_set_profile("factory-flaky", "0.3")
    dut.execute("POWER ON")
    dut.execute("LOAD 1.25")
    assert dut.system_new_unit("5") == "ok"
    assert custom(dut, "profile") == "factory-flaky rate=0.3"
    dut.system_set_profile("clean")
    assert (dut.execute("POWER?"), dut.execute("LOAD?")) == ("OFF", "0.000")
    assert dut.execute("STATUS?") == (
        "POWER=OFF LOAD=0.000 VOLT=0.0000 CURR=0.0000 TEMP=25.00 PROFILE=clean"
    )


def test_a_new_unit_restarts_the_markov_chain_in_its_good_state():
    dut = DutSystem()
    dut.system_set_profile("markov-flaky", "0.5", "0.1")
    for _ in range(100):  # drive the chain into its bad state
        if dut.execute("*IDN?") == FAULT:
            break
    assert dut.system_profile().endswith("state=bad")
    custom(dut, "new_unit", 8)
    assert dut.system_profile() == (
        "markov-flaky p_fail=0.5 p_recover=0.1 bad_failure_rate=1 state=good"
    )


def test_the_unit_answers_with_its_own_voltage_and_resistance():
    dut = DutSystem()
    assert unit_of(dut) == ("power-on", 5.0, 0.05)
    custom(dut, "new_unit", 7)
    unit, volts, ohms = unit_of(dut)
    assert unit == "7"
    assert abs(volts - 5.0) > 0.01  # this unit is well off the design value
    dut.execute("POWER ON")
    dut.execute("LOAD 1")
    expected = volts - ohms * 1.0
    assert dut.execute("STATUS?").startswith(f"POWER=ON LOAD=1.000 VOLT={expected:.4f} ")
    readings = [float(dut.execute("MEAS:VOLT?")) for _ in range(50)]
    assert statistics.fmean(readings) == pytest.approx(expected, abs=0.002)


def test_units_spread_around_the_design_values():
    spreads = [unit_spread(seed) for seed in range(2000)]
    volts = [spread.nominal_voltage_v for spread in spreads]
    ohms = [spread.output_resistance_ohm for spread in spreads]
    assert statistics.fmean(volts) == pytest.approx(5.0, abs=0.003)
    assert statistics.stdev(volts) == pytest.approx(0.02, abs=0.002)
    assert statistics.fmean(ohms) == pytest.approx(0.05, abs=0.001)
    assert statistics.stdev(ohms) / 0.05 == pytest.approx(0.2, abs=0.02)
    assert min(ohms) >= 0.01
    assert unit_spread(123) == unit_spread(123)


def test_a_wild_draw_is_clamped_to_a_sensible_unit(monkeypatch):
    monkeypatch.setattr(dut_model, "RESISTANCE_RELATIVE_SIGMA", 5.0)
    monkeypatch.setattr(dut_model, "VOLTAGE_SIGMA_V", 5.0)
    spreads = [unit_spread(seed) for seed in range(200)]
    ohms = [spread.output_resistance_ohm for spread in spreads]
    volts = [spread.nominal_voltage_v for spread in spreads]
    assert min(ohms) == 0.01
    assert max(ohms) == 0.1
    assert (min(volts), max(volts)) == (4.9, 5.1)


def test_the_model_of_a_new_unit_is_off_unloaded_and_seeded():
    unit = DutModel.new_unit(9)
    spread = unit_spread(9)
    assert (unit.nominal_voltage_v, unit.output_resistance_ohm) == (
        spread.nominal_voltage_v,
        spread.output_resistance_ohm,
    )
    assert (unit.powered, unit.load_a, unit.seed) == (False, 0.0, 9)
    assert DutModel().nominal_voltage_v == 5.0
    assert DutModel().output_resistance_ohm == 0.05


def test_new_unit_noise_is_the_noise_set_seed_gives():
    reseeded, fresh = DutSystem(), DutSystem()
    reseeded.system_set_seed("4")
    fresh.system_new_unit("4")
    for dut in (reseeded, fresh):
        dut.execute("POWER ON")
    offset = fresh.model.output_voltage_v - reseeded.model.output_voltage_v
    for _ in range(10):
        noisy = float(fresh.execute("MEAS:VOLT?")) - float(reseeded.execute("MEAS:VOLT?"))
        assert noisy == pytest.approx(offset, abs=0.00011)  # 4-decimal rounding of each


def test_pending_forced_failures_survive_a_new_unit_and_reset_brings_back_power_on():
    dut = DutSystem()
    custom(dut, "fail_next", 1)
    custom(dut, "new_unit", 3)
    assert dut.execute("*IDN?") == FAULT
    assert unit_of(dut)[0] == "3"
    assert custom(dut, "reset") == "ok"
    assert unit_of(dut) == ("power-on", 5.0, 0.05)
    dut.execute("POWER ON")
    dut.execute("LOAD 2")
    assert dut.execute("STATUS?").startswith("POWER=ON LOAD=2.000 VOLT=4.9000 ")


def test_new_unit_refuses_a_bad_seed_and_stays_the_same_unit():
    dut = DutSystem()
    custom(dut, "new_unit", 6)
    before = custom(dut, "unit")
    assert custom(dut, "new_unit", "six").startswith("error: new_unit: invalid literal")
    assert custom(dut, "new_unit") == (
        "error: wrong number of arguments; usage: $system_new_unit:<seed>%"
    )
    assert custom(dut, "unit") == before


def test_help_lists_the_unit_commands():
    text = custom(DutSystem(), "help")
    assert "$system_new_unit:<seed>%  Become a fresh unit off the line" in text
    assert "$system_unit%  Show which unit this is" in text


def test_a_new_unit_over_the_wire_leaves_the_second_unit_alone():
    with Simulator("dut", plugins.load("dut"), ephemeral=True) as sim:
        commands, _telemetry, second = sim.addresses
        with (
            Client(commands.host, commands.port, timeout=30.0) as tcp,
            Client(second.host, second.port, "udp", timeout=30.0) as udp,
        ):
            assert tcp.custom("new_unit", 7) == "ok"
            assert tcp.custom("unit").startswith("unit=7 ")
            assert udp.custom("unit") == (
                "unit=power-on nominal_voltage=5.0000 output_resistance=0.0500"
            )
