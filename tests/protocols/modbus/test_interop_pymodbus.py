"""Interop with pymodbus 3.16, an independent implementation of Modbus TCP.

pymodbus builds MBAP frames that our decoders read, and decodes the frames we
build. Frames only: no sockets.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pymodbus.framer import FramerSocket
from pymodbus.pdu import DecodePDU
from pymodbus.pdu import ExceptionResponse as PmException
from pymodbus.pdu import bit_message as pm_bits
from pymodbus.pdu import register_message as pm

from simulators.protocols.modbus import (
    MAX_READ_COUNT,
    MAX_WRITE_COUNT,
    ExceptionResponse,
    MbapClientFramer,
    MbapServerFramer,
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

from .helpers import drain

words = st.integers(0, 0xFFFF)
units = st.integers(0, 247) | st.just(255)
tids = st.integers(0, 0xFFFF)
read_values = st.lists(words, min_size=1, max_size=MAX_READ_COUNT)
write_values = st.lists(words, min_size=1, max_size=MAX_WRITE_COUNT)
SETTINGS = settings(deadline=None, max_examples=100)


def pm_client() -> FramerSocket:
    """A pymodbus framer on the client side (builds requests, decodes responses)."""
    return FramerSocket(DecodePDU(is_server=False))


def pm_server() -> FramerSocket:
    """A pymodbus framer on the server side (decodes requests, builds responses)."""
    return FramerSocket(DecodePDU(is_server=True))


def pm_decode(framer: FramerSocket, frame: bytes):
    used, pdu = framer.handleFrame(frame, 0, 0)
    assert used == len(frame)
    assert pdu is not None
    return pdu


def our_server_decodes(frame: bytes):
    server = MbapServerFramer()
    server.feed(frame)
    [request] = drain(server)
    return request


def our_client_decodes(request, frame: bytes):
    client = MbapClientFramer()
    client.encode(request)
    client.feed(frame)
    [response] = drain(client)
    return response


# pymodbus builds, we decode.


@SETTINGS
@given(units, tids, words, st.integers(1, MAX_READ_COUNT), st.booleans())
def test_we_decode_pymodbus_read_requests(unit, tid, address, count, holding):
    pm_class = pm.ReadHoldingRegistersRequest if holding else pm.ReadInputRegistersRequest
    frame = pm_client().buildFrame(
        pm_class(address=address, count=count, dev_id=unit, transaction_id=tid)
    )
    ours = ReadHoldingRegisters if holding else ReadInputRegisters
    assert our_server_decodes(frame) == ours(unit, address, count, transaction_id=tid)


@SETTINGS
@given(units, tids, words, words)
def test_we_decode_pymodbus_write_single_requests(unit, tid, address, value):
    frame = pm_client().buildFrame(
        pm.WriteSingleRegisterRequest(
            address=address, registers=[value], dev_id=unit, transaction_id=tid
        )
    )
    assert our_server_decodes(frame) == WriteSingleRegister(
        unit, address, value, transaction_id=tid
    )


@SETTINGS
@given(units, tids, words, write_values)
def test_we_decode_pymodbus_write_multiple_requests(unit, tid, address, values):
    frame = pm_client().buildFrame(
        pm.WriteMultipleRegistersRequest(
            address=address, registers=values, dev_id=unit, transaction_id=tid
        )
    )
    assert our_server_decodes(frame) == WriteMultipleRegisters(
        unit, address, tuple(values), transaction_id=tid
    )


def test_we_decode_a_pymodbus_read_coils_request_as_unsupported():
    frame = pm_client().buildFrame(
        pm_bits.ReadCoilsRequest(address=0x13, count=0x13, dev_id=1, transaction_id=5)
    )
    request = our_server_decodes(frame)
    assert request == UnsupportedFunction(1, 0x01, bytes.fromhex("00 13 00 13"), transaction_id=5)
    # and pymodbus reads our answer as exception 1 on function 1
    answer = pm_decode(pm_client(), MbapServerFramer().encode(request.response()))
    assert isinstance(answer, PmException)
    assert (answer.function_code, answer.exception_code) == (0x81, 1)
    assert answer.transaction_id == 5


@SETTINGS
@given(units, tids, read_values, st.booleans())
def test_we_decode_pymodbus_read_responses(unit, tid, values, holding):
    pm_class = pm.ReadHoldingRegistersResponse if holding else pm.ReadInputRegistersResponse
    frame = pm_server().buildFrame(pm_class(registers=values, dev_id=unit, transaction_id=tid))
    request_class = ReadHoldingRegisters if holding else ReadInputRegisters
    request = request_class(unit, 0, len(values), transaction_id=tid)
    response_class = ReadHoldingRegistersResponse if holding else ReadInputRegistersResponse
    assert our_client_decodes(request, frame) == response_class(
        unit, tuple(values), transaction_id=tid
    )


@SETTINGS
@given(units, tids, words, words)
def test_we_decode_pymodbus_write_responses(unit, tid, address, value):
    single = pm_server().buildFrame(
        pm.WriteSingleRegisterResponse(
            address=address, registers=[value], dev_id=unit, transaction_id=tid
        )
    )
    request = WriteSingleRegister(unit, address, value, transaction_id=tid)
    assert our_client_decodes(request, single) == request.response()
    count = value % MAX_WRITE_COUNT + 1
    multiple = pm_server().buildFrame(
        pm.WriteMultipleRegistersResponse(
            address=address, count=count, dev_id=unit, transaction_id=tid
        )
    )
    request_many = WriteMultipleRegisters(unit, address, (0,) * count, transaction_id=tid)
    assert our_client_decodes(request_many, multiple) == request_many.response()


@pytest.mark.parametrize("code", [1, 2, 3, 4])
@pytest.mark.parametrize("function", [3, 4, 6, 16])
def test_we_decode_pymodbus_exception_responses(function, code):
    frame = pm_server().buildFrame(PmException(function, code, device_id=1, transaction=9))
    request = {
        3: ReadHoldingRegisters(1, 0, 1, transaction_id=9),
        4: ReadInputRegisters(1, 0, 1, transaction_id=9),
        6: WriteSingleRegister(1, 0, 1, transaction_id=9),
        16: WriteMultipleRegisters(1, 0, (1,), transaction_id=9),
    }[function]
    assert our_client_decodes(request, frame) == ExceptionResponse(
        1, function, code, transaction_id=9
    )


# We build, pymodbus decodes.


@SETTINGS
@given(units, tids, words, st.integers(1, MAX_READ_COUNT), st.booleans())
def test_pymodbus_decodes_our_read_requests(unit, tid, address, count, holding):
    ours = ReadHoldingRegisters if holding else ReadInputRegisters
    frame = MbapClientFramer().encode(ours(unit, address, count, transaction_id=tid))
    theirs = pm_decode(pm_server(), frame)
    pm_class = pm.ReadHoldingRegistersRequest if holding else pm.ReadInputRegistersRequest
    assert type(theirs) is pm_class
    assert (theirs.dev_id, theirs.transaction_id) == (unit, tid)
    assert (theirs.address, theirs.count) == (address, count)


@SETTINGS
@given(units, tids, words, words, write_values)
def test_pymodbus_decodes_our_write_requests(unit, tid, address, value, values):
    single = pm_decode(
        pm_server(),
        MbapClientFramer().encode(WriteSingleRegister(unit, address, value, transaction_id=tid)),
    )
    assert type(single) is pm.WriteSingleRegisterRequest
    assert (single.dev_id, single.transaction_id) == (unit, tid)
    assert (single.address, list(single.registers)) == (address, [value])
    request = WriteMultipleRegisters(unit, address, tuple(values), transaction_id=tid)
    multiple = pm_decode(pm_server(), MbapClientFramer().encode(request))
    assert type(multiple) is pm.WriteMultipleRegistersRequest
    assert (multiple.address, multiple.count) == (address, len(values))
    assert list(multiple.registers) == values


@SETTINGS
@given(units, tids, read_values, st.booleans())
def test_pymodbus_decodes_our_read_responses(unit, tid, values, holding):
    ours = ReadHoldingRegistersResponse if holding else ReadInputRegistersResponse
    frame = MbapServerFramer().encode(ours(unit, tuple(values), transaction_id=tid))
    theirs = pm_decode(pm_client(), frame)
    pm_class = pm.ReadHoldingRegistersResponse if holding else pm.ReadInputRegistersResponse
    assert type(theirs) is pm_class
    assert (theirs.dev_id, theirs.transaction_id) == (unit, tid)
    assert list(theirs.registers) == values


@SETTINGS
@given(units, tids, words, words, st.integers(1, MAX_WRITE_COUNT))
def test_pymodbus_decodes_our_write_responses(unit, tid, address, value, count):
    server = MbapServerFramer()
    single = pm_decode(
        pm_client(),
        server.encode(WriteSingleRegisterResponse(unit, address, value, transaction_id=tid)),
    )
    assert type(single) is pm.WriteSingleRegisterResponse
    assert (single.address, list(single.registers)) == (address, [value])
    multiple = pm_decode(
        pm_client(),
        server.encode(WriteMultipleRegistersResponse(unit, address, count, transaction_id=tid)),
    )
    assert type(multiple) is pm.WriteMultipleRegistersResponse
    assert (multiple.address, multiple.count) == (address, count)
    assert (multiple.dev_id, multiple.transaction_id) == (unit, tid)


@pytest.mark.parametrize("code", [1, 2, 3, 4])
@pytest.mark.parametrize("function", [1, 3, 4, 6, 16, 0x2B])
def test_pymodbus_decodes_our_exception_responses(function, code):
    frame = MbapServerFramer().encode(ExceptionResponse(1, function, code, transaction_id=9))
    theirs = pm_decode(pm_client(), frame)
    assert isinstance(theirs, PmException)
    assert theirs.isError()
    assert (theirs.function_code, theirs.exception_code) == (function | 0x80, code)
    assert (theirs.dev_id, theirs.transaction_id) == (1, 9)
