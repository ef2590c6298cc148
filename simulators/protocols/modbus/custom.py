"""The custom framing: every frame is 8 bytes and ends in a CRC-16/MODBUS.

Single-register operations take one frame; multi-register ones take one
frame per register, numbered so the receiver can reassemble them and notice a
missing one. The layout is drawn in :class:`CustomServerFramer`.

>>> client = CustomClientFramer()
>>> client.encode(ReadHoldingRegisters(1, address=100, count=2)).hex(" ")
'01 03 00 64 00 02 85 d4'
>>> server = CustomServerFramer()
>>> server.encode(ReadHoldingRegistersResponse(1, (1200, 480))).hex(" ")
'01 43 00 02 04 b0 e6 b1 01 43 01 02 01 e0 e4 21'
"""

from __future__ import annotations

import struct
from collections import deque
from dataclasses import dataclass, field

from .base import MAX_IN_FLIGHT, ClientFramer, ServerFramer, mismatch
from .crc import crc16_modbus
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
    WriteMultipleRegisters,
    WriteMultipleRegistersResponse,
    WriteSingleRegister,
    WriteSingleRegisterResponse,
)
from .pdu import decode_request

FRAME_SIZE = 8
DATA_FLAG = 0x40
"""Set in the code byte of a data frame: code = function code | 0x40."""
READ_DATA = frozenset({0x43, 0x44})
"""Data frames of read responses (0x03, 0x04)."""
WRITE_DATA = 0x50
"""Data frames of a write-multiple request (0x10)."""
DATA_CODES = READ_DATA | {WRITE_DATA}
MAX_UNIT = 247
"""Unit 255 means "any unit" only on Modbus TCP; custom frames use 0..247."""

_HEAD = struct.Struct(">BBHH")
_DATA = struct.Struct(">BBBBH")
_WORDS = struct.Struct(">HH")


