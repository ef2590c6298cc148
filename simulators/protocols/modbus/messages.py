"""Modbus messages: small frozen dataclasses that check their own fields.

A message means the same thing on every wire format; the framers turn it into
bytes and back. Constructing a message with a field out of range raises
:class:`ValueError` (a local mistake); bad bytes from a peer raise
:class:`ModbusProtocolError` in the decoders (a remote one).

Requests a device must refuse still decode to messages, so the device can
answer them: :class:`UnsupportedFunction` (answer exception 1) and
:class:`InvalidRequest` (answer exception 3). ``request.response()`` builds
that answer.

>>> request = ReadHoldingRegisters(unit=1, address=100, count=2)
>>> request.response((1200, 480))
ReadHoldingRegistersResponse(unit=1, values=(1200, 480), transaction_id=None)
>>> request.exception(ExceptionCode.ILLEGAL_DATA_ADDRESS).exception_code
<ExceptionCode.ILLEGAL_DATA_ADDRESS: 2>
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import KW_ONLY, dataclass, field
from enum import IntEnum
from typing import ClassVar

MAX_READ_COUNT = 125
"""Most registers one read (0x03, 0x04) may ask for."""
MAX_WRITE_COUNT = 123
"""Most registers one write-multiple (0x10) may carry."""
TCP_UNIT = 255
"""The unit id a Modbus TCP client uses when the device has no unit of its own."""


class FunctionCode(IntEnum):
    """The function codes these messages implement."""

    READ_HOLDING_REGISTERS = 0x03
    READ_INPUT_REGISTERS = 0x04
    WRITE_SINGLE_REGISTER = 0x06
    WRITE_MULTIPLE_REGISTERS = 0x10


SUPPORTED_FUNCTIONS = frozenset(FunctionCode)


class ExceptionCode(IntEnum):
    """Exception codes of the Modbus application protocol.

    Our devices answer 1-4; the others are decoded so that a real device's
    answer reads as what it is.
    """

    ILLEGAL_FUNCTION = 0x01
    ILLEGAL_DATA_ADDRESS = 0x02
    ILLEGAL_DATA_VALUE = 0x03
    SERVER_DEVICE_FAILURE = 0x04
    ACKNOWLEDGE = 0x05
    SERVER_DEVICE_BUSY = 0x06
    MEMORY_PARITY_ERROR = 0x08
    GATEWAY_PATH_UNAVAILABLE = 0x0A
    GATEWAY_TARGET_FAILED_TO_RESPOND = 0x0B


_KNOWN_EXCEPTIONS = frozenset(ExceptionCode)


class ModbusProtocolError(Exception):
    """The peer sent bytes that do not make a valid frame.

    The decoder has already dropped them (``dropped``) and resynchronised; the
    caller logs ``str(error)`` and keeps calling ``next_message()``.

    >>> str(ModbusProtocolError("bad CRC", b"\\x01\\x02"))
    'bad CRC (dropped 2 bytes: 01 02)'
    """

    PREVIEW = 32
    """Bytes shown in the message; ``dropped`` always holds all of them."""

    def __init__(self, reason: str, dropped: bytes) -> None:
        super().__init__(reason, bytes(dropped))
        self.reason = reason
        self.dropped = bytes(dropped)

    def __str__(self) -> str:
        shown = self.dropped[: self.PREVIEW].hex(" ")
        more = " ..." if len(self.dropped) > self.PREVIEW else ""
        return f"{self.reason} (dropped {len(self.dropped)} bytes: {shown}{more})"


def _check(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ValueError(f"{name} must be in {low}..{high}, got {value}")


def _check_unit(unit: int) -> None:
    if not (0 <= unit <= 247 or unit == TCP_UNIT):
        raise ValueError(f"unit must be in 0..247, or 255 on Modbus TCP, got {unit}")


def _check_transaction(transaction_id: int | None) -> None:
    if transaction_id is not None:
        _check("transaction_id", transaction_id, 0, 0xFFFF)


def _values(values: Iterable[int], most: int) -> tuple[int, ...]:
    values = tuple(values)
    _check("number of values", len(values), 1, most)
    for value in values:
        _check("register value", value, 0, 0xFFFF)
    return values


# Every message has `unit` first and a keyword-only `transaction_id`: the MBAP
# transaction id it travelled with, None on a wire without one (custom) or when
# a client leaves the choice to its framer.


@dataclass(frozen=True, slots=True)
class _ReadRequest:
    unit: int
    address: int
    count: int
    _: KW_ONLY
    transaction_id: int | None = None

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        _check("address", self.address, 0, 0xFFFF)
        _check("count", self.count, 1, MAX_READ_COUNT)
        _check_transaction(self.transaction_id)

    def exception(self, code: int) -> ExceptionResponse:
        """Answer this request with exception ``code``."""
        return _exception(self.unit, int(self.function_code), code, self.transaction_id)

    function_code: ClassVar[FunctionCode]


@dataclass(frozen=True, slots=True)
class ReadHoldingRegisters(_ReadRequest):
    """0x03: read ``count`` holding registers starting at ``address``."""

    function_code: ClassVar[FunctionCode] = FunctionCode.READ_HOLDING_REGISTERS

    def response(self, values: Iterable[int]) -> ReadHoldingRegistersResponse:
        """Answer with the registers' values."""
        return ReadHoldingRegistersResponse(
            self.unit, tuple(values), transaction_id=self.transaction_id
        )


