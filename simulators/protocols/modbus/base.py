"""The framer abstraction: one object per connection and side, bytes in and messages out.

A server framer decodes requests and encodes responses; a client framer encodes
requests and decodes responses. Devices and controllers hold one of these and
never look at the wire format behind it. The h11 rules apply:

* ``feed(data)`` buffers bytes; ``next_message()`` returns a message, returns
  None when it needs more bytes, or raises :class:`ModbusProtocolError` for
  bytes it has dropped (call it again: decoding goes on after the error);
* nothing here reads a socket, a clock or a logger;
* the buffer is bounded: once ``next_message()`` has returned None, at most one
  unfinished operation is held (``max_buffered`` bytes).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from .messages import (
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

MAX_IN_FLIGHT = 256
"""Requests a client framer remembers for matching; the oldest is forgotten first."""


class _Buffered:
    """The receive buffer both sides share."""

    max_buffered: ClassVar[int]
    """Most bytes held once ``next_message()`` has returned None."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        """Append bytes received from the peer; ``next_message()`` decodes them."""
        self._buffer += data

    @property
    def buffered(self) -> int:
        """Bytes received and not yet part of a message or an error."""
        return len(self._buffer)


class ServerFramer(_Buffered, ABC):
    """The device's side of one connection: decode requests, encode responses."""

    name: ClassVar[str]
    """The framing's name, as :func:`~simulators.protocols.modbus.server_framer` takes it."""

    @abstractmethod
    def next_message(self) -> Request | None:
        """Return the next request, or None until more bytes arrive.

        Raise :class:`ModbusProtocolError` for bytes that make no request.
        """

    @abstractmethod
    def encode(self, response: Response) -> bytes:
        """Return the bytes that carry ``response`` to the client."""


class ClientFramer(_Buffered, ABC):
    """The controller's side of one connection: encode requests, decode responses.

    Every response is matched to a request in flight (see each framing for
    how); a response that answers none raises :class:`ModbusProtocolError`.
    """

    name: ClassVar[str]
    """The framing's name, as :func:`~simulators.protocols.modbus.client_framer` takes it."""

    @abstractmethod
    def encode(self, request: Request) -> bytes:
        """Return the bytes that carry ``request``, and remember it as in flight."""

    @abstractmethod
    def next_message(self) -> Response | None:
        """Return the next response, or None until more bytes arrive.

        Raise :class:`ModbusProtocolError` for bytes that make no response, or
        a response that answers no request in flight.
        """

    @abstractmethod
    def abandon(self) -> None:
        """Forget every request in flight, e.g. after a timeout.

        A late answer to one of them is then reported as an error instead of
        being taken for the answer to the next request.
        """

    @property
    @abstractmethod
    def in_flight(self) -> int:
        """Requests sent and not yet answered (or abandoned)."""


def mismatch(request: Request, response: Response) -> str | None:
    """Say why ``response`` cannot be the answer to ``request``; None if it can.

    The function code must match (an exception carries the request's), a read
    must return as many values as it asked for, and a write's echo must name
    the same registers.

    >>> mismatch(ReadHoldingRegisters(1, 0, 2), ReadHoldingRegistersResponse(1, (5,)))
    'read of 2 registers answered with 1'
    """
    if response.function_code != request.function_code:
        return (
            f"function {response.function_code:#04x} answers a {request.function_code:#04x} request"
        )
    if isinstance(request, ReadHoldingRegisters | ReadInputRegisters) and isinstance(
        response, ReadHoldingRegistersResponse | ReadInputRegistersResponse
    ):
        if len(response.values) != request.count:
            return f"read of {request.count} registers answered with {len(response.values)}"
    elif isinstance(request, WriteSingleRegister) and isinstance(
        response, WriteSingleRegisterResponse
    ):
        if response.address != request.address:
            return f"write to {request.address} echoed as a write to {response.address}"
    elif (
        isinstance(request, WriteMultipleRegisters)
        and isinstance(response, WriteMultipleRegistersResponse)
        and (response.address, response.count) != (request.address, len(request.values))
    ):
        return (
            f"write of {len(request.values)} registers at {request.address} echoed "
            f"as {response.count} at {response.address}"
        )
    return None
