"""Both framings end to end with our client; ``$`` bytes inside frames; two clients at once."""

from __future__ import annotations

import time

import pytest

from simulators.modbus_client import ModbusDeviceError
from simulators.protocols.modbus import (
    FRAMINGS,
    UnsupportedFunction,
)
from tests.devices.modbus_wire import (
    BLOCKS,
    HOLES,
    REGISTERS,
    custom_data,
    custom_exception,
    custom_read,
    mbap,
    our_read,
    pending,
    recv_exact,
    recv_mbap,
    seal,
)

# -- both framings end to end with our client ----------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("name", list(REGISTERS))
def test_our_client_reads_the_defaults(port, ours, framing, name):
    client = ours(port(name, framing), framing)
    for table, address, default in REGISTERS[name]:
        assert our_read(client, table, address) == [default], (table, address)
    for table, address, values in BLOCKS[name]:
        assert our_read(client, table, address, len(values)) == values
    for table, address in HOLES[name]:
        with pytest.raises(ModbusDeviceError) as refused:
            our_read(client, table, address)
        assert refused.value.code == 2


@pytest.mark.parametrize("framing", FRAMINGS)
def test_our_client_runs_the_bring_up_on_the_station(serve, ours, framing):
    station = serve("station", framing)
    supply, dmm, actuator, thermocouple = (
        ours(address.port, framing) for address in station.addresses
    )
    supply.write_register(0, 1200)
    supply.write_register(1, 500)
    supply.write_register(2, 1)
    assert supply.read_input(100) == [1200]
    assert supply.read_input(101) == [480]
    actuator.write_register(0, 500)
    assert actuator.read_input(100) == [500]
    assert actuator.read_input(101) == [1]
    assert dmm.read_input(100) == [4980]
    assert thermocouple.read_input(100) == [2300]
    assert thermocouple.read_input(110) == [2500]
    assert thermocouple.read_input(100, 4) == [2300, 2310, 2290, 2305]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_our_client_writes_multiple_registers(port, ours, framing):
    supply = ours(port("power_supply", framing), framing)
    supply.write_registers(0, [1200, 500, 1])
    assert supply.read_holding(0, 3) == [1200, 500, 1]
    assert supply.read_input(100, 2) == [1200, 480]
    supply.write_registers(1, [250])
    assert supply.read_input(100, 2) == [1200, 250]
    with pytest.raises(ModbusDeviceError) as refused:
        supply.write_registers(0, [3000, 1000, 1, 0])  # address 3 is not mapped
    assert refused.value.code == 2
    with pytest.raises(ModbusDeviceError) as refused:
        supply.write_registers(0, [0, 0, 7])
    assert refused.value.code == 3
    assert supply.read_holding(0, 3) == [1200, 250, 1]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_our_client_sees_exceptions_1_2_3(port, ours, framing):
    supply = ours(port("power_supply", framing), framing)
    for action, fc, code in [
        (lambda: supply.write_register(0, 3001), 0x06, 3),
        (lambda: supply.write_register(2, 2), 0x06, 3),
        (lambda: supply.read_holding(2, 2), 0x03, 2),
        (lambda: supply.execute(UnsupportedFunction(1, 0x01, b"\0\0\0\1")), 0x01, 1),
        (lambda: supply.execute(UnsupportedFunction(1, 0x2B, b"\x0e\x01\0\0")), 0x2B, 1),
    ]:
        with pytest.raises(ModbusDeviceError) as refused:
            action()
        assert (refused.value.response.function_code, refused.value.code) == (fc, code)
    assert supply.read_holding(0, 3) == [0, 0, 0]