@dataclass(frozen=True, slots=True)
class ReadInputRegisters(_ReadRequest):
    """0x04: read ``count`` input registers starting at ``address``."""

    function_code: ClassVar[FunctionCode] = FunctionCode.READ_INPUT_REGISTERS

    def response(self, values: Iterable[int]) -> ReadInputRegistersResponse:
        """Answer with the registers' values."""
        return ReadInputRegistersResponse(
            self.unit, tuple(values), transaction_id=self.transaction_id
        )


@dataclass(frozen=True, slots=True)
class WriteSingleRegister:
    """0x06: write ``value`` to the holding register at ``address``."""

    unit: int
    address: int
    value: int
    _: KW_ONLY
    transaction_id: int | None = None
    function_code: ClassVar[FunctionCode] = FunctionCode.WRITE_SINGLE_REGISTER

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        _check("address", self.address, 0, 0xFFFF)
        _check("register value", self.value, 0, 0xFFFF)
        _check_transaction(self.transaction_id)

    def response(self) -> WriteSingleRegisterResponse:
        """Answer with the echo the protocol asks for."""
        return WriteSingleRegisterResponse(
            self.unit, self.address, self.value, transaction_id=self.transaction_id
        )

    def exception(self, code: int) -> ExceptionResponse:
        """Answer this request with exception ``code``."""
        return _exception(self.unit, self.function_code, code, self.transaction_id)


@dataclass(frozen=True, slots=True)
class WriteMultipleRegisters:
    """0x10: write ``values`` to consecutive holding registers from ``address``."""

    unit: int
    address: int
    values: tuple[int, ...]
    _: KW_ONLY
    transaction_id: int | None = None
    function_code: ClassVar[FunctionCode] = FunctionCode.WRITE_MULTIPLE_REGISTERS

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        _check("address", self.address, 0, 0xFFFF)
        object.__setattr__(self, "values", _values(self.values, MAX_WRITE_COUNT))
        _check_transaction(self.transaction_id)

    def response(self) -> WriteMultipleRegistersResponse:
        """Answer with the start address and count, as the protocol asks."""
        return WriteMultipleRegistersResponse(
            self.unit, self.address, len(self.values), transaction_id=self.transaction_id
        )

    def exception(self, code: int) -> ExceptionResponse:
        """Answer this request with exception ``code``."""
        return _exception(self.unit, self.function_code, code, self.transaction_id)


@dataclass(frozen=True, slots=True)
class UnsupportedFunction:
    """A request with a function code we do not implement; ``data`` is the rest of its PDU.

    Decoded rather than rejected so the device can answer exception 1 with
    ``response()``. A client can send one to test how a device refuses it.
    """

    unit: int
    function_code: int
    data: bytes = b""
    _: KW_ONLY
    transaction_id: int | None = None

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        _check("function code", self.function_code, 0, 0x7F)
        if self.function_code in SUPPORTED_FUNCTIONS:
            raise ValueError(f"function code {self.function_code:#04x} is supported")
        _check("data length", len(self.data), 0, 252)
        _check_transaction(self.transaction_id)

    def response(self) -> ExceptionResponse:
        """Answer exception 1, illegal function."""
        return self.exception(ExceptionCode.ILLEGAL_FUNCTION)

    def exception(self, code: int) -> ExceptionResponse:
        """Answer this request with exception ``code``."""
        return _exception(self.unit, self.function_code, code, self.transaction_id)


