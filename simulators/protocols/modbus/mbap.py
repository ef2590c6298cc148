"""Modbus TCP: the MBAP header in front of a standard PDU, as real devices speak it.

>>> client = MbapClientFramer()
>>> client.encode(ReadHoldingRegisters(1, address=100, count=2)).hex(" ")
'00 01 00 00 00 06 01 03 00 64 00 02'
>>> client.feed(bytes.fromhex("00 01 00 00 00 07 01 03 04 04 b0 01 e0"))
>>> client.next_message()
ReadHoldingRegistersResponse(unit=1, values=(1200, 480), transaction_id=1)
"""

from __future__ import annotations

import struct

from .base import MAX_IN_FLIGHT, ClientFramer, ServerFramer, mismatch
from .messages import (
    TCP_UNIT,
    ModbusProtocolError,
    ReadHoldingRegisters,
    ReadInputRegisters,
    Request,
    Response,
)
from .pdu import MAX_PDU, decode_request, decode_response, encode_pdu

HEADER_SIZE = 7
"""Transaction id, protocol id, length, unit."""
MAX_LENGTH = MAX_PDU + 1
"""Largest value of the length field (unit + PDU)."""
MAX_FRAME = 6 + MAX_LENGTH

_PREFIX = struct.Struct(">HHH")
_HEADER = struct.Struct(">HHHB")
_READ = struct.Struct(">HHHBBHH")  # a whole read request: header, code, address, count


def _plausible(length: int) -> bool:
    return 2 <= length <= MAX_LENGTH


def _resync(buf: bytearray) -> int:
    """Offset of the first plausible header after the start of ``buf``.

    A plausible header has protocol id 0 and a length in 2..254. Offsets whose
    header has not fully arrived count as plausible: they may become one.
    """
    size = len(buf)
    start = 1
    while True:
        protocol_at = buf.find(b"\0\0", start + 2)
        if protocol_at < 0:
            return max(start, size - 3)
        head = protocol_at - 2
        if protocol_at + 4 > size or _plausible(buf[protocol_at + 2] << 8 | buf[protocol_at + 3]):
            return head
        start = head + 1


def _take_frame(buf: bytearray) -> bytes | None:
    """Remove and return the next whole MBAP frame from ``buf``; None if it has not all arrived.

    A header with a wrong protocol id but a plausible length is taken as a
    frame whose header got damaged: the whole frame it announces is dropped.
    A header with an absurd length cannot be trusted: everything up to the next
    plausible header is dropped. Either way :class:`ModbusProtocolError` says so.
    """
    if len(buf) < 6:
        return None
    _, protocol, length = _PREFIX.unpack_from(buf)
    end = 6 + length
    if _plausible(length):
        if len(buf) < end:
            return None
        if not protocol:
            frame = bytes(buf[:end])
            del buf[:end]
            return frame
        reason = f"bad MBAP header: protocol id {protocol:#06x}, Modbus is 0"
    else:
        end = _resync(buf)
        reason = f"bad MBAP header: length {length}, must be 2..{MAX_LENGTH}"
    dropped = bytes(buf[:end])
    del buf[:end]
    raise ModbusProtocolError(reason, dropped)


def _unit(frame: bytes) -> int:
    unit = frame[6]
    if unit > 247 and unit != TCP_UNIT:
        raise ModbusProtocolError(f"unit {unit} is reserved", frame)
    return unit


def _frame(transaction_id: int | None, message: Request | Response) -> bytes:
    pdu = encode_pdu(message)
    header = _HEADER.pack(transaction_id or 0, 0, len(pdu) + 1, message.unit)
    return header + pdu


class MbapServerFramer(ServerFramer):
    """Modbus TCP, device side. Every frame is the MBAP header, then the PDU::

        byte  0-1             2-3           4-5                  6      7     8 ...
              transaction id  protocol id   length               unit   fc    data
              (echoed)        always 0      = 1 + PDU bytes      0..247 or 255
                                            (2..254)

    All fields big-endian. A request's transaction id comes back in its
    response (``request.response()`` copies it).

    Resynchronisation: a wrong protocol id with a plausible length drops the
    frame that header announces; an absurd length drops bytes up to the next
    plausible header (protocol id 0, length 2..254). A well-framed PDU that is
    no request (fc >= 0x80) or a reserved unit (248..254) drops that frame.
    """

    name = "modbus-tcp"
    max_buffered = MAX_FRAME - 1

    def next_message(self) -> Request | None:
        """Return the next request, or None until more bytes arrive."""
        buf = self._buffer
        if len(buf) >= 12:  # fast path: a well-formed read request at the front
            tid, protocol, length, unit, code, address, count = _READ.unpack_from(buf)
            if not protocol and length == 6 and code in (3, 4) and unit <= 247 and 0 < count <= 125:
                del buf[:12]
                read = ReadHoldingRegisters if code == 3 else ReadInputRegisters
                return read(unit, address, count, transaction_id=tid)
        frame = _take_frame(buf)
        if frame is None:
            return None
        try:
            return decode_request(_unit(frame), frame[7:], frame[0] << 8 | frame[1])
        except ModbusProtocolError as error:
            raise ModbusProtocolError(error.reason, frame) from None

    def encode(self, response: Response) -> bytes:
        """Return the MBAP frame of ``response`` (transaction id 0 if it has none)."""
        return _frame(response.transaction_id, response)


class MbapClientFramer(ClientFramer):
    """Modbus TCP, controller side; the layout is drawn in :class:`MbapServerFramer`.

    ``encode()`` sends a request's own transaction id, or when it has none the
    next of a counter (1, 2, ... wrapping at 65535). Each response is matched
    by its transaction id to the request in flight and carries that id; a
    response whose id matches none raises :class:`ModbusProtocolError`.
    """

    name = "modbus-tcp"
    max_buffered = MAX_FRAME - 1

    def __init__(self) -> None:
        super().__init__()
        self._in_flight: dict[int, Request] = {}
        self._last_id = 0

    def encode(self, request: Request) -> bytes:
        """Return the MBAP frame of ``request`` and remember it under its transaction id."""
        tid = request.transaction_id
        if tid is None:
            tid = self._last_id = (self._last_id + 1) & 0xFFFF
        in_flight = self._in_flight
        in_flight.pop(tid, None)
        if len(in_flight) >= MAX_IN_FLIGHT:
            del in_flight[next(iter(in_flight))]
        in_flight[tid] = request
        return _frame(tid, request)

    def next_message(self) -> Response | None:
        """Return the next response, or None until more bytes arrive."""
        frame = _take_frame(self._buffer)
        if frame is None:
            return None
        tid = frame[0] << 8 | frame[1]
        request = self._in_flight.pop(tid, None)
        if request is None:
            raise ModbusProtocolError(f"no request in flight has transaction id {tid}", frame)
        try:
            response = decode_response(_unit(frame), frame[7:], tid)
        except ModbusProtocolError as error:
            raise ModbusProtocolError(error.reason, frame) from None
        problem = mismatch(request, response)
        if problem is not None:
            raise ModbusProtocolError(f"transaction {tid}: {problem}", frame)
        return response

    def abandon(self) -> None:
        """Forget every request in flight."""
        self._in_flight.clear()

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered."""
        return len(self._in_flight)
