"""Modbus TCP (MBAP): (bytes, messages) tables both ways, then damage and recovery."""

from __future__ import annotations

import pytest

from simulators.protocols.modbus import (
    MAX_IN_FLIGHT,
    ExceptionResponse,
    InvalidRequest,
    MbapClientFramer,
    MbapServerFramer,
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

from .helpers import drain, h, kinds

#    transaction  protocol  length  unit  PDU
REQUESTS: list[tuple[str, Request]] = [
    (
        "00 01 00 00 00 06 01 03 00 6b 00 03",
        ReadHoldingRegisters(1, 0x6B, 3, transaction_id=1),
    ),
    (
        "12 34 00 00 00 06 ff 04 00 64 00 01",
        ReadInputRegisters(255, 100, 1, transaction_id=0x1234),
    ),
    (
        "ff ff 00 00 00 06 00 06 00 01 00 03",
        WriteSingleRegister(0, 1, 3, transaction_id=0xFFFF),
    ),
    (
        "00 02 00 00 00 0b 11 10 00 01 00 02 04 00 0a 01 02",
        WriteMultipleRegisters(17, 1, (10, 258), transaction_id=2),
    ),
    (
        "00 03 00 00 00 06 01 01 00 13 00 13",
        UnsupportedFunction(1, 0x01, h("00 13 00 13"), transaction_id=3),
    ),
    ("00 04 00 00 00 02 01 07", UnsupportedFunction(1, 0x07, transaction_id=4)),
    (
        "00 05 00 00 00 06 01 03 00 00 00 7e",
        InvalidRequest(1, 0x03, h("00 00 00 7e"), transaction_id=5),
    ),
    (
        "00 06 00 00 00 07 01 10 00 01 00 01 02",
        InvalidRequest(1, 0x10, h("00 01 00 01 02"), transaction_id=6),
    ),
    ("00 07 00 00 00 02 01 04", InvalidRequest(1, 0x04, transaction_id=7)),
]

RESPONSES: list[tuple[str, Response]] = [
    (
        "00 01 00 00 00 09 01 03 06 02 2b 00 00 00 64",
        ReadHoldingRegistersResponse(1, (0x022B, 0, 0x64), transaction_id=1),
    ),
    (
        "12 34 00 00 00 05 ff 04 02 13 74",
        ReadInputRegistersResponse(255, (4980,), transaction_id=0x1234),
    ),
    (
        "ff ff 00 00 00 06 00 06 00 01 00 03",
        WriteSingleRegisterResponse(0, 1, 3, transaction_id=0xFFFF),
    ),
    (
        "00 02 00 00 00 06 11 10 00 01 00 02",
        WriteMultipleRegistersResponse(17, 1, 2, transaction_id=2),
    ),
    ("00 03 00 00 00 03 01 81 01", ExceptionResponse(1, 0x01, 1, transaction_id=3)),
    ("00 04 00 00 00 03 01 87 01", ExceptionResponse(1, 0x07, 1, transaction_id=4)),
    ("00 05 00 00 00 03 01 83 03", ExceptionResponse(1, 0x03, 3, transaction_id=5)),
    ("00 06 00 00 00 03 01 90 03", ExceptionResponse(1, 0x10, 3, transaction_id=6)),
    ("00 07 00 00 00 03 01 84 02", ExceptionResponse(1, 0x04, 2, transaction_id=7)),
]

FULL_READ = (
    "00 08 00 00 00 fd 01 03 fa" + " 00 01" * 125,
    ReadHoldingRegistersResponse(1, (1,) * 125, transaction_id=8),
)


@pytest.mark.parametrize(("wire", "request_"), REQUESTS)
def test_server_decodes_and_client_encodes_requests(wire, request_):
    server = MbapServerFramer()
    server.feed(h(wire))
    assert drain(server) == [request_]
    assert server.buffered == 0
    assert MbapClientFramer().encode(request_) == h(wire)


@pytest.mark.parametrize(("wire", "response"), [*RESPONSES, FULL_READ])
def test_server_encodes_and_client_decodes_responses(wire, response):
    assert MbapServerFramer().encode(response) == h(wire)
    client = MbapClientFramer()
    client.encode(_request_for(response))
    client.feed(h(wire))
    assert drain(client) == [response]
    assert client.in_flight == 0


def _request_for(response: Response) -> Request:
    for _wire, request in REQUESTS:
        if request.transaction_id == response.transaction_id:
            return request
    return ReadHoldingRegisters(1, 0, 125, transaction_id=response.transaction_id)


@pytest.mark.parametrize(("wire", "request_"), REQUESTS)
def test_bytes_may_arrive_one_at_a_time(wire, request_):
    server = MbapServerFramer()
    out = []
    for byte in h(wire):
        server.feed(bytes((byte,)))
        out += drain(server)
    assert out == [request_]


def test_answers_carry_the_request_transaction_id():
    server = MbapServerFramer()
    server.feed(h(REQUESTS[0][0]) + h(REQUESTS[4][0]))
    read, unsupported = drain(server)
    assert isinstance(read, ReadHoldingRegisters)
    assert isinstance(unsupported, UnsupportedFunction)
    assert server.encode(read.response((0x022B, 0, 0x64))) == h(RESPONSES[0][0])
    assert server.encode(unsupported.response()) == h("00 03 00 00 00 03 01 81 01")


def test_a_response_without_transaction_id_goes_out_with_0():
    frame = MbapServerFramer().encode(WriteSingleRegisterResponse(1, 1, 3))
    assert frame == h("00 00 00 00 00 06 01 06 00 01 00 03")


def test_client_numbers_requests_that_have_no_transaction_id():
    client = MbapClientFramer()
    first = client.encode(ReadHoldingRegisters(1, 0, 1))
    second = client.encode(WriteSingleRegister(1, 0, 1))
    assert (first[:2], second[:2]) == (h("00 01"), h("00 02"))
    client.feed(h("00 02 00 00 00 06 01 06 00 00 00 01") + h("00 01 00 00 00 05 01 03 02 00 07"))
    assert drain(client) == [
        WriteSingleRegisterResponse(1, 0, 1, transaction_id=2),
        ReadHoldingRegistersResponse(1, (7,), transaction_id=1),
    ]


def test_the_transaction_counter_wraps():
    client = MbapClientFramer()
    client.encode(ReadHoldingRegisters(1, 0, 1, transaction_id=0xFFFE))
    for _ in range(0xFFFF):
        frame = client.encode(ReadHoldingRegisters(1, 0, 1))
    assert frame[:2] == h("ff ff")
    assert client.encode(ReadHoldingRegisters(1, 0, 1))[:2] == h("00 00")
    assert client.in_flight == MAX_IN_FLIGHT


# Damage and recovery, server side.

GOOD = h("12 34 00 00 00 06 01 03 01 02 00 03")
GOOD_REQUEST = ReadHoldingRegisters(1, 0x0102, 3, transaction_id=0x1234)


def test_a_short_frame_waits_for_the_rest():
    server = MbapServerFramer()
    for size in (3, 6, 11):
        server.feed(GOOD[server.buffered : size])
        assert server.next_message() is None
        assert server.buffered == size
    server.feed(GOOD[11:])
    assert server.next_message() == GOOD_REQUEST


def test_a_wrong_protocol_id_drops_the_frame_it_announces():
    bad = h("00 09 00 01 00 06 01 03 00 00 00 01")
    server = MbapServerFramer()
    server.feed(bad[:9])
    assert server.next_message() is None  # waits: the frame it announces is 12 bytes
    server.feed(bad[9:] + GOOD)
    [error, message] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason == "bad MBAP header: protocol id 0x0001, Modbus is 0"
    assert error.dropped == bad
    assert message == GOOD_REQUEST


@pytest.mark.parametrize("length", ["00 00", "00 01", "00 ff", "ff ff"])
def test_an_absurd_length_drops_up_to_the_next_plausible_header(length):
    bad = h(f"00 09 00 00 {length} 01 03 00 00 00 01")
    server = MbapServerFramer()
    server.feed(bad + GOOD)
    [error, message] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason.startswith("bad MBAP header: length")
    assert error.reason.endswith("must be 2..254")
    assert error.dropped == bad
    assert message == GOOD_REQUEST


@pytest.mark.parametrize("junk", ["ff", "01 02 03", "de ad be ef" * 30, "00 00 00 ff ff"])
def test_junk_before_a_frame_is_dropped_in_one_error(junk):
    server = MbapServerFramer()
    server.feed(h(junk) + GOOD)
    [error, message] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.dropped == h(junk)
    assert message == GOOD_REQUEST


def test_junk_with_no_header_in_sight_keeps_at_most_three_bytes():
    server = MbapServerFramer()
    server.feed(bytes(range(1, 101)))
    [error] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.dropped == bytes(range(1, 98))
    assert server.buffered == 3


def test_a_header_with_a_zero_pair_at_the_end_waits_for_its_length():
    server = MbapServerFramer()
    server.feed(h("ff ff ff ff ff ff 00 00"))
    [error] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert error.dropped == h("ff ff ff ff")
    assert server.buffered == 4


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ("00 01 00 00 00 06 f8 03 00 00 00 01", "unit 248 is reserved"),
        ("00 01 00 00 00 06 fe 03 00 00 00 01", "unit 254 is reserved"),
        ("00 01 00 00 00 03 01 83 02", "function code 0x83 is an exception, not a request"),
    ],
)
def test_well_framed_frames_that_are_no_request_are_dropped(wire, reason):
    server = MbapServerFramer()
    server.feed(h(wire) + GOOD)
    [error, message] = drain(server)
    assert isinstance(error, ModbusProtocolError)
    assert (error.reason, error.dropped) == (reason, h(wire))
    assert message == GOOD_REQUEST


