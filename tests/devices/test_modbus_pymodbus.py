"""pymodbus against our devices over Modbus TCP.

pymodbus is an independent implementation: it reads and writes our devices,
sees their exceptions, and its raw frames get the right answers.
"""

from __future__ import annotations

import pytest
from pymodbus.framer import FramerSocket
from pymodbus.pdu import DecodePDU
from pymodbus.pdu import ExceptionResponse as PmException
from pymodbus.pdu import bit_message as pm_bits
from pymodbus.pdu import register_message as pm

from tests.devices.modbus_wire import (
    BLOCKS,
    HOLES,
    REGISTERS,
    STATION,
    custom_data,
    custom_exception,
    custom_read,
    mbap,
    pm_decode_responses,
    pm_read,
    recv_exact,
    recv_mbap,
    seal,
)

# -- pymodbus against our devices (modbus-tcp) ------------------------------------


@pytest.mark.parametrize("name", list(REGISTERS))
def test_pymodbus_reads_the_reference_station_defaults(port, pymodbus_client, name):
    client = pymodbus_client(port(name))
    for table, address, default in REGISTERS[name]:
        assert pm_read(client, table, address) == [default], (table, address)
    for table, address, values in BLOCKS[name]:
        assert pm_read(client, table, address, len(values)) == values
    for table, address in HOLES[name]:
        read = client.read_holding_registers if table == "holding" else client.read_input_registers
        refused = read(address, count=1, device_id=1)
        assert refused.isError(), (table, address)
        assert refused.exception_code == 2


def test_the_station_serves_all_four_devices_with_their_defaults(serve, pymodbus_client):
    station = serve("station", "modbus-tcp")
    assert len(station.addresses) == 4
    assert len({address.port for address in station.addresses}) == 4
    for name, address in zip(STATION, station.addresses, strict=True):
        client = pymodbus_client(address.port)
        for table, register, default in REGISTERS[name]:
            assert pm_read(client, table, register) == [default], (name, table, register)
    # one device's writes do not reach another
    supply = pymodbus_client(station.addresses[0].port)
    actuator = pymodbus_client(station.addresses[2].port)
    assert not supply.write_register(0, 1200, device_id=1).isError()
    assert pm_read(actuator, "holding", 0) == [0]


def test_pymodbus_runs_the_bring_up(serve, pymodbus_client):
    station = serve("station", "modbus-tcp")
    supply = pymodbus_client(station.addresses[0].port)
    dmm = pymodbus_client(station.addresses[1].port)
    actuator = pymodbus_client(station.addresses[2].port)
    thermocouple = pymodbus_client(station.addresses[3].port)

    echo = supply.write_register(0, 1200, device_id=1)
    assert not echo.isError()
    assert (echo.address, echo.registers) == (0, [1200])
    assert not supply.write_register(1, 500, device_id=1).isError()
    assert pm_read(supply, "input", 100, 2) == [0, 0]  # output still off
    assert not supply.write_register(2, 1, device_id=1).isError()
    assert pm_read(supply, "holding", 0, 3) == [1200, 500, 1]
    assert pm_read(supply, "input", 100) == [1200]
    assert pm_read(supply, "input", 101) == [480]
    assert not actuator.write_register(0, 500, device_id=1).isError()
    assert pm_read(actuator, "input", 100) == [500]
    assert pm_read(actuator, "input", 101) == [1]
    assert pm_read(dmm, "input", 100) == [4980]
    assert pm_read(thermocouple, "input", 100) == [2300]
    assert pm_read(thermocouple, "input", 110) == [2500]

    # the readback follows the limit below the load, and the output switch
    assert not supply.write_register(1, 300, device_id=1).isError()
    assert pm_read(supply, "input", 101) == [300]
    assert not supply.write_register(2, 0, device_id=1).isError()
    assert pm_read(supply, "input", 100, 2) == [0, 0]


