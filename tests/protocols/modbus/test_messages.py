"""Messages check their own fields and build their own answers."""

from __future__ import annotations

import pytest

from simulators.protocols.modbus import (
    ExceptionCode,
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
)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ReadHoldingRegisters(248, 0, 1), "unit must be in 0..247, or 255"),
        (lambda: ReadHoldingRegisters(-1, 0, 1), "unit"),
        (lambda: ReadHoldingRegisters(1, 0x10000, 1), "address must be in 0..65535"),
        (lambda: ReadHoldingRegisters(1, 0, 0), "count must be in 1..125, got 0"),
        (lambda: ReadInputRegisters(1, 0, 126), "count must be in 1..125, got 126"),
        (lambda: ReadInputRegisters(1, 0, 1, transaction_id=0x10000), "transaction_id"),
        (lambda: WriteSingleRegister(1, 0, 0x10000), "register value must be in 0..65535"),
        (lambda: WriteSingleRegister(1, -1, 0), "address"),
        (lambda: WriteMultipleRegisters(1, 0, ()), "number of values must be in 1..123, got 0"),
        (lambda: WriteMultipleRegisters(1, 0, (0,) * 124), "number of values must be in 1..123"),
        (lambda: WriteMultipleRegisters(1, 0, (1, -1)), "register value"),
        (lambda: UnsupportedFunction(1, 3), "function code 0x03 is supported"),
        (lambda: UnsupportedFunction(1, 0x83), "function code must be in 0..127"),
        (lambda: UnsupportedFunction(1, 1, bytes(253)), "data length"),
        (lambda: InvalidRequest(1, 1), "function code 0x01 is not supported"),
        (lambda: InvalidRequest(1, 3, bytes(253)), "data length"),
        (lambda: ReadHoldingRegistersResponse(1, ()), "number of values must be in 1..125"),
        (lambda: ReadInputRegistersResponse(1, (0,) * 126), "number of values"),
        (lambda: WriteSingleRegisterResponse(1, 0, 0x10000), "register value"),
        (lambda: WriteMultipleRegistersResponse(1, 0, 124), "count must be in 1..123"),
        (lambda: ExceptionResponse(1, 0x83, 2), "function code must be in 0..127"),
        (lambda: ExceptionResponse(1, 3, 0), "exception code must be in 1..255, got 0"),
    ],
)
def test_out_of_range_fields_raise_value_error(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_unit_255_is_allowed_for_modbus_tcp():
    assert ReadHoldingRegisters(255, 0, 1).unit == 255


def test_values_become_a_tuple():
    assert WriteMultipleRegisters(1, 0, [1, 2]).values == (1, 2)  # type: ignore[arg-type]
    assert ReadHoldingRegistersResponse(1, [7]).values == (7,)  # type: ignore[arg-type]


def test_messages_are_frozen():
    request = ReadHoldingRegisters(1, 0, 1)
    with pytest.raises(AttributeError):
        request.count = 2  # type: ignore[misc]


def test_holding_and_input_reads_differ():
    holding: object = ReadHoldingRegisters(1, 0, 1)
    assert holding != ReadInputRegisters(1, 0, 1)
    values: object = ReadHoldingRegistersResponse(1, (1,))
    assert values != ReadInputRegistersResponse(1, (1,))


@pytest.mark.parametrize(
    ("request_", "answer"),
    [
        (
            ReadHoldingRegisters(1, 0, 2, transaction_id=9),
            ReadHoldingRegistersResponse(1, (5, 6), transaction_id=9),
        ),
        (
            ReadInputRegisters(2, 100, 1),
            ReadInputRegistersResponse(2, (4980,)),
        ),
        (
            WriteSingleRegister(1, 2, 1, transaction_id=3),
            WriteSingleRegisterResponse(1, 2, 1, transaction_id=3),
        ),
        (
            WriteMultipleRegisters(1, 0, (1200, 500)),
            WriteMultipleRegistersResponse(1, 0, 2),
        ),
        (
            UnsupportedFunction(1, 0x01, b"\0\0\0\1", transaction_id=4),
            ExceptionResponse(1, 0x01, 1, transaction_id=4),
        ),
        (
            InvalidRequest(1, 0x03, b"\0\0\0\0", "count 0", transaction_id=5),
            ExceptionResponse(1, 0x03, 3, transaction_id=5),
        ),
    ],
)
def test_response_answers_with_unit_and_transaction_id(request_, answer):
    if isinstance(request_, ReadHoldingRegisters | ReadInputRegisters):
        assert request_.response(answer.values) == answer
    else:
        assert request_.response() == answer


@pytest.mark.parametrize(
    "request_",
    [
        ReadHoldingRegisters(1, 0, 1, transaction_id=7),
        ReadInputRegisters(1, 0, 1, transaction_id=7),
        WriteSingleRegister(1, 0, 1, transaction_id=7),
        WriteMultipleRegisters(1, 0, (1,), transaction_id=7),
        UnsupportedFunction(1, 0x2B, transaction_id=7),
        InvalidRequest(1, 0x10, transaction_id=7),
    ],
)
def test_exception_answers_any_request(request_):
    answer = request_.exception(ExceptionCode.SERVER_DEVICE_FAILURE)
    assert answer == ExceptionResponse(1, request_.function_code, 4, transaction_id=7)


def test_known_exception_codes_become_the_enum():
    assert ExceptionResponse(1, 3, 2).exception_code is ExceptionCode.ILLEGAL_DATA_ADDRESS
    assert ExceptionResponse(1, 3, 0x0B).exception_code is (
        ExceptionCode.GATEWAY_TARGET_FAILED_TO_RESPOND
    )
    vendor = ExceptionResponse(1, 3, 0x42).exception_code
    assert vendor == 0x42
    assert not isinstance(vendor, ExceptionCode)


def test_invalid_request_reason_is_not_compared():
    assert InvalidRequest(1, 3, b"", "one reason") == InvalidRequest(1, 3, b"", "another")


def test_protocol_error_keeps_every_dropped_byte_and_shows_a_preview():
    error = ModbusProtocolError("junk", bytes(range(40)))
    assert error.reason == "junk"
    assert error.dropped == bytes(range(40))
    assert str(error).startswith("junk (dropped 40 bytes: 00 01 02")
    assert str(error).endswith("1f ...)")
