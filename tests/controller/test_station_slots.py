"""Station files with slots (test sockets): each slot sees the shared devices and its own."""

from __future__ import annotations

import pytest

from mfg_ctl.stations import MAX_SLOTS, Endpoint, StationError, parse_station

SOURCE = "stations/fixture.yaml"

TWO_UP = """\
station_id: line-1
devices:
  power_supply: {host: 127.0.0.1, port: 5020}
slots:
  - {dut: {host: 127.0.0.1, port: 6000, protocol: line}}
  - {dut: {host: 127.0.0.1, port: 6001, protocol: line}, dmm: {host: 10.0.0.7, port: 502}}
"""


def error_of(text: str) -> str:
    with pytest.raises(StationError) as caught:
        parse_station(text, SOURCE)
    message = str(caught.value)
    assert "\n" not in message
    return message


def line(port: int) -> Endpoint:
    return Endpoint("127.0.0.1", port, "custom", 1, "line")


def test_slots_parse_with_the_station_id() -> None:
    station = parse_station(TWO_UP, SOURCE)
    assert station.station_id == "line-1"
    assert station.slot_count == 2
    assert station.slots[0] == {"dut": line(6000)}
    assert station.slots[1]["dmm"] == Endpoint("10.0.0.7", 502, "custom", 1, "modbus")


def test_a_slot_merges_the_shared_devices_with_its_own() -> None:
    station = parse_station(TWO_UP, SOURCE)
    first, second = station.slot(0), station.slot(1)
    shared = Endpoint("127.0.0.1", 5020, "custom", 1, "modbus")
    assert dict(first.devices) == {"power_supply": shared, "dut": line(6000)}
    assert dict(second.devices) == {
        "power_supply": shared,
        "dut": line(6001),
        "dmm": Endpoint("10.0.0.7", 502, "custom", 1, "modbus"),
    }
    assert first.slots == ()
    assert first.slot_count == 1
    assert first.station_id == "line-1"
    assert first.endpoint("dut").port == 6000
    with pytest.raises(StationError, match="no device 'dmm' \\(devices: power_supply, dut\\)"):
        first.endpoint("dmm")


def test_a_station_without_slots_is_one_slot_of_itself() -> None:
    station = parse_station("devices: {dut: {host: h, port: 7, protocol: line}}\n", SOURCE)
    assert station.slot_count == 1
    assert station.slot(0) is station
    assert station.station_id == ""


def test_only_slots_is_a_station() -> None:
    station = parse_station(
        "slots:\n  - {dut: {host: h, port: 7, protocol: line}}\n", SOURCE
    )
    assert station.devices == {}
    assert station.slot(0).devices == {"dut": Endpoint("h", 7, "custom", 1, "line")}


def test_shifted_moves_the_shared_and_every_slot_port() -> None:
    station = parse_station(TWO_UP, SOURCE).shifted(100)
    assert station.devices["power_supply"].port == 5120
    assert [slot["dut"].port for slot in station.slots] == [6100, 6101]
    assert station.slots[1]["dmm"].port == 602
    assert station.slot(1).devices["dut"].port == 6101
    assert parse_station(TWO_UP, SOURCE).shifted(0) == parse_station(TWO_UP, SOURCE)


def test_a_shift_out_of_range_names_the_slot_and_the_device() -> None:
    text = "slots:\n  - {dut: {host: h, port: 100, protocol: line}}\n"
    with pytest.raises(StationError) as caught:
        parse_station(text, SOURCE).shifted(-200)
    assert str(caught.value) == (
        f"{SOURCE}: slot 1, device dut: port 100 + offset -200 = -100 is out of range "
        "(1-65535); give a smaller --port-offset"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "slots:\n  - {dut: {host: h, port: 5000, protocol: line}}\n"
            "  - {dut: {host: h, port: 0, protocol: line}}\n",
            "slot 2, device dut, field port: 0 is not allowed: give a TCP port, 1-65535",
        ),
        (
            "devices: {psu: {host: h, port: 1}}\nslots:\n  - {}\n",
            "field slots: slot 1 has no devices: give {NAME: {host: ..., port: ...}}",
        ),
        (
            "devices: {psu: {host: h, port: 1}}\nslots:\n  - {psu: {host: h, port: 2}}\n",
            "field slots: slot 1 names psu, which devices: already has; a device is shared "
            "(under devices:) or per slot (under slots:), not both",
        ),
        (
            "slots:\n  - {dut: {host: h, port: 2, protocol: line, unit: 3}}\n",
            "slot 1, device dut, field unit: a line device has no unit (Modbus only); drop it",
        ),
        (
            "slots:\n  - {dut: 5}\n",
            "slot 1, device dut: give {host: ..., port: ...}, not a number",
        ),
        (
            "slots:\n  - {dut: {host: h, port: 2, protocl: line}}\n",
            "slot 1, device dut, field protocl: unknown field "
            "(known: host, port, framing, unit, protocol)",
        ),
        (
            "station_id: 'st 1'\ndevices: {psu: {host: h, port: 1}}\n",
            "field station_id: station id 'st 1' is not usable: use at most 64 letters, "
            "digits, _ . - and no spaces",
        ),
        (
            "station_id: a\n",
            "field devices: no devices: give devices: {NAME: {host: ..., port: ...}} "
            "(or slots: [{NAME: {...}}, ...], one per test socket)",
        ),
    ],
    ids=[
        "bad-port", "empty-slot", "shared-and-slot", "line-unit", "not-a-mapping",
        "unknown-field", "station-id", "no-devices",
    ],
)
def test_bad_slots_name_the_slot_and_the_device(text: str, expected: str) -> None:
    assert error_of(text) == f"{SOURCE}: {expected}"


def test_at_most_max_slots() -> None:
    def slots(count: int) -> str:
        return "slots:\n" + "".join(
            f"  - {{dut: {{host: h, port: {place}, protocol: line}}}}\n"
            for place in range(1, count + 1)
        )

    assert parse_station(slots(MAX_SLOTS), SOURCE).slot_count == MAX_SLOTS
    assert error_of(slots(MAX_SLOTS + 1)) == (
        f"{SOURCE}: field slots: {MAX_SLOTS + 1} slots: give at most {MAX_SLOTS} test sockets"
    )
