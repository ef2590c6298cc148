"""The fault commands, written once: what each built-in device lists and answers."""

from __future__ import annotations

import pytest

from simulators.clock import ManualClock
from simulators.commands import CustomCommand, dispatch
from simulators.common import ListeningSystem
from simulators.devicekit import FaultCommands, ResetCommand, Values
from simulators.devices._modbus.system import ModbusSystem
from simulators.devices.dut import DutSystem
from simulators.devices.dvt_bench.bench import Bench
from simulators.devices.dvt_bench.instruments import build

KIT = ("clear_faults", "fault", "faults", "reset", "set")

MODBUS_HELP = [
    "$system_clear_faults%  Remove every fault.",
    "$system_fault:<kind>,<args>...%  Inject a fault: drift,<reg>,<step>[,<sd>[,<seed>]] "
    "stuck,<reg> delay,<ms>[,<k>] crc,<k> drop,<k>.",
    "$system_faults%  List the active faults, one per line, or none.",
    "$system_reset%  Back to the profile's defaults, faults cleared.",
    "$system_set:<register>,<value>%  Overwrite a register's value "
    "(it stays until written, set again or reset).",
]
SCPI_HELP = [
    "$system_clear_faults%  Remove every fault (what drift added goes too; set values stay).",
    "$system_fault:<kind>,<args>...%  Inject a fault: drift,<r>,<step>[,<sigma>[,<seed>]] "
    "stuck,<r> delay,<ms>[,<k>] drop,<k> garbage,<k>.",
    "$system_faults%  List the active faults, one per line, or none.",
    "$system_reset%  Power-cycle: defaults, faults and set values cleared, error queue empty.",
    "$system_set:<reading>,<value>%  Report <value> for a reading until set again, reset, "
    "or set to 'live'.",
]


def kit_lines(system: object) -> list[str]:
    lines = dispatch(system, CustomCommand("help")).splitlines()
    return [line for line in lines if line.split("%")[0].split(":")[0][8:] in KIT]


@pytest.mark.parametrize("profile", ["power_supply", "dmm", "actuator", "thermocouple"])
def test_every_modbus_device_lists_the_kit_in_its_words(profile: str) -> None:
    assert kit_lines(ModbusSystem(profile)) == MODBUS_HELP


@pytest.mark.parametrize("instrument", ["chamber", "power_supply", "multimeter"])
def test_every_bench_instrument_lists_the_kit_in_its_words(instrument: str) -> None:
    system = build(instrument, bench=Bench(clock=ManualClock()))
    assert kit_lines(system) == SCPI_HELP


def test_the_dut_takes_reset_only() -> None:
    assert kit_lines(DutSystem()) == [
        "$system_reset%  Back to power-on defaults: the start-up profile and seed, output off."
    ]


def test_a_reworded_command_keeps_its_arity_and_behaviour() -> None:
    dmm = ModbusSystem("dmm")
    assert dispatch(dmm, CustomCommand("set", ("dc_voltage",))) == (
        "error: wrong number of arguments; usage: $system_set:<register>,<value>%"
    )
    assert dispatch(dmm, CustomCommand("set", ("dc_voltage", "7"))) == "ok"
    assert dmm.model.read("input", 100, 1) == [7]
    assert dispatch(dmm, CustomCommand("reset")) == "ok"
    assert dmm.model.read("input", 100, 1) == [4980]


class Gauge(ListeningSystem, FaultCommands, target="gauge"):
    """A System with the kit's defaults."""

    def __init__(self) -> None:
        self.values = Values({"bar": lambda: 1.0}, target="gauge")

    def power_on(self) -> None:
        self.values.reset()

    def parse(self, byte: bytes) -> bool:
        return True


def test_the_kit_defaults_speak_of_the_target() -> None:
    gauge = Gauge()
    assert kit_lines(gauge)[-1] == (
        "$system_set:<gauge>,<value>%  Report <value> for a gauge until set again, reset, "
        "or set to 'live'."
    )
    assert dispatch(gauge, CustomCommand("set", ("pressure", "1"))) == (
        "error: set: unknown gauge 'pressure'; known: bar"
    )
    assert dispatch(gauge, CustomCommand("fault", ("garbage", "2"))) == "ok"
    assert dispatch(gauge, CustomCommand("faults")) == "garbage every 2nd response"
    assert dispatch(gauge, CustomCommand("clear_faults")) == "ok"
    assert dispatch(gauge, CustomCommand("fault", ("stuck", "bar"))) == "ok"
    assert dispatch(gauge, CustomCommand("reset")) == "ok"
    assert dispatch(gauge, CustomCommand("faults")) == "none"


def test_a_system_must_say_how_it_powers_on() -> None:
    class Forgetful(ListeningSystem, FaultCommands):
        def parse(self, byte: bytes) -> bool:
            return True

    with pytest.raises(TypeError, match="power_on"):
        Forgetful()  # type: ignore[abstract]


def test_reset_alone_needs_no_values() -> None:
    class Switch(ResetCommand):
        on = True

        def power_on(self) -> None:
            self.on = False

    switch = Switch()
    assert dispatch(switch, CustomCommand("reset")) == "ok"
    assert not switch.on
