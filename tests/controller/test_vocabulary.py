"""One name per thing: the controller's tables are the simulators' tables.

The controller reads most of them from the simulators' public layers (the
plugin registry, the Modbus protocol); where it keeps a copy, this pins it.
"""

from __future__ import annotations

from mfg_ctl.cli.main import FAULT_KINDS
from mfg_ctl.cli.support import FRAMINGS as FRAMING_CHOICE
from mfg_ctl.cli.tempco import INSTRUMENTS
from mfg_ctl.stations import REFERENCE_PORTS, reference_station
from mfg_ctl.steps.model import SCPI_KINDS
from simulators import plugins
from simulators.devicekit.faults import KINDS
from simulators.devices import dvt_bench
from simulators.devices._modbus import PORTS
from simulators.protocols.modbus import FRAMINGS


def test_the_reference_station_is_where_the_station_simulator_listens() -> None:
    assert REFERENCE_PORTS == PORTS == {
        "power_supply": 5020,
        "dmm": 5021,
        "actuator": 5022,
        "thermocouple": 5023,
    }
    assert {name: e.port for name, e in reference_station().devices.items()} == PORTS


def test_the_plan_kinds_are_the_instruments_the_bench_serves() -> None:
    served = [entry.kwargs["instrument"] for entry in plugins.entries(plugins.load("dvt_bench"))]
    assert tuple(served) == tuple(dvt_bench.PORTS) == SCPI_KINDS
    assert SCPI_KINDS == ("chamber", "power_supply", "multimeter")


def test_the_tempco_options_name_one_instrument_of_each_kind() -> None:
    assert INSTRUMENTS == {"chamber": "chamber", "psu": "power_supply", "dmm": "multimeter"}


def test_the_framing_option_offers_the_protocol_framings() -> None:
    assert tuple(FRAMING_CHOICE.choices) == FRAMINGS == ("custom", "modbus-tcp")


def test_the_fault_command_knows_the_modbus_faults_of_the_catalogue() -> None:
    assert tuple(kind for kind in KINDS if kind != "garbage") == FAULT_KINDS