# -- a '$' inside a frame is not a command --------------------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
def test_frames_containing_a_dollar_byte_are_answered_at_once(port, raw, ours, framing):
    supply_port = port("power_supply", framing)
    sock = raw(supply_port)
    if framing == "custom":
        write = seal(bytes.fromhex("01 06 00 00 09 24"))
        sock.sendall(write)
        assert recv_exact(sock, 8) == write
        read_0x24 = custom_read(0x03, 0x24, 1)  # '$' as the address
        sock.sendall(read_0x24)
        assert recv_exact(sock, 8) == custom_exception(0x03, 2)
    else:
        write = mbap(0x2424, bytes.fromhex("06 00 00 09 24"))
        sock.sendall(write)
        assert recv_mbap(sock) == write
        sock.sendall(mbap(0x2400, bytes.fromhex("03 00 24 00 01")))
        assert recv_mbap(sock) == mbap(0x2400, bytes.fromhex("83 02"))
        # a '$' then bytes that look like a command's end, in one frame
        sock.sendall(mbap(0x2425, bytes.fromhex("06 00 01 00 25")))
        assert recv_mbap(sock) == mbap(0x2425, bytes.fromhex("06 00 01 00 25"))
    client = ours(supply_port, framing)
    client.write_register(1, 0x24)
    assert client.read_holding(0, 2) == [0x0924, 0x24]


def test_a_frame_split_right_after_a_dollar_byte_is_answered(port, raw):
    sock = raw(port("power_supply", "custom"))
    write = seal(bytes.fromhex("01 06 00 00 09 24"))
    sock.sendall(write[:6])  # ends in '$'
    time.sleep(0.05)
    sock.sendall(write[6:])
    assert recv_exact(sock, 8) == write


def test_register_values_that_spell_a_command_prefix_do_not_stall_the_connection(port, raw):
    """A write-multiple of ASCII text: its data holds ``$system_`` followed by binary bytes.

    Those bytes can never be a custom command (a command name is letters,
    digits and ``_``), so the frame is Modbus data and must be answered at
    once -- here exception 2, since the power supply maps only 0..2 -- and the
    connection must keep serving.
    """
    sock = raw(port("power_supply"))
    values = b"$system_" + bytes.fromhex("00 01")
    sock.sendall(mbap(0x77, bytes.fromhex("10 00 00 00 05 0a") + values))
    assert recv_mbap(sock) == mbap(0x77, bytes.fromhex("90 02"))
    sock.sendall(mbap(0x78, bytes.fromhex("03 00 00 00 01")))
    assert recv_mbap(sock) == mbap(0x78, bytes.fromhex("03 02 00 00"))


# -- two clients at once ---------------------------------------------------------------------


def test_partial_mbap_frames_from_two_clients_never_mix(port, raw):
    supply_port = port("power_supply")
    first, second = raw(supply_port), raw(supply_port)
    write = mbap(0x0101, bytes.fromhex("10 00 00 00 03 06 04 b0 01 f4 00 01"))
    first.sendall(write[:9])
    time.sleep(0.05)  # let the device take the first half on its own
    second.sendall(mbap(0x0202, bytes.fromhex("03 00 00 00 03")))
    assert recv_mbap(second) == mbap(0x0202, bytes.fromhex("03 06 00 00 00 00 00 00"))
    assert not pending(first)
    first.sendall(write[9:])
    assert recv_mbap(first) == mbap(0x0101, bytes.fromhex("10 00 00 00 03"))
    second.sendall(mbap(0x0203, bytes.fromhex("04 00 64 00 02")))
    assert recv_mbap(second) == mbap(0x0203, bytes.fromhex("04 04 04 b0 01 e0"))


def test_partial_custom_frames_from_two_clients_never_mix(port, raw):
    supply_port = port("power_supply", "custom")
    first, second = raw(supply_port), raw(supply_port)
    write = seal(bytes.fromhex("01 10 00 00 00 03")) + custom_data(0x10, [1200, 500, 1])
    first.sendall(write[:13])  # the head and half a data frame
    time.sleep(0.05)
    second.sendall(custom_read(0x03, 0, 3))
    assert recv_exact(second, 24) == custom_data(0x03, [0, 0, 0])
    second.sendall(seal(bytes.fromhex("01 06 00 01 00 64")))  # a write in the middle
    assert recv_exact(second, 8) == seal(bytes.fromhex("01 06 00 01 00 64"))
    assert not pending(first)
    first.sendall(write[13:])
    assert recv_exact(first, 8) == seal(bytes.fromhex("01 10 00 00 00 03"))
    second.sendall(custom_read(0x04, 100, 2))
    assert recv_exact(second, 16) == custom_data(0x04, [1200, 480])
