"""Station files: where devices are; bad files and missing devices fail with one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfg_ctl.plan import load_plan, parse_plan
from mfg_ctl.stations import (
    REFERENCE_PORTS,
    Endpoint,
    Station,
    StationError,
    check_covers,
    load_station,
    parse_station,
    reference_station,
)

ROOT = Path(__file__).resolve().parents[2]
SOURCE = "stations/x.yaml"

GOOD = """\
framing: modbus-tcp
description: bench 3
devices:
  power_supply: {host: 10.0.0.5, port: 502}
  dmm: {host: bench-dmm.lab, port: 5021, framing: custom, unit: 7}
  actuator: {host: "::1", port: 65535, unit: 247}
"""


def error_of(text: str) -> str:
    with pytest.raises(StationError) as caught:
        parse_station(text, SOURCE)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_good_station_gives_each_device_its_endpoint():
    station = parse_station(GOOD, SOURCE)
    assert station.description == "bench 3"
    assert station.path == Path(SOURCE)
    assert station.endpoint("power_supply") == Endpoint("10.0.0.5", 502, "modbus-tcp", 1)
    assert station.endpoint("dmm") == Endpoint("bench-dmm.lab", 5021, "custom", 7)
    assert station.endpoint("actuator") == Endpoint("::1", 65535, "modbus-tcp", 247)
    assert station.endpoint("dmm").address == "bench-dmm.lab:5021"


def test_framing_defaults_to_custom():
    station = parse_station("devices:\n  dmm: {host: h, port: 1}\n")
    assert station.endpoint("dmm") == Endpoint("h", 1, "custom", 1)


def test_local_station_is_the_reference_station_and_covers_the_bringup_plan():
    station = load_station(ROOT / "stations" / "local.yaml")
    assert dict(station.devices) == dict(reference_station().devices)
    assert {name: e.port for name, e in station.devices.items()} == {
        "power_supply": 5020,
        "dmm": 5021,
        "actuator": 5022,
        "thermocouple": 5023,
    }
    assert all(e.host == "127.0.0.1" and e.framing == "custom" for e in station.devices.values())
    assert all(e.unit == 1 for e in station.devices.values())
    check_covers(station, load_plan(ROOT / "plans" / "station_bringup.yaml"))


def test_reference_station_takes_host_offset_and_framing():
    station = reference_station("10.1.1.1", port_offset=100, framing="modbus-tcp")
    assert station.endpoint("thermocouple") == Endpoint("10.1.1.1", 5123, "modbus-tcp", 1)
    assert set(station.devices) == set(REFERENCE_PORTS)


def test_a_device_the_station_lacks_is_named_with_the_file():
    station = parse_station(GOOD, SOURCE)
    with pytest.raises(StationError) as caught:
        station.endpoint("thermocouple")
    assert str(caught.value) == (
        f"{SOURCE}: no device 'thermocouple' (devices: power_supply, dmm, actuator); "
        "add it under devices: with host and port"
    )


def test_check_covers_names_the_first_step_needing_a_missing_device():
    plan = parse_plan(
        "name: p\nsteps:\n"
        "  - {name: a, device: power_supply, register: output_enable, write: 1}\n"
        "  - {name: b, device: thermocouple, register: channel_0, range: [0, 1]}\n"
        "  - {name: c, device: thermocouple, register: channel_1, range: [0, 1]}\n",
        "plans/p.yaml",
    )
    with pytest.raises(StationError) as caught:
        check_covers(parse_station(GOOD, SOURCE), plan)
    assert str(caught.value) == (
        f"{SOURCE}: no device 'thermocouple', which plans/p.yaml needs (step 2 b); "
        "add it under devices: with host and port"
    )
    check_covers(reference_station(), plan)


BAD = [
    ("", "a station is a mapping with framing and devices, not nothing"),
    ("- a\n", "a station is a mapping with framing and devices, not a list"),
    ("devices: {dmm: {host: h, port: 1}\n", "not valid YAML at line 2, column 1"),
    (
        "devices:\n  dmm: {host: h, port: 1}\n  dmm: {host: h, port: 2}\n",
        "not valid YAML at line 3, column 3: key 'dmm' appears twice",
    ),
    ("framing: custom\n", "field devices: no devices: give devices: {NAME: {host: ..., port: ...}} "
        "(or slots: [{NAME: {...}}, ...], one per test socket)"),
    (
        "devices: {}\n",
        "field devices: no devices: give devices: {NAME: {host: ..., port: ...}} "
        "(or slots: [{NAME: {...}}, ...], one per test socket)",
    ),
    (
        "framing: serial\ndevices: {dmm: {host: h, port: 1}}\n",
        "field framing: 'serial' is not allowed: give custom or modbus-tcp",
    ),
    (
        "site: lab\ndevices: {dmm: {host: h, port: 1}}\n",
        "field site: unknown field (known: station_id, framing, description, devices, slots)",
    ),
    ("devices: {dmm: 5021}\n", "device dmm: give {host: ..., port: ...}, not a number"),
    ("devices: {dmm: {port: 1}}\n", "device dmm, field host: missing; add host: ..."),
    ("devices: {dmm: {host: h}}\n", "device dmm, field port: missing; add port: ..."),
    (
        "devices: {dmm: {host: h, port: 0}}\n",
        "device dmm, field port: 0 is not allowed: give a TCP port, 1-65535",
    ),
    (
        "devices: {dmm: {host: h, port: 65536}}\n",
        "device dmm, field port: 65536 is not allowed: give a TCP port, 1-65535",
    ),
    (
        "devices: {dmm: {host: h, port: '5021'}}\n",
        "device dmm, field port: '5021' is not allowed: give a TCP port, 1-65535",
    ),
    (
        "devices: {dmm: {host: h, port: 1, unit: 0}}\n",
        "device dmm, field unit: 0 is not allowed: give a Modbus unit id, 1-247",
    ),
    (
        "devices: {dmm: {host: h, port: 1, unit: 248}}\n",
        "device dmm, field unit: 248 is not allowed: give a Modbus unit id, 1-247",
    ),
    (
        "devices: {dmm: {host: h, port: 1, framing: rtu}}\n",
        "device dmm, field framing: 'rtu' is not allowed: give custom or modbus-tcp",
    ),
    (
        "devices: {dmm: {host: h, port: 1, baud: 9600}}\n",
        "device dmm, field baud: unknown field (known: host, port, framing, unit, protocol)",
    ),
    (
        "devices: {dmm: {host: h, port: 1, protocol: visa}}\n",
        "device dmm, field protocol: 'visa' is not allowed: give modbus, scpi or line",
    ),
    (
        "devices: {dmm: {host: h, port: 1, protocol: scpi, framing: custom}}\n",
        "device dmm, field framing: a SCPI instrument has no framing (Modbus only); drop it",
    ),
    (
        "devices: {dmm: {host: h, port: 1, protocol: scpi, unit: 1}}\n",
        "device dmm, field unit: a SCPI instrument has no unit (Modbus only); drop it",
    ),
    (
        "devices: {dmm: {host: h, port: 1, protocol: scpi, unit: 0}}\n",
        "device dmm, field unit: 0 is not allowed: give a Modbus unit id, 1-247",
    ),
    (
        "devices: {dmm: {host: 'tcp://h', port: 1}}\n",
        "device dmm, field host: 'tcp://h' is not a host: give a name or an IP address",
    ),
    (
        "devices: {dmm: {host: 'my host', port: 1}}\n",
        "device dmm, field host: 'my host' is not a host: give a name or an IP address",
    ),
    (
        "devices: {dmm: {host: 'h:5021', port: 1}}\n",
        "device dmm, field host: 'h:5021': give the port separately, as port:",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD)
def test_bad_stations_fail_with_one_line(text, message):
    assert error_of(text).startswith(f"{SOURCE}: {message}")


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(StationError) as caught:
        load_station(tmp_path / "nope.yaml")
    assert str(caught.value) == (
        f"{tmp_path / 'nope.yaml'}: cannot read the station: No such file or directory"
    )
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00devices")
    with pytest.raises(StationError, match=r"binary\.yaml: not a text file \(UTF-8 expected\)"):
        load_station(tmp_path / "binary.yaml")


def test_station_is_plain_data():
    station = Station({"dmm": Endpoint("h", 1, "custom")}, Path("s.yaml"))
    assert station.endpoint("dmm").unit == 1


SCPI_STATION = """\
framing: modbus-tcp
devices:
  chamber: {host: 10.0.0.9, port: 5025, protocol: scpi}
  supply: {host: 10.0.0.9, port: 5026, protocol: scpi}
  meter: {host: 10.0.0.9, port: 5027, protocol: scpi}
  dmm: {host: 10.0.0.7, port: 502, protocol: modbus}