def test_pymodbus_write_registers_across_0_to_2(port, pymodbus_client):
    supply = pymodbus_client(port("power_supply"))
    echo = supply.write_registers(0, [1200, 500, 1], device_id=1)
    assert not echo.isError()
    assert (echo.function_code, echo.address, echo.count) == (0x10, 0, 3)
    assert pm_read(supply, "holding", 0, 3) == [1200, 500, 1]
    assert pm_read(supply, "input", 100, 2) == [1200, 480]
    echo = supply.write_registers(1, [1000, 0], device_id=1)
    assert (echo.address, echo.count) == (1, 2)
    assert pm_read(supply, "holding", 0, 3) == [1200, 1000, 0]


@pytest.mark.parametrize(
    "case",
    [
        ("read_holding_registers", {"address": 3}, 0x03, 2),
        ("read_holding_registers", {"address": 0, "count": 4}, 0x03, 2),  # 3 is not mapped
        ("read_input_registers", {"address": 102}, 0x04, 2),
        ("read_input_registers", {"address": 0}, 0x04, 2),
        ("write_register", {"address": 3, "value": 1}, 0x06, 2),
        ("write_register", {"address": 100, "value": 1}, 0x06, 2),  # an input register
        ("write_registers", {"address": 2, "values": [1, 1]}, 0x10, 2),
        ("write_register", {"address": 0, "value": 3001}, 0x06, 3),
        ("write_register", {"address": 1, "value": 1001}, 0x06, 3),
        ("write_register", {"address": 2, "value": 2}, 0x06, 3),
        ("write_registers", {"address": 0, "values": [1200, 500, 2]}, 0x10, 3),
    ],
    ids=lambda case: f"{case[0]}{case[1]}->{case[3]}",
)
def test_pymodbus_sees_the_modbus_exceptions(port, pymodbus_client, case):
    call, kwargs, fc, code = case
    supply = pymodbus_client(port("power_supply"))
    refused = getattr(supply, call)(**kwargs, device_id=1)
    assert refused.isError()
    assert isinstance(refused, PmException)
    assert (refused.function_code, refused.exception_code) == (fc | 0x80, code)
    # a refused write changes nothing, not even the valid part of a write-multiple
    assert pm_read(supply, "holding", 0, 3) == [0, 0, 0]


def test_pymodbus_sees_exception_1_for_read_coils(port, pymodbus_client):
    refused = pymodbus_client(port("dmm")).read_coils(0, count=1, device_id=1)
    assert refused.isError()
    assert (refused.function_code, refused.exception_code) == (0x81, 1)


@pytest.mark.parametrize(
    ("request_pdu", "answer_pdu"),
    [
        ("03 00 03 00 01", "83 02"),  # bad address
        ("04 00 66 00 01", "84 02"),
        ("06 00 00 0b b9", "86 03"),  # voltage_setpoint 3001
        ("06 00 02 00 02", "86 03"),  # output_enable 2
        ("10 00 00 00 02 04 0b b8 03 e9", "90 03"),  # current_limit 1001
        ("01 00 00 00 01", "81 01"),  # read coils
        ("05 00 00 ff 00", "85 01"),  # write single coil
        ("2b 0e 01 00", "ab 01"),  # read device identification
        ("41", "c1 01"),
        ("03 00 00 00 00", "83 03"),  # read count 0
        ("03 00 00 00 7e", "83 03"),  # read count 126
        ("03 00 00 00", "83 03"),  # a read PDU one byte short
    ],
)
def test_exception_responses_are_exact_on_the_wire(port, raw, request_pdu, answer_pdu):
    sock = raw(port("power_supply"))
    sock.sendall(mbap(0x1234, bytes.fromhex(request_pdu)))
    assert recv_mbap(sock) == mbap(0x1234, bytes.fromhex(answer_pdu))


