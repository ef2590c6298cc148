"""Modbus, sans-IO: register messages, and two wire formats for them.

Bytes go in and messages come out, and back; nothing here opens a socket,
starts a thread or reads a clock. Four function codes are implemented
(0x03, 0x04, 0x06, 0x10) plus exception responses, on two framings picked by
name: ``"custom"`` (8-byte frames with a CRC, the default) and ``"modbus-tcp"``
(MBAP, wire-compatible with real devices).

A device decodes requests and answers them; the framing stays out of sight:

>>> from simulators.protocols.modbus import server_framer, ReadInputRegisters
>>> server = server_framer("custom")
>>> server.feed(bytes.fromhex("01 04 00 64 00 01 70 15"))
>>> request = server.next_message()
>>> request
ReadInputRegisters(unit=1, address=100, count=1, transaction_id=None)
>>> server.encode(request.response([4980])).hex(" ")
'01 44 00 01 13 74 ad 12'

Bad bytes raise :class:`ModbusProtocolError` after they have been dropped;
the caller logs the error and calls ``next_message()`` again.
"""

from .base import MAX_IN_FLIGHT, ClientFramer, ServerFramer, mismatch
from .crc import crc16_modbus
from .custom import CustomClientFramer, CustomServerFramer
from .framer import DEFAULT_FRAMING, FRAMINGS, Framing, client_framer, server_framer
from .mbap import MbapClientFramer, MbapServerFramer
from .messages import (
    MAX_READ_COUNT,
    MAX_WRITE_COUNT,
    SUPPORTED_FUNCTIONS,
    TCP_UNIT,
    ExceptionCode,
    ExceptionResponse,
    FunctionCode,
    InvalidRequest,
    ModbusProtocolError,
    ReadHoldingRegisters,
    ReadHoldingRegistersResponse,
    ReadInputRegisters,
    ReadInputRegistersResponse,
    ReadRequest,
    ReadResponse,
    Request,
    Response,
    UnsupportedFunction,
    WriteMultipleRegisters,
    WriteMultipleRegistersResponse,
    WriteSingleRegister,
    WriteSingleRegisterResponse,
)
from .pdu import decode_request, decode_response, encode_pdu

__all__ = [
    "DEFAULT_FRAMING",
    "FRAMINGS",
    "MAX_IN_FLIGHT",
    "MAX_READ_COUNT",
    "MAX_WRITE_COUNT",
    "SUPPORTED_FUNCTIONS",
    "TCP_UNIT",
    "ClientFramer",
    "CustomClientFramer",
    "CustomServerFramer",
    "ExceptionCode",
    "ExceptionResponse",
    "Framing",
    "FunctionCode",
    "InvalidRequest",
    "MbapClientFramer",
    "MbapServerFramer",
    "ModbusProtocolError",
    "ReadHoldingRegisters",
    "ReadHoldingRegistersResponse",
    "ReadInputRegisters",
    "ReadInputRegistersResponse",
    "ReadRequest",
    "ReadResponse",
    "Request",
    "Response",
    "ServerFramer",
    "UnsupportedFunction",
    "WriteMultipleRegisters",
    "WriteMultipleRegistersResponse",
    "WriteSingleRegister",
    "WriteSingleRegisterResponse",
    "client_framer",
    "crc16_modbus",
    "decode_request",
    "decode_response",
    "encode_pdu",
    "mismatch",
    "server_framer",
]