"""

SCPI_PLAN = """\
name: p
devices: {chamber: {scpi: chamber}, supply: {scpi: power_supply}, meter: {scpi: multimeter}}
steps:
  - {name: a, device: dmm, register: dc_voltage, range: [0, 1]}
  - {name: b, tempco: {chamber: chamber, supply: supply, meter: meter}}
"""


def test_scpi_devices_say_protocol_scpi_and_take_no_framing():
    station = parse_station(SCPI_STATION, SOURCE)
    assert station.endpoint("chamber") == Endpoint("10.0.0.9", 5025, "custom", 1, "scpi")
    assert station.endpoint("dmm") == Endpoint("10.0.0.7", 502, "modbus-tcp", 1, "modbus")
    assert station.endpoint("dmm").protocol == "modbus"
    assert Endpoint("h", 1, "custom").protocol == "modbus"
    check_covers(station, parse_plan(SCPI_PLAN, "plans/p.yaml"))


def test_check_covers_names_the_sweep_needing_a_missing_instrument():
    station = parse_station(SCPI_STATION.replace("  supply:", "  psu:"), SOURCE)
    with pytest.raises(StationError) as caught:
        check_covers(station, parse_plan(SCPI_PLAN, "plans/p.yaml"))
    assert str(caught.value) == (
        f"{SOURCE}: no device 'supply', which plans/p.yaml needs (step 2 b); "
        "add it under devices: with host and port"
    )


@pytest.mark.parametrize(
    ("station", "message"),
    [
        (
            SCPI_STATION.replace("5026, protocol: scpi", "5026"),
            "device 'supply' is protocol modbus, but plans/p.yaml talks scpi to it (step 2 b); "
            "set protocol: scpi under devices: supply",
        ),
        (
            SCPI_STATION.replace("protocol: modbus", "protocol: scpi"),
            "device 'dmm' is protocol scpi, but plans/p.yaml talks modbus to it (step 1 a); "
            "set protocol: modbus under devices: dmm",
        ),
    ],
)
def test_check_covers_refuses_a_device_in_the_wrong_protocol(station, message):
    with pytest.raises(StationError) as caught:
        check_covers(parse_station(station, SOURCE), parse_plan(SCPI_PLAN, "plans/p.yaml"))
    assert str(caught.value) == f"{SOURCE}: {message}"