@dataclass(frozen=True, slots=True)
class InvalidRequest:
    """A supported function whose quantity or length breaks the Modbus limits.

    Read count outside 1..125, write-multiple count outside 1..123, a byte count
    that disagrees with the count or with the bytes sent, a PDU of the wrong
    length. ``data`` is the rest of the PDU as received, ``reason`` says what
    was wrong (not compared). The device answers exception 3 with ``response()``.
    """

    unit: int
    function_code: int
    data: bytes = b""
    reason: str = field(default="", compare=False)
    _: KW_ONLY
    transaction_id: int | None = None

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        if self.function_code not in SUPPORTED_FUNCTIONS:
            raise ValueError(f"function code {self.function_code:#04x} is not supported")
        _check("data length", len(self.data), 0, 252)
        _check_transaction(self.transaction_id)

    def response(self) -> ExceptionResponse:
        """Answer exception 3, illegal data value."""
        return self.exception(ExceptionCode.ILLEGAL_DATA_VALUE)

    def exception(self, code: int) -> ExceptionResponse:
        """Answer this request with exception ``code``."""
        return _exception(self.unit, self.function_code, code, self.transaction_id)


@dataclass(frozen=True, slots=True)
class _ReadResponse:
    unit: int
    values: tuple[int, ...]
    _: KW_ONLY
    transaction_id: int | None = None

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        object.__setattr__(self, "values", _values(self.values, MAX_READ_COUNT))
        _check_transaction(self.transaction_id)

    function_code: ClassVar[FunctionCode]


@dataclass(frozen=True, slots=True)
class ReadHoldingRegistersResponse(_ReadResponse):
    """Answer to 0x03: the registers' values, in address order."""

    function_code: ClassVar[FunctionCode] = FunctionCode.READ_HOLDING_REGISTERS


@dataclass(frozen=True, slots=True)
class ReadInputRegistersResponse(_ReadResponse):
    """Answer to 0x04: the registers' values, in address order."""

    function_code: ClassVar[FunctionCode] = FunctionCode.READ_INPUT_REGISTERS


@dataclass(frozen=True, slots=True)
class WriteSingleRegisterResponse:
    """Answer to 0x06: the echo of the address and value written."""

    unit: int
    address: int
    value: int
    _: KW_ONLY
    transaction_id: int | None = None
    function_code: ClassVar[FunctionCode] = FunctionCode.WRITE_SINGLE_REGISTER

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        _check("address", self.address, 0, 0xFFFF)
        _check("register value", self.value, 0, 0xFFFF)
        _check_transaction(self.transaction_id)


@dataclass(frozen=True, slots=True)
class WriteMultipleRegistersResponse:
    """Answer to 0x10: the start address and how many registers were written."""

    unit: int
    address: int
    count: int
    _: KW_ONLY
    transaction_id: int | None = None
    function_code: ClassVar[FunctionCode] = FunctionCode.WRITE_MULTIPLE_REGISTERS

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        _check("address", self.address, 0, 0xFFFF)
        _check("count", self.count, 1, MAX_WRITE_COUNT)
        _check_transaction(self.transaction_id)


@dataclass(frozen=True, slots=True)
class ExceptionResponse:
    """A refusal: ``function_code`` is the request's (the wire carries it | 0x80).

    ``exception_code`` becomes an :class:`ExceptionCode` when it is one.
    """

    unit: int
    function_code: int
    exception_code: int
    _: KW_ONLY
    transaction_id: int | None = None

    def __post_init__(self) -> None:
        _check_unit(self.unit)
        _check("function code", self.function_code, 0, 0x7F)
        _check("exception code", self.exception_code, 1, 0xFF)
        if self.exception_code in _KNOWN_EXCEPTIONS:
            object.__setattr__(self, "exception_code", ExceptionCode(self.exception_code))
        _check_transaction(self.transaction_id)


def _exception(
    unit: int, function_code: int, code: int, transaction_id: int | None
) -> ExceptionResponse:
    return ExceptionResponse(unit, function_code, code, transaction_id=transaction_id)


ReadRequest = ReadHoldingRegisters | ReadInputRegisters
Request = (
    ReadHoldingRegisters
    | ReadInputRegisters
    | WriteSingleRegister
    | WriteMultipleRegisters
    | UnsupportedFunction
    | InvalidRequest
)
"""What a server framer decodes and a client framer encodes."""
ReadResponse = ReadHoldingRegistersResponse | ReadInputRegistersResponse
Response = (
    ReadHoldingRegistersResponse
    | ReadInputRegistersResponse
    | WriteSingleRegisterResponse
    | WriteMultipleRegistersResponse
    | ExceptionResponse
)
"""What a server framer encodes and a client framer decodes."""
