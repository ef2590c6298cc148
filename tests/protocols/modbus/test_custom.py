"""The custom 8-byte framing: (bytes, messages) tables both ways, then damage and recovery."""

from __future__ import annotations

import pytest

from simulators.protocols.modbus import (
    CustomClientFramer,
    CustomServerFramer,
    ExceptionResponse,
    InvalidRequest,
    ModbusProtocolError,
    ReadHoldingRegisters,
    ReadHoldingRegistersResponse,
    ReadInputRegisters,
    ReadInputRegistersResponse,
    Request,
    Response,
    UnsupportedFunction,
    WriteMultipleRegisters,
    WriteMultipleRegistersResponse,
    WriteSingleRegister,
    WriteSingleRegisterResponse,
)

from .helpers import drain, h, kinds, seal

WRITE_3 = (
    "01 10 00 0a 00 03 a0 0a 01 50 00 03 00 01 f0 06 "
    "01 50 01 03 00 02 b1 fb 01 50 02 03 00 03 70 7f"
)

# (wire hex, request). The first two are textbook Modbus RTU frames: a read
# request and a write-single are byte for byte the same on this framing.
REQUESTS: list[tuple[str, Request]] = [
    ("01 03 00 00 00 0a c5 cd", ReadHoldingRegisters(1, 0, 10)),
    ("01 06 00 01 00 03 98 0b", WriteSingleRegister(1, 1, 3)),
    ("01 03 00 64 00 02 85 d4", ReadHoldingRegisters(1, 100, 2)),
    ("01 04 00 64 00 01 70 15", ReadInputRegisters(1, 100, 1)),
    ("01 06 00 00 04 b0 8a be", WriteSingleRegister(1, 0, 1200)),
    (WRITE_3, WriteMultipleRegisters(1, 10, (1, 2, 3))),
    (
        "11 10 ff ff 00 01 03 7d 11 50 00 01 ff ff 93 26",
        WriteMultipleRegisters(17, 0xFFFF, (0xFFFF,)),
    ),
    ("01 01 00 00 00 01 fd ca", UnsupportedFunction(1, 0x01, h("00 00 00 01"))),
    ("01 2b 0e 01 00 00 76 e4", UnsupportedFunction(1, 0x2B, h("0e 01 00 00"))),
]

RESPONSES: list[tuple[str, Response]] = [
    (
        "01 43 00 02 04 b0 e6 b1 01 43 01 02 01 e0 e4 21",
        ReadHoldingRegistersResponse(1, (1200, 480)),
    ),
    ("01 44 00 01 13 74 ad 12", ReadInputRegistersResponse(1, (4980,))),
    (
        "03 44 00 04 08 fc b6 67 03 44 01 04 09 06 36 48 "
        "03 44 02 04 08 f2 36 1b 03 44 03 04 09 01 76 32",
        ReadInputRegistersResponse(3, (2300, 2310, 2290, 2305)),
    ),
    ("01 06 00 01 00 03 98 0b", WriteSingleRegisterResponse(1, 1, 3)),
    ("01 10 00 0a 00 03 a0 0a", WriteMultipleRegistersResponse(1, 10, 3)),
    ("01 83 02 00 00 00 45 ac", ExceptionResponse(1, 0x03, 2)),
    ("01 86 03 00 00 00 88 50", ExceptionResponse(1, 0x06, 3)),
    ("01 81 01 00 00 00 3c 28", ExceptionResponse(1, 0x01, 1)),
    ("01 90 04 00 00 00 c0 e7", ExceptionResponse(1, 0x10, 4)),
]


def _request_for(response: Response) -> Request:
    match response:
        case ReadHoldingRegistersResponse():
            return ReadHoldingRegisters(response.unit, 0, len(response.values))
        case ReadInputRegistersResponse():
            return ReadInputRegisters(response.unit, 100, len(response.values))
        case WriteSingleRegisterResponse():
            return WriteSingleRegister(1, 1, 3)
        case WriteMultipleRegistersResponse():
            return WriteMultipleRegisters(1, 10, (1, 2, 3))
    if response.function_code == 1:
        return UnsupportedFunction(1, 1, h("00 00 00 01"))
    return InvalidRequest(1, response.function_code, h("00 00 00 00"))


@pytest.mark.parametrize(("wire", "request_"), REQUESTS)
def test_server_decodes_and_client_encodes_requests(wire, request_):
    server = CustomServerFramer()
    server.feed(h(wire))
    assert drain(server) == [request_]
    assert server.buffered == 0
    assert CustomClientFramer().encode(request_) == h(wire)


@pytest.mark.parametrize(("wire", "response"), RESPONSES)
def test_server_encodes_and_client_decodes_responses(wire, response):
    assert CustomServerFramer().encode(response) == h(wire)
    client = CustomClientFramer()
    client.encode(_request_for(response))
    client.feed(h(wire))
    assert drain(client) == [response]
    assert client.in_flight == 0


@pytest.mark.parametrize(("wire", "request_"), REQUESTS)
def test_bytes_may_arrive_one_at_a_time(wire, request_):
    server = CustomServerFramer()
    out = []
    for byte in h(wire):
        server.feed(bytes((byte,)))
        out += drain(server)
    assert out == [request_]


