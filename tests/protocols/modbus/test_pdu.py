"""PDUs: (hex, message) tables in both directions, from the Modbus specification's examples."""

from __future__ import annotations

import pytest

from simulators.protocols.modbus import (
    ExceptionResponse,
    InvalidRequest,
    ModbusProtocolError,
    ReadHoldingRegisters,
    ReadHoldingRegistersResponse,
    ReadInputRegisters,
    ReadInputRegistersResponse,
    UnsupportedFunction,
    WriteMultipleRegisters,
    WriteMultipleRegistersResponse,
    WriteSingleRegister,
    WriteSingleRegisterResponse,
    decode_request,
    decode_response,
    encode_pdu,
)

from .helpers import h

REQUESTS = [
    ("03 00 6b 00 03", ReadHoldingRegisters(1, 0x6B, 3)),
    ("04 00 08 00 01", ReadInputRegisters(1, 8, 1)),
    ("06 00 01 00 03", WriteSingleRegister(1, 1, 3)),
    ("10 00 01 00 02 04 00 0a 01 02", WriteMultipleRegisters(1, 1, (0x000A, 0x0102))),
    ("03 ff ff 00 7d", ReadHoldingRegisters(1, 0xFFFF, 125)),
    ("01 00 13 00 13", UnsupportedFunction(1, 0x01, h("00 13 00 13"))),
    ("2b 0e 01 00", UnsupportedFunction(1, 0x2B, h("0e 01 00"))),
    ("07", UnsupportedFunction(1, 0x07)),
    ("00", UnsupportedFunction(1, 0x00)),
]

RESPONSES = [
    ("03 06 02 2b 00 00 00 64", ReadHoldingRegistersResponse(1, (0x022B, 0, 0x64))),
    ("04 02 00 0a", ReadInputRegistersResponse(1, (10,))),
    ("06 00 01 00 03", WriteSingleRegisterResponse(1, 1, 3)),
    ("10 00 01 00 02", WriteMultipleRegistersResponse(1, 1, 2)),
    ("83 02", ExceptionResponse(1, 0x03, 2)),
    ("81 01", ExceptionResponse(1, 0x01, 1)),
    ("90 04", ExceptionResponse(1, 0x10, 4)),
    ("80 01", ExceptionResponse(1, 0x00, 1)),
]


@pytest.mark.parametrize(("pdu", "message"), REQUESTS)
def test_request_pdus(pdu, message):
    assert decode_request(1, h(pdu)) == message
    assert encode_pdu(message) == h(pdu)


@pytest.mark.parametrize(("pdu", "message"), RESPONSES)
def test_response_pdus(pdu, message):
    assert decode_response(1, h(pdu)) == message
    assert encode_pdu(message) == h(pdu)


def test_decoding_keeps_unit_and_transaction_id():
    assert decode_request(7, h("03 00 00 00 01"), 42) == ReadHoldingRegisters(
        7, 0, 1, transaction_id=42
    )
    assert decode_response(7, h("81 01"), 42).transaction_id == 42


@pytest.mark.parametrize(
    ("pdu", "reason"),
    [
        ("03 00 00 00 00", "read count must be 1..125, got 0"),
        ("03 00 00 00 7e", "read count must be 1..125, got 126"),
        ("04 00 00 ff ff", "read count must be 1..125, got 65535"),
        ("03 00 00 00", "a read request has 4 data bytes, got 3"),
        ("04 00 00 00 01 00", "a read request has 4 data bytes, got 5"),
        ("06 00 01 00", "a write-single request has 4 data bytes, got 3"),
        ("06", "a write-single request has 4 data bytes, got 0"),
        ("10 00 01 00 01", "a write-multiple request has at least 5 data bytes, got 4"),
        ("10 00 01 00 00 00", "write count must be 1..123, got 0"),
        ("10 00 01 00 7c f8" + " 00" * 246, "write count must be 1..123, got 124"),
        ("10 00 01 00 02 02 00 0a 01 02", "byte count 2 with 2 registers and 4 value bytes"),
        ("10 00 01 00 02 04 00 0a 01", "byte count 4 with 2 registers and 3 value bytes"),
        ("10 00 01 00 01 02 00 0a 01", "byte count 2 with 1 registers and 3 value bytes"),
    ],
)
def test_bad_quantities_decode_to_invalid_request(pdu, reason):
    message = decode_request(1, h(pdu), 3)
    assert message == InvalidRequest(1, h(pdu)[0], h(pdu)[1:], transaction_id=3)
    assert isinstance(message, InvalidRequest)
    assert message.reason == reason
    assert encode_pdu(message) == h(pdu)  # sent as received, for tests of devices
    assert encode_pdu(message.response()) == bytes((h(pdu)[0] | 0x80, 3))


def test_unsupported_function_answers_exception_1_with_fc_or_0x80():
    message = decode_request(1, h("01 00 00 00 08"))
    assert isinstance(message, UnsupportedFunction)
    assert encode_pdu(message.response()) == h("81 01")


@pytest.mark.parametrize("pdu", ["", "83 02", "ff", "03" + " 00" * 253])
def test_a_pdu_that_is_no_request_raises(pdu):
    with pytest.raises(ModbusProtocolError) as caught:
        decode_request(1, h(pdu))
    assert caught.value.dropped == h(pdu)


@pytest.mark.parametrize(
    ("pdu", "reason"),
    [
        ("", "a PDU has 1..253 bytes, got 0"),
        ("03 fc" + " 00" * 252, "a PDU has 1..253 bytes, got 254"),
        ("83", "an exception response"),
        ("83 00", "an exception response"),
        ("83 02 00", "an exception response"),
        ("03", "read response with byte count -1"),
        ("03 00", "read response with byte count 0"),
        ("03 03 00 01 02", "read response with byte count 3"),
        ("03 04 00 01", "read response with byte count 4"),
        ("04 02 00 01 02", "read response with byte count 2"),
        ("03 fc" + " 00" * 251, "read response with byte count 252"),
        ("03 fa" + " 00" * 249, "read response with byte count 250"),
        ("06 00 01 00", "function code 0x06 with 3 data bytes"),
        ("10 00 01 00 02 00", "function code 0x10 with 5 data bytes"),
        ("10 00 01 00 00", "write-multiple response with count 0"),
        ("10 00 01 00 7c", "write-multiple response with count 124"),
        ("01 01 00", "function code 0x01 with 2 data bytes"),
    ],
)
def test_malformed_responses_raise(pdu, reason):
    with pytest.raises(ModbusProtocolError, match=reason) as caught:
        decode_response(1, h(pdu))
    assert caught.value.dropped == h(pdu)
