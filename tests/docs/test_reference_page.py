"""doc/reference_station.rst agrees with the simulators: ports, register maps, exceptions, commands.

The page is a contract read by programs outside the project; these tests fail
when the page and the code drift apart, whichever of the two moved. Its
console examples (the netcat exchange, the 11-step report) run in
``tests/docs/test_examples.py``.
"""

from __future__ import annotations

import csv
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.devices._modbus import PORTS as MODBUS_PORTS
from simulators.launcher import Simulator
from simulators.modbus_client import ModbusClient, ModbusDeviceError
from simulators.profiles import resolve_profile
from simulators.protocols.modbus import UnsupportedFunction, client_framer

PAGE = Path(__file__).resolve().parents[2] / "doc" / "reference_station.rst"
WAIT = 10.0  # seconds: the bound on every reply, generous for a loaded machine
#: The register maps of the page, in its order.
DEVICES = ("power_supply", "actuator", "dmm", "thermocouple")
#: A reading of each SCPI instrument of dvt_bench, for the value faults.
SCPI_READINGS = ("temperature", "voltage", "voltage")


def tables() -> list[list[dict[str, str]]]:
    """Every ``csv-table`` of the page, as rows keyed by header (literal markup removed)."""
    found: list[list[dict[str, str]]] = []
    lines = PAGE.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        if line.strip() != ".. csv-table::":
            continue
        header: list[str] = []
        rows: list[str] = []
        for following in lines[number + 1 :]:
            if following and not following.startswith("   "):
                break
            if following.strip().startswith(":header:"):
                header = next(
                    csv.reader([following.split(":header:", 1)[1].strip()], skipinitialspace=True)
                )
            elif following.strip() and not following.strip().startswith(":"):
                rows.append(following.strip())
        names = [plain(name) for name in header]
        found.append(
            [
                dict(zip(names, map(plain, row), strict=True))
                for row in csv.reader(rows, skipinitialspace=True)
            ]
        )
    return found


def plain(cell: str) -> str:
    """A cell without its reStructuredText literal markup."""
    return cell.replace("``", "").strip()


def ports(text: str) -> list[int]:
    """``6000 / 6001 / 6002`` or ``5020-5023`` or ``5020`` as a list of ports."""
    if "-" in text:
        low, high = map(int, text.split("-"))
        return list(range(low, high + 1))
    return [int(port) for port in text.split("/")]


def register_rows() -> Iterator[tuple[str, dict[str, str]]]:
    """(device, row) for every row of the four register maps."""
    maps = [table for table in tables() if "address" in table[0]]
    assert len(maps) == len(DEVICES)
    for device, table in zip(DEVICES, maps, strict=True):
        for row in table:
            yield device, row


def test_the_ports_table_is_every_built_in_simulator_and_its_default_ports() -> None:
    shown = {row["simulator (-s)"]: ports(row["port(s)"]) for row in tables()[0]}
    served = {}
    for name in plugins.discover():
        entries = plugins.entries(plugins.load(name))
        addresses = [a for entry in entries for a in (entry.listening, entry.sending) if a]
        served[name] = [port for _, port in addresses]
    assert shown == served


def test_the_register_maps_are_the_profiles() -> None:
    for device, row in register_rows():
        profile = resolve_profile(device)
        addresses = ports(row["address"])
        names = re.findall(r"\w+", row["name"].replace("..", " "))
        specs = [spec for spec in profile.registers if spec.address in addresses]
        if len(names) == 2 and len(addresses) > 2:  # channel_0 .. channel_3
            assert [spec.name for spec in specs] == [f"channel_{i}" for i in range(4)]
        else:
            assert [spec.name for spec in specs] == names, (device, row)
        for spec in specs:
            assert spec.table == row["table"], (device, spec.name)
            assert ("rw" if spec.writable else "ro") == row["access"], (device, spec.name)
            if row.get("values"):
                values, _, unit = row["values"].partition(" ")
                assert spec.describe_values() == values, (device, spec.name)
                assert f"({spec.unit})" == unit or not unit, (device, spec.name)
        assert len(specs) == len(addresses), (device, row)
    every_register = {(device, row["name"]) for device, row in register_rows()}
    assert len(every_register) == sum(
        1 if "channel" not in spec.name or spec.name == "channel_0" else 0
        for device in DEVICES
        for spec in resolve_profile(device).registers
    )


