"""Response faults (delay, crc, drop) on the wire, injected as netcat would."""

from __future__ import annotations

import time

import pytest
from pymodbus.exceptions import ModbusException

from simulators.protocols.modbus import (
    FRAMINGS,
    ModbusProtocolError,
    ReadInputRegisters,
    ReadInputRegistersResponse,
    Response,
    WriteSingleRegister,
    WriteSingleRegisterResponse,
    client_framer,
)
from tests.devices.modbus_wire import (
    crc16,
    custom_data,
    custom_read,
    inject,
    mbap,
    pending,
    pm_read,
    recv_exact,
    recv_mbap,
)


@pytest.mark.parametrize("framing", FRAMINGS)
def test_delay_holds_back_only_every_kth_response(port, raw, framing):
    dmm_port = port("dmm", framing)
    inject(dmm_port, "$system_fault:delay,300,3%")
    sock = raw(dmm_port)
    framer = client_framer(framing)

    def values(response: Response) -> tuple[int, ...]:
        assert isinstance(response, ReadInputRegistersResponse)
        return response.values

    def answers(count: int) -> list[Response]:
        out: list[Response] = []
        while len(out) < count:
            message = framer.next_message()
            if message is None:
                data = sock.recv(4096)
                assert data, "connection closed"
                framer.feed(data)
            else:
                out.append(message)
        return out

    for _ in range(2):  # requests 1-3, then 4-6: the 3rd and the 6th are late
        started = time.monotonic()
        sock.sendall(b"".join(framer.encode(ReadInputRegisters(1, 100, 1)) for _ in range(3)))
        assert [values(a) for a in answers(2)] == [(4980,), (4980,)]
        assert not pending(sock)  # the third answer is being held back
        assert [values(a) for a in answers(1)] == [(4980,)]
        assert time.monotonic() - started >= 0.29


def test_a_delayed_answer_does_not_hold_up_other_clients(port, raw):
    dmm_port = port("dmm")
    inject(dmm_port, "$system_fault:delay,500,2%")
    first, second = raw(dmm_port), raw(dmm_port)
    read = mbap(1, bytes.fromhex("04 00 64 00 01"))
    first.sendall(read)
    assert recv_mbap(first) == mbap(1, bytes.fromhex("04 02 13 74"))  # request 1: at once
    started = time.monotonic()
    first.sendall(read)  # request 2: late
    time.sleep(0.05)
    second.sendall(read)  # request 3: answered while the first one waits
    assert recv_mbap(second) == mbap(1, bytes.fromhex("04 02 13 74"))
    assert not pending(first)
    assert recv_mbap(first) == mbap(1, bytes.fromhex("04 02 13 74"))
    assert time.monotonic() - started >= 0.49


@pytest.mark.parametrize("framing", FRAMINGS)
def test_crc_fault_corrupts_every_kth_response(port, ours, framing):
    dmm_port = port("dmm", framing)
    dmm = ours(dmm_port, framing)
    inject(dmm_port, "$system_fault:crc,2%")
    assert dmm.read_input(100) == [4980]
    with pytest.raises(ModbusProtocolError):
        dmm.read_input(100)
    assert dmm.read_input(100) == [4980]  # reconnected, clean
    with pytest.raises(ModbusProtocolError):
        dmm.read_input(100, 3)


def test_crc_fault_flips_a_crc_byte_in_the_custom_framing(port, raw, ours):
    thermocouple_port = port("thermocouple", "custom")
    inject(thermocouple_port, "$system_fault:crc,1%")
    sock = raw(thermocouple_port)
    sock.sendall(custom_read(0x04, 100, 1))
    good = custom_data(0x04, [2300])
    assert recv_exact(sock, 8) == good[:7] + bytes([good[7] ^ 0xFF])
    sock.sendall(custom_read(0x04, 100, 4))  # a multi-frame answer is corrupted too
    answer = recv_exact(sock, 32)
    frames = [answer[i : i + 8] for i in range(0, 32, 8)]
    assert sum(crc16(frame) != 0 for frame in frames) >= 1
    client = ours(thermocouple_port, "custom")
    with pytest.raises(ModbusProtocolError):
        client.read_input(100, 4)


def test_crc_fault_breaks_the_mbap_header(port, raw):
    dmm_port = port("dmm")
    inject(dmm_port, "$system_fault:crc,1%")
    sock = raw(dmm_port)
    sock.sendall(mbap(0x0102, bytes.fromhex("04 00 64 00 01")))
    answer = recv_exact(sock, 11)
    good = mbap(0x0102, bytes.fromhex("04 02 13 74"))
    assert answer[:2] + answer[4:] == good[:2] + good[4:]
    assert answer[2:4] != b"\0\0"  # the protocol id is no longer Modbus


@pytest.mark.parametrize("framing", FRAMINGS)
def test_drop_closes_the_connection_on_every_kth_request(port, ours, framing):
    supply_port = port("power_supply", framing)
    supply = ours(supply_port, framing)
    inject(supply_port, "$system_fault:drop,2%")
    supply.write_register(0, 100)  # request 1
    with pytest.raises(ConnectionError):
        supply.write_register(0, 200)  # request 2: dropped, never executed
    assert supply.read_holding(0) == [100]  # request 3, on a new connection
    with pytest.raises(ConnectionError):
        supply.read_holding(0)  # request 4
    assert supply.read_holding(0) == [100]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_requests_behind_a_dropped_one_are_never_executed(port, raw, ours, framing):
    """The drop closes the connection: what the client pipelined behind it is lost too.

    A real device that hangs up on request 2 never sees request 3; here request 3
    must not be executed either (it is never answered).
    """
    supply_port = port("power_supply", framing)
    inject(supply_port, "$system_fault:drop,2%")
    framer = client_framer(framing)
    sock = raw(supply_port)
    sock.sendall(
        b"".join(framer.encode(WriteSingleRegister(1, 0, value)) for value in (100, 200, 300))
    )
    received = b""
    while chunk := sock.recv(4096):  # the device answers request 1, then hangs up
        received += chunk
    framer.feed(received)
    answer = framer.next_message()
    assert isinstance(answer, WriteSingleRegisterResponse)
    assert (answer.address, answer.value) == (0, 100)
    assert framer.next_message() is None
    inject(supply_port, "$system_clear_faults%")
    assert ours(supply_port, framing).read_holding(0) == [100]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_our_client_recovers_from_a_timeout_without_taking_the_late_answer(port, ours, framing):
    supply_port = port("power_supply", framing)
    supply = ours(supply_port, framing)
    supply.timeout = 0.3
    supply.write_register(0, 111)
    inject(supply_port, "$system_fault:delay,600,2%")
    with pytest.raises(TimeoutError):
        supply.read_holding(0)  # request 2: late
    supply.timeout = 10.0  # a hang guard from here on: these answers come at once
    supply.write_register(1, 222)  # request 3: on a new connection
    inject(supply_port, "$system_clear_faults%")
    assert supply.read_holding(0, 2) == [111, 222]
    time.sleep(0.4)  # the late answer has gone to the old connection by now
    assert supply.read_holding(1) == [222]


def test_drop_is_seen_by_pymodbus_as_a_lost_connection(port, pymodbus_client):
    dmm_port = port("dmm")
    client = pymodbus_client(dmm_port)
    assert pm_read(client, "input", 100) == [4980]
    inject(dmm_port, "$system_fault:drop,1%")
    with pytest.raises(ModbusException):
        client.read_input_registers(100, count=1, device_id=1)
    inject(dmm_port, "$system_clear_faults%")
    assert pm_read(pymodbus_client(dmm_port), "input", 100) == [4980]