def test_a_stream_of_requests_decodes_in_order():
    server = CustomServerFramer()
    server.feed(b"".join(h(wire) for wire, _ in REQUESTS))
    assert drain(server) == [request for _, request in REQUESTS]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("01 03 00 00 00 00", "read count must be 1..125, got 0"),
        ("01 03 00 00 00 7e", "read count must be 1..125, got 126"),
        ("01 04 00 00 ff ff", "read count must be 1..125, got 65535"),
        ("01 10 00 00 00 00", "write count must be 1..123, got 0"),
        ("01 10 00 00 00 7c", "write count must be 1..123, got 124"),
    ],
)
def test_bad_quantities_decode_to_invalid_request_answered_with_exception_3(body, reason):
    server = CustomServerFramer()
    server.feed(seal(body))
    [message] = drain(server)
    assert message == InvalidRequest(1, h(body)[1], h(body)[2:])
    assert isinstance(message, InvalidRequest)
    assert message.reason == reason
    answer = server.encode(message.response())
    assert answer == seal(f"01 {h(body)[1] | 0x80:02x} 03 00 00 00")
    assert CustomClientFramer().encode(message) == seal(body)


def test_unsupported_function_is_answered_with_fc_or_0x80_and_code_1():
    server = CustomServerFramer()
    server.feed(seal("01 01 00 00 00 08"))
    [message] = drain(server)
    assert isinstance(message, UnsupportedFunction)
    assert server.encode(message.response()) == h("01 81 01 00 00 00 3c 28")


# Damage and recovery, server side.

GOOD = h("01 03 00 64 00 02 85 d4")
GOOD_REQUEST = ReadHoldingRegisters(1, 100, 2)


def flip(frame: bytes, index: int) -> bytes:
    return frame[:index] + bytes((frame[index] ^ 0x01,)) + frame[index + 1 :]


def test_a_short_frame_waits_for_the_rest():
    server = CustomServerFramer()
    server.feed(GOOD[:7])
    assert server.next_message() is None
    assert server.buffered == 7
    server.feed(GOOD[7:])
    assert server.next_message() == GOOD_REQUEST


def test_a_bad_crc_drops_the_frame_and_the_next_one_decodes():
    server = CustomServerFramer()
    server.feed(flip(GOOD, 7))
    [error] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason == "bad CRC"
    assert error.dropped == flip(GOOD, 7)
    server.feed(GOOD)
    assert drain(server) == [GOOD_REQUEST]


@pytest.mark.parametrize("junk", ["00", "ff ff ff", "01 03 00 64 00 02 85", "de ad be ef" * 25])
def test_junk_before_a_frame_is_dropped_in_one_error(junk):
    server = CustomServerFramer()
    server.feed(h(junk) + GOOD)
    [error, message] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.dropped == h(junk)
    assert message == GOOD_REQUEST


def test_junk_with_no_frame_in_sight_keeps_only_seven_bytes():
    server = CustomServerFramer()
    server.feed(bytes(range(100, 200)))
    [error] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.dropped == bytes(range(100, 193))
    assert server.buffered == 7
    server.feed(GOOD)
    assert kinds(drain(server)) == ["ModbusProtocolError", "ReadHoldingRegisters"]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("f8 03 00 00 00 01", "unit 248 is out of range 0..247"),
        ("ff 03 00 00 00 01", "unit 255 is out of range 0..247"),
        ("01 83 02 00 00 00", "function code 0x83 is an exception, not a request"),
        ("01 50 00 02 00 01", "data frame 0 of 2 (code 0x50) outside its operation"),
        ("01 43 00 01 00 01", "data frame 0 of 1 (code 0x43) outside its operation"),
    ],
)
def test_frames_that_are_no_request_are_dropped(body, reason):
    server = CustomServerFramer()
    server.feed(seal(body) + GOOD)
    [error, message] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert (error.reason, error.dropped) == (reason, seal(body))
    assert message == GOOD_REQUEST


def test_orphan_data_frames_of_one_run_are_dropped_together():
    frames = h(WRITE_3)
    server = CustomServerFramer()
    server.feed(frames[8:] + GOOD)  # the head got lost
    [error, message] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.dropped == frames[8:]
    assert message == GOOD_REQUEST


def test_a_write_multiple_waits_for_all_its_frames():
    frames = h(WRITE_3)
    server = CustomServerFramer()
    server.feed(frames[:20])
    assert server.next_message() is None
    assert server.buffered == 20
    server.feed(frames[20:])
    assert server.next_message() == WriteMultipleRegisters(1, 10, (1, 2, 3))
    assert server.buffered == 0


def test_a_write_multiple_cut_short_by_a_new_request():
    frames = h(WRITE_3)
    server = CustomServerFramer()
    server.feed(frames[:16] + GOOD)
    [error, message] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason == "operation cut short after 1 of 3 data frames"
    assert error.dropped == frames[:16]
    assert message == GOOD_REQUEST


def test_a_corrupted_data_frame_costs_the_write_and_nothing_after_it():
    frames = h(WRITE_3)
    server = CustomServerFramer()
    server.feed(frames[:16] + flip(frames[16:24], 3) + frames[24:] + GOOD)
    [crc, broken, message] = drain(server)
    assert isinstance(crc, ModbusProtocolError)
    assert crc.reason == "bad CRC"
    assert crc.dropped == flip(frames[16:24], 3)
    assert isinstance(broken, ModbusProtocolError)
    assert broken.reason == "data frame 2 of 3 (code 0x50) outside its operation"
    assert broken.dropped == frames[:16] + frames[24:]
    assert message == GOOD_REQUEST


@pytest.mark.parametrize(
    "stranger",
    [
        "02 50 01 03 00 02",  # another unit
        "01 50 01 04 00 02",  # another count
        "01 50 02 03 00 02",  # skips an index
    ],
)
def test_a_data_frame_that_breaks_the_run_drops_the_operation(stranger):
    frames = h(WRITE_3)
    server = CustomServerFramer()
    server.feed(frames[:16] + seal(stranger) + GOOD)
    [error, message] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.dropped == frames[:16] + seal(stranger)
    assert message == GOOD_REQUEST