def test_the_longest_frames_are_accepted():
    write = "00 01 00 00 00 fd 01 10 00 00 00 7b f6" + " 00 05" * 123
    longest = "00 02 00 00 00 fe 01 17" + " 00" * 252
    server = MbapServerFramer()
    server.feed(h(write) + h(longest))
    assert drain(server) == [
        WriteMultipleRegisters(1, 0, (5,) * 123, transaction_id=1),
        UnsupportedFunction(1, 0x17, bytes(252), transaction_id=2),
    ]


# Client side.


def test_a_response_with_an_unknown_transaction_id_is_dropped():
    client = MbapClientFramer()
    client.encode(ReadHoldingRegisters(1, 0x6B, 3, transaction_id=9))
    client.feed(h(RESPONSES[0][0]))
    [error] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason == "no request in flight has transaction id 1"
    assert client.in_flight == 1


def test_abandon_turns_a_late_answer_into_an_error():
    client = MbapClientFramer()
    client.encode(REQUESTS[0][1])
    client.abandon()
    assert client.in_flight == 0
    client.feed(h(RESPONSES[0][0]))
    assert kinds(drain(client)) == ["ModbusProtocolError"]


@pytest.mark.parametrize(
    ("request_", "wire", "reason"),
    [
        (
            ReadInputRegisters(1, 0, 3, transaction_id=1),
            RESPONSES[0][0],
            "transaction 1: function 0x03 answers a 0x04 request",
        ),
        (
            ReadHoldingRegisters(1, 0, 2, transaction_id=1),
            RESPONSES[0][0],
            "transaction 1: read of 2 registers answered with 3",
        ),
        (
            WriteSingleRegister(0, 2, 3, transaction_id=0xFFFF),
            RESPONSES[2][0],
            "transaction 65535: write to 2 echoed as a write to 1",
        ),
        (
            WriteMultipleRegisters(17, 1, (1, 2, 3), transaction_id=2),
            RESPONSES[3][0],
            "transaction 2: write of 3 registers at 1 echoed as 2 at 1",
        ),
    ],
)
def test_a_response_that_does_not_answer_its_request_is_an_error(request_, wire, reason):
    client = MbapClientFramer()
    client.encode(request_)
    client.feed(h(wire))
    [error] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert (error.reason, error.dropped) == (reason, h(wire))
    assert client.in_flight == 0