@pytest.fixture(scope="module")
def station() -> Iterator[dict[str, int]]:
    """The station on free ports: device name -> port."""
    with Simulator("station", plugins.load("station"), ephemeral=True) as simulator:
        yield {
            device: address.port
            for device, address in zip(MODBUS_PORTS, simulator.addresses, strict=True)
        }


def test_the_numeric_defaults_are_what_the_devices_answer(station: dict[str, int]) -> None:
    for device, row in register_rows():
        default = row.get("default behaviour", row.get("default", ""))
        if not re.fullmatch(r"[\d, ]+", default):
            continue  # a behaviour (readbacks, position): the session examples show it
        expected = [int(value) for value in default.split(",")]
        addresses = ports(row["address"])
        with ModbusClient("127.0.0.1", station[device], timeout=WAIT) as client:
            read = client.read_holding if row["table"] == "holding" else client.read_input
            if len(expected) == 1:
                expected *= len(addresses)
            assert [read(address)[0] for address in addresses] == expected, (device, row)


def test_refused_requests_answer_the_documented_exceptions(station: dict[str, int]) -> None:
    text = " ".join(PAGE.read_text(encoding="utf-8").split())
    assert "a write of a value outside the register's values: exception 3" in text
    assert "an address that is not in the device's map: exception 2" in text
    assert "exception 1 (illegal function), sent with the function code | 0x80" in text
    with ModbusClient("127.0.0.1", station["power_supply"], timeout=WAIT) as client:
        with pytest.raises(ModbusDeviceError) as outside:
            client.write_register(0, 3001)
        with pytest.raises(ModbusDeviceError) as unmapped:
            client.read_holding(50)
    assert (outside.value.code, unmapped.value.code) == (3, 2)
    # Function 0x01 (read coils), in the custom framing: one 8-byte exception frame back.
    with socket.create_connection(("127.0.0.1", station["power_supply"]), WAIT) as raw:
        raw.settimeout(WAIT)
        raw.sendall(client_framer("custom").encode(UnsupportedFunction(1, 0x01, bytes(4))))
        answer = b""
        while len(answer) < 8:
            chunk = raw.recv(8 - len(answer))
            assert chunk, "connection closed"
            answer += chunk
    assert (answer[1], answer[2]) == (0x81, 1)


def commands(register: str) -> Iterator[tuple[str, list[str]]]:
    """Each command of the page's table, with arguments, as (name, args)."""
    (table,) = [table for table in tables() if "command" in table[0]]
    arguments = {
        "<register>": register,
        "<value>": "7",
        "<step>": "1",
        "<ms>": "1",
        "<every_k>": "1000",
    }
    for row in table:
        match = re.fullmatch(r"\$system_(\w+)(?::(.*))?%", row["command"].replace("[", ""))
        assert match, row["command"]
        given = (match.group(2) or "").replace("]", "").split(",")
        args = [arguments.get(arg, arg) for arg in given if arg]
        yield match.group(1), args


def test_every_modbus_and_scpi_device_answers_the_custom_commands(
    station: dict[str, int],
) -> None:
    first_register: dict[str, str] = {}
    for device, row in register_rows():
        first_register.setdefault(device, row["name"].split()[0])
    targets = [(port, first_register[device]) for device, port in station.items()]
    with Simulator("dvt_bench", plugins.load("dvt_bench"), ephemeral=True) as bench:
        targets += [(a.port, r) for a, r in zip(bench.addresses, SCPI_READINGS, strict=True)]
        for port, register in targets:
            with Client("127.0.0.1", port, timeout=WAIT) as client:
                for name, args in commands(register):
                    reply = client.custom(name, *args)
                    if name == "faults":
                        # drift, stuck, delay, crc (garbage on SCPI) and drop, one line each
                        assert len(reply.splitlines()) == 5, (port, reply)
                        assert "error" not in reply, (port, reply)
                    else:
                        assert reply == "ok", (port, name, args, reply)
                assert client.custom("fault", "drift", "no_such_register", 1).startswith("error:")
