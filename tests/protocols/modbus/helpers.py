"""Shared helpers and hypothesis strategies for the Modbus tests."""

from __future__ import annotations

from hypothesis import strategies as st

from simulators.protocols.modbus import (
    MAX_READ_COUNT,
    MAX_WRITE_COUNT,
    SUPPORTED_FUNCTIONS,
    ClientFramer,
    ExceptionResponse,
    InvalidRequest,
    ModbusProtocolError,
    ReadHoldingRegisters,
    ReadHoldingRegistersResponse,
    ReadInputRegisters,
    ReadInputRegistersResponse,
    Request,
    Response,
    ServerFramer,
    UnsupportedFunction,
    WriteMultipleRegisters,
    WriteMultipleRegistersResponse,
    WriteSingleRegister,
    WriteSingleRegisterResponse,
    crc16_modbus,
)
from simulators.protocols.modbus.custom import DATA_CODES

Outcome = Request | Response | ModbusProtocolError


def h(text: str) -> bytes:
    """Bytes from spaced hex."""
    return bytes.fromhex(text)


def seal(text: str) -> bytes:
    """A custom frame from the hex of its first six bytes (CRC appended low byte first)."""
    body = h(text)
    crc = crc16_modbus(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def drain(framer: ServerFramer | ClientFramer) -> list[Outcome]:
    """Every message and error the framer yields until it needs more bytes."""
    out: list[Outcome] = []
    while True:
        try:
            message = framer.next_message()
        except ModbusProtocolError as error:
            out.append(error)
            continue
        if message is None:
            return out
        out.append(message)


def kinds(outcomes: list[Outcome]) -> list[str]:
    """Class names, for compact assertions."""
    return [type(outcome).__name__ for outcome in outcomes]


def request_for(response: Response) -> Request:
    """A request that ``response`` answers."""
    match response:
        case ReadHoldingRegistersResponse():
            return ReadHoldingRegisters(response.unit, 0, len(response.values))
        case ReadInputRegistersResponse():
            return ReadInputRegisters(response.unit, 0, len(response.values))
        case WriteSingleRegisterResponse():
            return WriteSingleRegister(response.unit, response.address, response.value)
        case WriteMultipleRegistersResponse():
            values = (0,) * response.count
            return WriteMultipleRegisters(response.unit, response.address, values)
        case ExceptionResponse():
            code, data = response.function_code, b"\0\0\0\0"
            if code in SUPPORTED_FUNCTIONS:
                return InvalidRequest(response.unit, code, data)
            return UnsupportedFunction(response.unit, code, data)
    raise AssertionError(response)


# Strategies. `tcp` allows unit 255 and transaction ids (Modbus TCP only).

words = st.integers(0, 0xFFFF)


def units(tcp: bool) -> st.SearchStrategy[int]:
    """Valid unit ids for the framing."""
    return st.integers(0, 247) | st.just(255) if tcp else st.integers(0, 247)


def tids(tcp: bool) -> st.SearchStrategy[int | None]:
    """Transaction ids: a word on Modbus TCP, None on the custom wire."""
    return words if tcp else st.none()


def unsupported_codes(tcp: bool) -> st.SearchStrategy[int]:
    """Function codes that decode to UnsupportedFunction on the framing."""
    excluded = SUPPORTED_FUNCTIONS if tcp else SUPPORTED_FUNCTIONS | DATA_CODES
    return st.integers(0, 0x7F).filter(lambda code: code not in excluded)


def _bad_quantity(
    unit: int, code: int, address: int, count: int, tid: int | None
) -> InvalidRequest:
    data = address.to_bytes(2, "big") + count.to_bytes(2, "big")
    return InvalidRequest(unit, code, data, transaction_id=tid)


def requests(tcp: bool) -> st.SearchStrategy[Request]:
    """Every kind of request, valid for the framing."""
    unit, tid = units(tcp), tids(tcp)
    data = st.binary(max_size=252) if tcp else st.binary(min_size=4, max_size=4)
    count = st.integers(1, MAX_READ_COUNT)
    values = st.lists(words, min_size=1, max_size=MAX_WRITE_COUNT).map(tuple)
    bad_count = st.integers(MAX_READ_COUNT + 1, 0xFFFF) | st.just(0)
    return st.one_of(
        st.builds(ReadHoldingRegisters, unit, words, count, transaction_id=tid),
        st.builds(ReadInputRegisters, unit, words, count, transaction_id=tid),
        st.builds(WriteSingleRegister, unit, words, words, transaction_id=tid),
        st.builds(WriteMultipleRegisters, unit, words, values, transaction_id=tid),
        st.builds(UnsupportedFunction, unit, unsupported_codes(tcp), data, transaction_id=tid),
        st.builds(_bad_quantity, unit, st.sampled_from((3, 4, 16)), words, bad_count, tid),
    )


def responses(tcp: bool) -> st.SearchStrategy[Response]:
    """Every kind of response, valid for the framing."""
    unit, tid = units(tcp), tids(tcp)
    values = st.lists(words, min_size=1, max_size=MAX_READ_COUNT).map(tuple)
    return st.one_of(
        st.builds(ReadHoldingRegistersResponse, unit, values, transaction_id=tid),
        st.builds(ReadInputRegistersResponse, unit, values, transaction_id=tid),
        st.builds(WriteSingleRegisterResponse, unit, words, words, transaction_id=tid),
        st.builds(
            WriteMultipleRegistersResponse,
            unit,
            words,
            st.integers(1, MAX_WRITE_COUNT),
            transaction_id=tid,
        ),
        st.builds(
            ExceptionResponse,
            unit,
            st.integers(0, 0x7F).filter(lambda code: tcp or code not in DATA_CODES),
            st.integers(1, 255),
            transaction_id=tid,
        ),
    )
