"""``--port-offset N`` on every command that reaches devices: the shipped station file, shifted.

``discos-simulator -s station --port-offset N start`` and ``mfg-ctl run PLAN
--station stations/local.yaml --port-offset N`` go together; here the station
is served in this process with the same offset (free ports, never the defaults).
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators import plugins
from simulators.launcher import Simulator
from simulators.modbus_client import ModbusClient
from tests.controller.cli.support import (
    BRINGUP,
    DMM_FAIL,
    WAIT,
    Ctl,
    assert_bringup_report,
    free_offset,
    stderr_of_a_run,
)

LOCAL = "stations/local.yaml"


@pytest.fixture
def shifted() -> Iterator[int]:
    """The reference station served at a free port offset; yields the offset."""
    offset = free_offset()
    with Simulator("station", plugins.load("station"), port_offset=offset):
        yield offset


def test_run_follows_a_station_started_with_a_port_offset(
    ctl: Ctl, shifted: int, isolated: Path, tmp_path: Path
) -> None:
    result = ctl(
        "run",
        BRINGUP,
        "--station",
        LOCAL,
        "--port-offset",
        shifted,
        "--json-out",
        tmp_path / "r.json",
    )
    assert result.status == 0, result.err
    assert_bringup_report(result.lines)
    stderr_of_a_run(result.err, isolated, devices=f"{LOCAL} (ports +{shifted})")
    ports = {d["name"]: d["port"] for d in json.loads((tmp_path / "r.json").read_text())["devices"]}
    assert ports == {
        "power_supply": 5020 + shifted,
        "actuator": 5022 + shifted,
        "dmm": 5021 + shifted,
        "thermocouple": 5023 + shifted,
    }


def test_simulate_fault_and_replay_follow_the_offset_too(
    ctl: Ctl, shifted: int, tmp_path: Path
) -> None:
    offset = ("--port-offset", shifted)
    fault = ctl("simulate-fault", "dmm", "set", "dc_voltage", "4000", *offset)
    assert (fault.status, fault.out) == (0, "ok\n")
    with ModbusClient("127.0.0.1", 5021 + shifted, timeout=WAIT) as dmm:
        assert dmm.read_input(100) == [4000]
    first = ctl("run", BRINGUP, "--station", LOCAL, *offset, "--json-out", tmp_path / "r.json")
    assert first.status == 1
    assert DMM_FAIL in first.lines
    run_id = json.loads((tmp_path / "r.json").read_text())["run_id"]
    assert ctl("simulate-fault", "dmm", "reset", "--station", LOCAL, *offset).out == "ok\n"
    again = ctl("replay", run_id[:8], "--station", LOCAL, *offset)
    assert again.status == 0
    assert_bringup_report(again.lines)


def test_an_offset_without_a_station_is_one_line(ctl: Ctl) -> None:
    result = ctl("run", BRINGUP, "--port-offset", "100")
    assert (result.status, result.out) == (2, "")
    assert result.err == "error: --port-offset shifts a station's ports: add --station FILE\n"
    replayed = ctl("replay", "abc", "--port-offset", "100")
    assert replayed.err == result.err


@pytest.mark.parametrize(
    "command",
    [
        ("run", BRINGUP, "--station", LOCAL),
        ("simulate-fault", "dmm", "faults"),
        ("serve",),
    ],
)
def test_an_offset_past_the_last_port_is_one_line(ctl: Ctl, command: tuple[str, ...]) -> None:
    result = ctl(*command, "--port-offset", "70000")
    assert result.status == 2
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert "port 5020 + offset 70000 = 75020 is out of range (1-65535)" in result.err


def closed_address() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{probe.getsockname()[1]}"


def test_tempco_shifts_the_instrument_addresses(ctl: Ctl) -> None:
    """The error names the shifted port: the offset was applied to all three addresses."""
    base = closed_address()
    host, port = base.rsplit(":", 1)
    shifted = f"{host}:{int(port) + 1}"
    result = ctl("tempco", "--chamber", base, "--psu", base, "--dmm", base, "--port-offset", "1")
    assert result.status == 3
    assert result.err.splitlines()[0] == (
        f"devices: --chamber {shifted} --psu {shifted} --dmm {shifted}"
    )
    assert result.err.splitlines()[1].startswith(f"error: {shifted}: ")


def test_tempco_offset_needs_addresses_and_ports_in_range(ctl: Ctl) -> None:
    alone = ctl("tempco", "--port-offset", "3")
    assert alone.status == 2
    assert alone.err == (
        "error: --port-offset shifts the ports of --chamber, --psu and --dmm: give them\n"
    )
    address = "127.0.0.1:65000"
    too_far = ctl(
        "tempco", "--chamber", address, "--psu", address, "--dmm", address, "--port-offset", "1000"
    )
    assert too_far.status == 2
    assert too_far.err == (
        "error: 127.0.0.1:65000: port 65000 + offset 1000 = 66000 is out of range (1-65535); "
        "give a smaller --port-offset\n"
    )