def _seal(body: bytes) -> bytes:
    crc = crc16_modbus(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def _head(unit: int, code: int, word_a: int, word_b: int) -> bytes:
    return _seal(_HEAD.pack(unit, code, word_a, word_b))


def _data(unit: int, code: int, values: tuple[int, ...]) -> bytes:
    count = len(values)
    return b"".join(
        _seal(_DATA.pack(unit, code, index, count, value)) for index, value in enumerate(values)
    )


def _check_unit(unit: int) -> int:
    if unit > MAX_UNIT:
        raise ValueError(f"unit {unit} exists only on Modbus TCP; custom frames use 0..{MAX_UNIT}")
    return unit


def _peek(buf: bytearray) -> bytes | None:
    """Return the frame at the front of ``buf`` without removing it; None under 8 bytes.

    On a CRC failure drop bytes up to the next 8-byte window with a good CRC;
    with none in the buffer yet, drop the bad 8 bytes (frames are normally
    aligned) or, if more is buffered, all but the last 7 bytes.
    """
    if len(buf) < FRAME_SIZE:
        return None
    frame = bytes(buf[:FRAME_SIZE])
    if not crc16_modbus(frame):
        return frame
    size = len(buf)
    drop = next(
        (
            start
            for start in range(1, size - FRAME_SIZE + 1)
            if not crc16_modbus(bytes(buf[start : start + FRAME_SIZE]))
        ),
        max(FRAME_SIZE, size - FRAME_SIZE + 1),
    )
    dropped = bytes(buf[:drop])
    del buf[:drop]
    raise ModbusProtocolError("bad CRC", dropped)


def _take_run(buf: bytearray, frame: bytes) -> bytes:
    """Return ``frame`` (already removed) plus the buffered data frames that follow it in order."""
    run = bytearray(frame)
    index = frame[2]
    while (
        len(buf) >= FRAME_SIZE
        and buf[:2] == frame[:2]
        and buf[2] == index + 1
        and buf[3] == frame[3]
        and not crc16_modbus(bytes(buf[:FRAME_SIZE]))
    ):
        index += 1
        run += buf[:FRAME_SIZE]
        del buf[:FRAME_SIZE]
    return bytes(run)


def _orphan(buf: bytearray, frame: bytes, before: bytes = b"") -> ModbusProtocolError:
    """Drop ``frame``, a data frame that belongs to no operation, and the rest of its run."""
    del buf[:FRAME_SIZE]
    reason = f"data frame {frame[2]} of {frame[3]} (code {frame[1]:#04x}) outside its operation"
    return ModbusProtocolError(reason, before + _take_run(buf, frame))


@dataclass(slots=True)
class _Assembly:
    """A multi-register operation being reassembled from its data frames."""

    unit: int
    code: int  # the data frames' code
    count: int
    address: int = 0
    values: list[int] = field(default_factory=list)
    raw: bytearray = field(default_factory=bytearray)

    def continues(self, frame: bytes) -> bool:
        return (
            frame[0] == self.unit
            and frame[1] == self.code
            and frame[3] == self.count
            and frame[2] == len(self.values)
        )

    def add(self, frame: bytes) -> bool:
        """Add a data frame; say whether the operation is now complete."""
        self.values.append(frame[4] << 8 | frame[5])
        self.raw += frame
        return len(self.values) == self.count

    def cut_short(self) -> ModbusProtocolError:
        reason = f"operation cut short after {len(self.values)} of {self.count} data frames"
        return ModbusProtocolError(reason, bytes(self.raw))


class CustomServerFramer(ServerFramer):
    """The custom framing, device side. Every frame is 8 bytes::

        byte       0         1         2         3         4         5         6         7
              +---------+---------+---------+---------+---------+---------+---------+---------+
        head  |   unit  |    fc   | word A, big-endian| word B, big-endian|  CRC lo |  CRC hi |
              +---------+---------+---------+---------+---------+---------+---------+---------+
        data  |   unit  | fc|0x40 |  index  |  count  | value, big-endian |  CRC lo |  CRC hi |
              +---------+---------+---------+---------+---------+---------+---------+---------+
        exc   |   unit  | fc|0x80 |   code  |    00   |    00   |    00   |  CRC lo |  CRC hi |
              +---------+---------+---------+---------+---------+---------+---------+---------+

    The CRC (CRC-16/MODBUS, low byte first) covers bytes 0-5. Units are 0..247.

    ==================  =========================================================
    operation           frames
    ==================  =========================================================
    read 0x03/0x04      head: A = start address, B = count (1..125)
     response           ``count`` data frames, code 0x43/0x44, index 0..count-1
    write 0x06          head: A = address, B = value; the response echoes it
    write 0x10          head: A = start address, B = count (1..123), then
                        ``count`` data frames, code 0x50, index 0..count-1
     response           head: A = start address, B = count
    exception           exc frame with the request's fc | 0x80
    other fc (< 0x80)   head: A, B as given; decodes to UnsupportedFunction
    ==================  =========================================================

    A read request and a write-single are byte for byte Modbus RTU frames.
    A read count or write count out of range decodes to InvalidRequest.

    Resynchronisation: a frame with a bad CRC is dropped, and with it every
    byte up to the next 8-byte window whose CRC is good. Data frames must come
    in order, all with the same unit, code and count; a frame that breaks the
    run ends the operation (its frames are dropped) and a data frame outside
    any operation is dropped with the frames of its run that follow it.
    """

    name = "custom"
    max_buffered = (1 + MAX_WRITE_COUNT) * FRAME_SIZE - 1

    def __init__(self) -> None:
        super().__init__()
        self._write: _Assembly | None = None

    @property
    def buffered(self) -> int:
        """Bytes received and not yet part of a message or an error."""
        return len(self._buffer) + (len(self._write.raw) if self._write else 0)

    def next_message(self) -> Request | None:
        """Return the next request, or None until more bytes arrive."""
        buf = self._buffer
        while (frame := _peek(buf)) is not None:
            write = self._write
            if write is not None:
                if write.continues(frame):
                    del buf[:FRAME_SIZE]
                    if write.add(frame):
                        self._write = None
                        values = tuple(write.values)
                        return WriteMultipleRegisters(write.unit, write.address, values)
                    continue
                self._write = None
                if frame[1] == WRITE_DATA:
                    raise _orphan(buf, frame, bytes(write.raw))
                raise write.cut_short()
            unit, code = frame[0], frame[1]
            if code in DATA_CODES:
                raise _orphan(buf, frame)
            del buf[:FRAME_SIZE]
            if unit > MAX_UNIT:
                raise ModbusProtocolError(f"unit {unit} is out of range 0..{MAX_UNIT}", frame)
            if code == 0x10:
                address, count = _WORDS.unpack_from(frame, 2)
                if not 1 <= count <= MAX_WRITE_COUNT:
                    reason = f"write count must be 1..{MAX_WRITE_COUNT}, got {count}"
                    return InvalidRequest(unit, code, frame[2:6], reason)
                self._write = _Assembly(unit, WRITE_DATA, count, address, raw=bytearray(frame))
                continue
            try:
                return decode_request(unit, frame[1:6])
            except ModbusProtocolError as error:
                raise ModbusProtocolError(error.reason, frame) from None
        return None

    def encode(self, response: Response) -> bytes:
        """Return the frames of ``response``."""
        unit = _check_unit(response.unit)
        match response:
            case ReadHoldingRegistersResponse() | ReadInputRegistersResponse():
                return _data(unit, response.function_code | DATA_FLAG, response.values)
            case WriteSingleRegisterResponse():
                return _head(unit, response.function_code, response.address, response.value)
            case WriteMultipleRegistersResponse():
                return _head(unit, response.function_code, response.address, response.count)
            case _:  # ExceptionResponse
                code = response.function_code | 0x80
                return _seal(bytes((unit, code, response.exception_code, 0, 0, 0)))


class CustomClientFramer(ClientFramer):
    """The custom framing, controller side; the layout is drawn in :class:`CustomServerFramer`.

    The frames carry no transaction id (messages decode with None): each
    response is matched to the oldest request in flight, so call ``abandon()``
    after a timeout.
    """

    name = "custom"
    max_buffered = MAX_READ_COUNT * FRAME_SIZE - 1

    def __init__(self) -> None:
        super().__init__()
        self._read: _Assembly | None = None
        self._in_flight: deque[Request] = deque(maxlen=MAX_IN_FLIGHT)

    @property
    def buffered(self) -> int:
        """Bytes received and not yet part of a message or an error."""
        return len(self._buffer) + (len(self._read.raw) if self._read else 0)

    def encode(self, request: Request) -> bytes:
        """Return the frames of ``request`` and remember it as in flight."""
        unit = _check_unit(request.unit)
        match request:
            case ReadHoldingRegisters() | ReadInputRegisters():
                frames = _head(unit, request.function_code, request.address, request.count)
            case WriteSingleRegister():
                frames = _head(unit, request.function_code, request.address, request.value)
            case WriteMultipleRegisters():
                count = len(request.values)
                frames = _head(unit, request.function_code, request.address, count)
                frames += _data(unit, WRITE_DATA, request.values)
            case _:  # UnsupportedFunction, InvalidRequest: four data bytes as given
                if len(request.data) != 4 or request.function_code in DATA_CODES:
                    kind = type(request).__name__
                    raise ValueError(
                        f"a custom frame carries a {kind} only with 4 data bytes "
                        f"and a function code other than 0x43, 0x44, 0x50"
                    )
                frames = _seal(bytes((unit, request.function_code)) + request.data)
        self._in_flight.append(request)
        return frames

    def next_message(self) -> Response | None:
        """Return the next response, or None until more bytes arrive."""
        buf = self._buffer
        while (frame := _peek(buf)) is not None:
            unit, code = frame[0], frame[1]
            read = self._read
            if read is not None:
                if read.continues(frame):
                    del buf[:FRAME_SIZE]
                    if read.add(frame):
                        self._read = None
                        return self._answer(self._read_response(read), bytes(read.raw))
                    continue
                self._read = None
                if code in READ_DATA and frame[2]:
                    raise _orphan(buf, frame, bytes(read.raw))
                raise read.cut_short()
            if code not in READ_DATA:
                del buf[:FRAME_SIZE]
                return self._answer(self._single(frame), frame)
            if frame[2]:
                raise _orphan(buf, frame)
            del buf[:FRAME_SIZE]
            count = frame[3]
            if not 1 <= count <= MAX_READ_COUNT or unit > MAX_UNIT:
                raise ModbusProtocolError(f"data frame with unit {unit}, count {count}", frame)
            read = _Assembly(unit, code, count)
            if read.add(frame):
                return self._answer(self._read_response(read), frame)
            self._read = read
        return None

    @staticmethod
    def _read_response(read: _Assembly) -> Response:
        values = tuple(read.values)
        if read.code == 0x43:
            return ReadHoldingRegistersResponse(read.unit, values)
        return ReadInputRegistersResponse(read.unit, values)

    @staticmethod
    def _single(frame: bytes) -> Response:
        """Decode a response that fits one frame."""
        unit, code, word_a, word_b = _HEAD.unpack_from(frame)
        if unit <= MAX_UNIT:
            if code == 0x06:
                return WriteSingleRegisterResponse(unit, word_a, word_b)
            if code == 0x10 and 1 <= word_b <= MAX_WRITE_COUNT:
                return WriteMultipleRegistersResponse(unit, word_a, word_b)
            if code & 0x80 and frame[2] and not frame[3] and not word_b:
                return ExceptionResponse(unit, code & 0x7F, frame[2])
        reason = f"unit {unit}, code {code:#04x}, words {word_a:#06x} {word_b:#06x}"
        raise ModbusProtocolError(f"not a response: {reason}", frame)

    def _answer(self, response: Response, raw: bytes) -> Response:
        if not self._in_flight:
            raise ModbusProtocolError("a response with no request in flight", raw)
        problem = mismatch(self._in_flight.popleft(), response)
        if problem is not None:
            raise ModbusProtocolError(problem, raw)
        return response

    def abandon(self) -> None:
        """Forget every request in flight."""
        self._in_flight.clear()

    @property
    def in_flight(self) -> int:
        """Requests sent and not yet answered."""
        return len(self._in_flight)
