"""Modbus PDUs: the function code and its data, as the Modbus application protocol lays them out.

A PDU is what every standard Modbus wire format wraps (MBAP adds a header,
RTU a unit byte and a CRC). Registers are big-endian 16-bit words.

>>> encode_pdu(ReadHoldingRegisters(unit=1, address=100, count=2)).hex(" ")
'03 00 64 00 02'
>>> decode_response(1, bytes.fromhex("03 04 04 b0 01 e0"))
ReadHoldingRegistersResponse(unit=1, values=(1200, 480), transaction_id=None)

A request always decodes to a message the device can answer, including
refusals; a response that is not well formed raises :class:`ModbusProtocolError`
(a client cannot answer it):

>>> refused = decode_request(1, bytes.fromhex("03 00 00 00 7e"))
>>> refused.reason
'read count must be 1..125, got 126'
>>> encode_pdu(refused.response()).hex(" ")
'83 03'
"""

from __future__ import annotations

import struct

from .messages import (
    MAX_READ_COUNT,
    MAX_WRITE_COUNT,
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

MAX_PDU = 253
"""Longest PDU the protocol allows (fits a 256-byte RTU frame)."""

_BHH = struct.Struct(">BHH")
_HH = struct.Struct(">HH")
_HHB = struct.Struct(">HHB")


def _words(values: tuple[int, ...]) -> bytes:
    return struct.pack(f">{len(values)}H", *values)


def encode_pdu(message: Request | Response) -> bytes:
    """Return the PDU (function code + data) of a request or a response."""
    match message:
        case ReadHoldingRegisters() | ReadInputRegisters():
            pdu = _BHH.pack(message.function_code, message.address, message.count)
        case ReadHoldingRegistersResponse() | ReadInputRegistersResponse():
            count = len(message.values)
            pdu = bytes((message.function_code, 2 * count)) + _words(message.values)
        case WriteSingleRegister() | WriteSingleRegisterResponse():
            pdu = _BHH.pack(message.function_code, message.address, message.value)
        case WriteMultipleRegisters():
            count = len(message.values)
            head = _HHB.pack(message.address, count, 2 * count)
            pdu = bytes((message.function_code,)) + head + _words(message.values)
        case WriteMultipleRegistersResponse():
            pdu = _BHH.pack(message.function_code, message.address, message.count)
        case ExceptionResponse():
            pdu = bytes((message.function_code | 0x80, message.exception_code))
        case _:  # UnsupportedFunction, InvalidRequest: sent as received
            pdu = bytes((message.function_code,)) + message.data
    return pdu


def _read(unit: int, code: int, data: bytes, tid: int | None) -> Request:
    if len(data) != 4:
        return InvalidRequest(
            unit,
            code,
            data,
            f"a read request has 4 data bytes, got {len(data)}",
            transaction_id=tid,
        )
    address, count = _HH.unpack(data)
    if not 1 <= count <= MAX_READ_COUNT:
        return InvalidRequest(
            unit,
            code,
            data,
            f"read count must be 1..{MAX_READ_COUNT}, got {count}",
            transaction_id=tid,
        )
    read = ReadHoldingRegisters if code == 0x03 else ReadInputRegisters
    return read(unit, address, count, transaction_id=tid)


def _write_single(unit: int, code: int, data: bytes, tid: int | None) -> Request:
    if len(data) != 4:
        reason = f"a write-single request has 4 data bytes, got {len(data)}"
        return InvalidRequest(unit, code, data, reason, transaction_id=tid)
    address, value = _HH.unpack(data)
    return WriteSingleRegister(unit, address, value, transaction_id=tid)


def _write_multiple(unit: int, code: int, data: bytes, tid: int | None) -> Request:
    size = len(data)
    if size < 5:
        reason = f"a write-multiple request has at least 5 data bytes, got {size}"
        return InvalidRequest(unit, code, data, reason, transaction_id=tid)
    address, count, byte_count = _HHB.unpack_from(data)
    if not 1 <= count <= MAX_WRITE_COUNT:
        reason = f"write count must be 1..{MAX_WRITE_COUNT}, got {count}"
    elif byte_count != 2 * count or size - 5 != byte_count:
        reason = f"byte count {byte_count} with {count} registers and {size - 5} value bytes"
    else:
        values = struct.unpack_from(f">{count}H", data, 5)
        return WriteMultipleRegisters(unit, address, values, transaction_id=tid)
    return InvalidRequest(unit, code, data, reason, transaction_id=tid)


_REQUESTS = {0x03: _read, 0x04: _read, 0x06: _write_single, 0x10: _write_multiple}


def decode_request(unit: int, pdu: bytes, transaction_id: int | None = None) -> Request:
    """Decode a request PDU; raise :class:`ModbusProtocolError` only if it is no request at all.

    Unknown function codes give :class:`UnsupportedFunction`; bad quantities
    and lengths give :class:`InvalidRequest`.
    """
    if not 0 < len(pdu) <= MAX_PDU:
        raise ModbusProtocolError(f"a PDU has 1..{MAX_PDU} bytes, got {len(pdu)}", pdu)
    code = pdu[0]
    decode = _REQUESTS.get(code)
    if decode is not None:
        return decode(unit, code, pdu[1:], transaction_id)
    if code & 0x80:
        raise ModbusProtocolError(f"function code {code:#04x} is an exception, not a request", pdu)
    return UnsupportedFunction(unit, code, pdu[1:], transaction_id=transaction_id)


def decode_response(unit: int, pdu: bytes, transaction_id: int | None = None) -> Response:
    """Decode a response PDU; raise :class:`ModbusProtocolError` if it is malformed."""
    size = len(pdu)
    if not 0 < size <= MAX_PDU:
        raise ModbusProtocolError(f"a PDU has 1..{MAX_PDU} bytes, got {size}", pdu)
    code = pdu[0]
    if code & 0x80:
        if size != 2 or not pdu[1]:
            raise ModbusProtocolError("an exception response is 0x80|fc and a nonzero code", pdu)
        return ExceptionResponse(unit, code & 0x7F, pdu[1], transaction_id=transaction_id)
    if code in (0x03, 0x04):
        byte_count = pdu[1] if size > 1 else -1
        if byte_count != size - 2 or byte_count % 2 or not 2 <= byte_count <= 2 * MAX_READ_COUNT:
            raise ModbusProtocolError(f"read response with byte count {byte_count}", pdu)
        values = struct.unpack_from(f">{byte_count // 2}H", pdu, 2)
        read = ReadHoldingRegistersResponse if code == 0x03 else ReadInputRegistersResponse
        return read(unit, values, transaction_id=transaction_id)
    if code in (0x06, 0x10) and size == 5:
        _, address, word = _BHH.unpack(pdu)
        if code == 0x06:
            return WriteSingleRegisterResponse(unit, address, word, transaction_id=transaction_id)
        if 1 <= word <= MAX_WRITE_COUNT:
            return WriteMultipleRegistersResponse(
                unit, address, word, transaction_id=transaction_id
            )
        raise ModbusProtocolError(f"write-multiple response with count {word}", pdu)
    raise ModbusProtocolError(f"function code {code:#04x} with {size - 1} data bytes", pdu)