def test_exception_responses_are_exact_in_the_custom_framing(port, raw):
    sock = raw(port("power_supply", "custom"))
    cases = [
        (custom_read(0x03, 3, 1), custom_exception(0x03, 2)),
        (custom_read(0x04, 0, 1), custom_exception(0x04, 2)),
        (custom_read(0x06, 0, 3001), custom_exception(0x06, 3)),
        (custom_read(0x06, 2, 2), custom_exception(0x06, 3)),
        (custom_read(0x01, 0, 1), custom_exception(0x01, 1)),
        (custom_read(0x2B, 0x0E01, 0), custom_exception(0x2B, 1)),
        (custom_read(0x03, 0, 126), custom_exception(0x03, 3)),
        (
            seal(bytes.fromhex("01 10 00 02 00 02")) + custom_data(0x10, [1, 1]),
            custom_exception(0x10, 2),
        ),
    ]
    for request, answer in cases:
        sock.sendall(request)
        assert recv_exact(sock, 8) == answer, request.hex(" ")
    sock.sendall(custom_read(0x03, 0, 3))
    assert recv_exact(sock, 24) == custom_data(0x03, [0, 0, 0])


def test_frames_captured_from_the_pymodbus_client_get_the_right_answers(port, pymodbus_client, raw):
    """pymodbus's own bytes, replayed on a plain socket to a fresh device, answer the same."""
    sent: list[bytes] = []

    def trace(sending: bool, data: bytes) -> bytes:
        if sending:
            sent.append(data)
        return data

    supply = pymodbus_client(port("power_supply"), trace_packet=trace)
    results = [
        supply.read_holding_registers(0, count=3, device_id=1),
        supply.write_register(0, 1200, device_id=1),
        supply.write_registers(1, [500, 1], device_id=1),
        supply.read_input_registers(100, count=2, device_id=1),
        supply.write_register(0, 3001, device_id=1),
        supply.read_coils(0, count=8, device_id=1),
    ]
    assert results[0].registers == [0, 0, 0]
    assert results[3].registers == [1200, 480]
    assert (results[4].exception_code, results[5].function_code) == (3, 0x81)
    assert len(sent) == len(results)

    fresh = raw(port("power_supply"))
    for frame, result in zip(sent, results, strict=True):
        fresh.sendall(frame)
        answer = recv_mbap(fresh)
        assert answer[:2] == frame[:2]  # the transaction id comes back
        [decoded] = pm_decode_responses(answer)
        assert decoded.function_code == result.function_code
        assert decoded.registers == result.registers
        if isinstance(result, PmException):
            assert decoded.exception_code == result.exception_code


def test_pipelined_frames_built_by_pymodbus_are_answered_in_order(port, raw):
    build = FramerSocket(DecodePDU(is_server=False)).buildFrame
    frames = [
        build(pm.ReadInputRegistersRequest(address=100, count=4, dev_id=1, transaction_id=7)),
        build(pm.WriteSingleRegisterRequest(address=0, registers=[42], dev_id=1, transaction_id=8)),
        build(pm.ReadHoldingRegistersRequest(address=0, count=1, dev_id=1, transaction_id=9)),
        build(pm_bits.ReadCoilsRequest(address=0, count=1, dev_id=1, transaction_id=10)),
        build(pm.ReadInputRegistersRequest(address=110, count=1, dev_id=255, transaction_id=11)),
    ]
    sock = raw(port("thermocouple"))
    sock.sendall(b"".join(frames))  # one segment, five requests
    answers = pm_decode_responses(b"".join(recv_mbap(sock) for _ in frames))
    assert [a.transaction_id for a in answers] == [7, 8, 9, 10, 11]
    assert answers[0].registers == [2300, 2310, 2290, 2305]
    assert (answers[1].function_code, answers[1].exception_code) == (0x86, 2)
    assert (answers[2].function_code, answers[2].exception_code) == (0x83, 2)
    assert (answers[3].function_code, answers[3].exception_code) == (0x81, 1)
    assert answers[4].registers == [2500]
    assert answers[4].dev_id == 255


def test_requests_for_another_unit_are_not_answered(port, raw):
    sock = raw(port("dmm"))
    other = mbap(1, bytes.fromhex("04 00 64 00 01"), unit=2)
    mine = mbap(2, bytes.fromhex("04 00 64 00 01"), unit=1)
    broadcast = mbap(3, bytes.fromhex("04 00 64 00 01"), unit=0)
    sock.sendall(other + mine + broadcast)
    assert recv_mbap(sock) == mbap(2, bytes.fromhex("04 02 13 74"))
    assert recv_mbap(sock) == mbap(3, bytes.fromhex("04 02 13 74"), unit=0)