@pytest.mark.parametrize(
    ("wire", "reason"),
    [
        ("00 01 00 00 00 03 01 83 00", "an exception response"),
        ("00 01 00 00 00 04 01 03 04 00", "read response with byte count 4"),
        ("00 01 00 00 00 05 fa 03 02 00 01", "unit 250 is reserved"),
    ],
)
def test_malformed_responses_are_dropped_and_the_next_decodes(wire, reason):
    client = MbapClientFramer()
    client.encode(ReadHoldingRegisters(1, 0, 1, transaction_id=1))
    client.encode(ReadHoldingRegisters(1, 0, 1, transaction_id=2))
    client.feed(h(wire) + h("00 02 00 00 00 05 01 03 02 00 07"))
    [error, message] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason.startswith(reason)
    assert error.dropped == h(wire)
    assert message == ReadHoldingRegistersResponse(1, (7,), transaction_id=2)


def test_pymodbus_style_answer_to_an_unsupported_function_does_not_match():
    # pymodbus answers with function code 0x80; the request was 0x07.
    client = MbapClientFramer()
    client.encode(UnsupportedFunction(1, 0x07, transaction_id=4))
    client.feed(h("00 04 00 00 00 03 01 80 01"))
    [error] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason == "transaction 4: function 0x00 answers a 0x07 request"
