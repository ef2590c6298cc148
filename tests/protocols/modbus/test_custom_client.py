"""The custom 8-byte framing, client side: reassembly, matching, damage and recovery."""

from __future__ import annotations

import pytest

from simulators.protocols.modbus import (
    MAX_IN_FLIGHT,
    CustomClientFramer,
    CustomServerFramer,
    ExceptionResponse,
    InvalidRequest,
    ModbusProtocolError,
    ReadHoldingRegisters,
    ReadInputRegisters,
    UnsupportedFunction,
    WriteSingleRegister,
)

from .helpers import drain, h, kinds, seal
from .test_custom import RESPONSES


def test_a_read_response_is_reassembled_frame_by_frame():
    wire, response = RESPONSES[2]
    client = CustomClientFramer()
    client.encode(ReadInputRegisters(3, 100, 4))
    data = h(wire)
    for start in range(0, 24, 8):
        client.feed(data[start : start + 8])
        assert client.next_message() is None
    assert client.buffered == 24
    client.feed(data[24:])
    assert client.next_message() == response
    assert client.buffered == 0


def test_a_response_needs_a_request_in_flight():
    client = CustomClientFramer()
    client.feed(h(RESPONSES[3][0]))
    [error] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason == "a response with no request in flight"


def test_responses_match_requests_in_order():
    client = CustomClientFramer()
    client.encode(ReadHoldingRegisters(1, 0, 2))
    client.encode(WriteSingleRegister(1, 1, 3))
    assert client.in_flight == 2
    client.feed(h(RESPONSES[0][0]) + h(RESPONSES[3][0]))
    assert drain(client) == [RESPONSES[0][1], RESPONSES[3][1]]
    assert client.in_flight == 0


@pytest.mark.parametrize(
    ("request_", "reason"),
    [
        (ReadInputRegisters(1, 0, 2), "function 0x03 answers a 0x04 request"),
        (ReadHoldingRegisters(1, 0, 3), "read of 3 registers answered with 2"),
    ],
)
def test_a_response_to_another_request_is_an_error(request_, reason):
    client = CustomClientFramer()
    client.encode(request_)
    client.feed(h(RESPONSES[0][0]))
    [error] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert (error.reason, error.dropped) == (reason, h(RESPONSES[0][0]))
    assert client.in_flight == 0


def test_abandon_turns_a_late_answer_into_an_error():
    client = CustomClientFramer()
    client.encode(ReadHoldingRegisters(1, 0, 2))
    client.abandon()
    assert client.in_flight == 0
    client.feed(h(RESPONSES[0][0]))
    assert kinds(drain(client)) == ["ModbusProtocolError"]


def test_in_flight_is_bounded():
    client = CustomClientFramer()
    for _ in range(MAX_IN_FLIGHT + 5):
        client.encode(ReadHoldingRegisters(1, 0, 1))
    assert client.in_flight == MAX_IN_FLIGHT


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("01 03 00 00 00 01", "not a response: unit 1, code 0x03"),
        ("01 10 00 00 00 00", "not a response: unit 1, code 0x10, words 0x0000 0x0000"),
        ("01 10 00 00 00 7c", "not a response"),
        ("01 83 00 00 00 00", "not a response"),
        ("01 83 02 01 00 00", "not a response"),
        ("01 83 02 00 00 01", "not a response"),
        ("f8 06 00 00 00 01", "not a response: unit 248"),
        ("01 43 00 00 00 01", "data frame with unit 1, count 0"),
        ("01 43 00 7e 00 01", "data frame with unit 1, count 126"),
        ("f8 43 00 01 00 01", "data frame with unit 248, count 1"),
        ("01 43 01 02 00 01", "data frame 1 of 2 (code 0x43) outside its operation"),
    ],
)
def test_frames_that_are_no_response_are_dropped(body, reason):
    client = CustomClientFramer()
    client.encode(WriteSingleRegister(1, 1, 3))
    client.feed(seal(body) + h(RESPONSES[3][0]))
    [error, message] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason.startswith(reason)
    assert error.dropped == seal(body)
    assert message == RESPONSES[3][1]


def test_a_read_response_cut_short_by_the_next_response():
    data = h(RESPONSES[2][0])
    client = CustomClientFramer()
    client.encode(ReadInputRegisters(3, 100, 4))
    client.encode(ReadInputRegisters(3, 100, 4))
    client.feed(data[:16] + data)
    [error, message] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert error.reason == "operation cut short after 2 of 4 data frames"
    assert error.dropped == data[:16]
    assert message == RESPONSES[2][1]


def test_a_read_response_cut_short_by_another_kind_of_frame():
    data = h(RESPONSES[2][0])
    client = CustomClientFramer()
    client.encode(WriteSingleRegister(1, 1, 3))
    client.feed(data[:8] + h(RESPONSES[3][0]))
    [error, message] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert error.dropped == data[:8]
    assert message == RESPONSES[3][1]


def test_a_read_response_missing_a_frame_is_dropped_with_its_tail():
    data = h(RESPONSES[2][0])
    client = CustomClientFramer()
    client.encode(ReadInputRegisters(3, 100, 4))
    client.feed(data[:8] + data[16:])
    [error] = drain(client)
    assert isinstance(error, ModbusProtocolError)
    assert error.dropped == data[:8] + data[16:]


@pytest.mark.parametrize(
    "request_",
    [
        UnsupportedFunction(1, 0x01, h("00 00 01")),
        UnsupportedFunction(1, 0x01, h("00 00 00 00 01")),
        UnsupportedFunction(1, 0x43, h("00 00 00 01")),
        InvalidRequest(1, 0x10, h("00 00 00 7c f8")),
    ],
)
def test_client_refuses_what_a_custom_frame_cannot_carry(request_):
    client = CustomClientFramer()
    with pytest.raises(ValueError, match="only with 4 data bytes"):
        client.encode(request_)
    assert client.in_flight == 0


def test_unit_255_exists_only_on_modbus_tcp():
    with pytest.raises(ValueError, match="unit 255 exists only on Modbus TCP"):
        CustomClientFramer().encode(ReadHoldingRegisters(255, 0, 1))
    with pytest.raises(ValueError, match="unit 255"):
        CustomServerFramer().encode(ExceptionResponse(255, 3, 2))
