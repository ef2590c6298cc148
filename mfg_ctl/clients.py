"""How the controller reaches a device: a register client per device, and what can go wrong.

Failures come in three kinds the sequencer treats differently (they are the
step contract's, :mod:`mfg_ctl.steps.contract`):
:class:`TransientError` (timeout, bad frame, dropped connection: retried after a
reconnect), :class:`RefusedError` (the device answered with an exception: not
retried, the step is an error) and :class:`UnreachableError` (nothing listens there:
the run stops, exit status 3).

A Modbus device that has never answered and fails its first request is asked
once more, in the other framing: if it answers that, the framing is wrong, and
:class:`FramingMismatchError` (an :class:`UnreachableError`) says which to use
instead of spending every retry on timeouts. Servers of one framing mostly stay
silent to the other's frames (ours drop them as bad frames), so this probe is
what tells a wrong framing from a slow device.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol, TypeVar

from mfg_ctl.drivers import (
    Backend,
    InstrumentConnectionError,
    InstrumentReplyError,
    InstrumentReportedError,
    InstrumentTimeoutError,
    ScpiDriver,
    ScpiTransport,
    open_transport,
    parse_number,
)
from mfg_ctl.stations import Endpoint
from mfg_ctl.steps.contract import (
    DeviceError,
    FramingMismatchError,
    RefusedError,
    TransientError,
    UnreachableError,
)
from simulators.modbus_client import ModbusClient, ModbusDeviceError
from simulators.protocols.modbus import (
    FRAMINGS,
    ModbusProtocolError,
    ReadHoldingRegisters,
    ReadInputRegisters,
    Request,
)

__all__ = [
    "DeviceError",
    "Endpoint",
    "FramingMismatchError",
    "LineCommands",
    "ModbusRegisters",
    "RefusedError",
    "RegisterClient",
    "ScpiCommands",
    "TransientError",
    "UnreachableError",
]


T = TypeVar("T")
D = TypeVar("D", bound=ScpiDriver)


class RegisterClient(Protocol):
    """What the sequencer needs from a device: read and write registers."""

    def read(self, table: str, address: int, timeout: float) -> int:
        """Read one register of ``table`` ("holding" or "input")."""

    def write(self, address: int, value: int, timeout: float) -> None:
        """Write one holding register."""

    def close(self) -> None:
        """Release the connection."""


class ModbusRegisters:
    """A :class:`RegisterClient` for a Modbus device, in either framing."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self._client = ModbusClient(
            endpoint.host, endpoint.port, framing=endpoint.framing, unit=endpoint.unit
        )
        self._answered = False  # the device has answered once in our framing
        self._probed = False  # the other framing has been tried (once per device)

    def read(self, table: str, address: int, timeout: float) -> int:
        self._client.timeout = timeout
        probe: Request = (
            ReadHoldingRegisters(self.endpoint.unit, address, 1)
            if table == "holding"
            else ReadInputRegisters(self.endpoint.unit, address, 1)
        )
        if table == "holding":
            return self._call(lambda: self._client.read_holding(address)[0], probe)
        return self._call(lambda: self._client.read_input(address)[0], probe)

    def write(self, address: int, value: int, timeout: float) -> None:
        self._client.timeout = timeout
        probe = ReadHoldingRegisters(self.endpoint.unit, address, 1)  # never a second write
        self._call(lambda: self._client.write_register(address, value), probe)

    def _call(self, request: Callable[[], T], probe: Request) -> T:
        where = self.endpoint.address
        try:
            self._client.connect()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise UnreachableError(f"cannot connect to {where}: {reason}") from None
        try:
            result = request()
        except ModbusDeviceError as error:
            self._answered = True  # an exception response is an answer in our framing
            raise RefusedError(str(error)) from None
        except ModbusProtocolError as error:
            self._check_framing(probe)
            raise TransientError(f"malformed response from {where}: {error}") from None
        except TimeoutError:
            self._check_framing(probe)
            wait = self._client.timeout
            raise TransientError(f"no response from {where} within {wait:g} s") from None
        except (ConnectionError, OSError) as error:
            self._check_framing(probe)
            raise TransientError(f"connection to {where} lost: {error}") from None
        self._answered = True
        return result

    def _check_framing(self, probe: Request) -> None:
        """On a first failure, ask once in the other framing; FramingMismatchError if it answers."""
        if self._answered or self._probed:
            return
        self._probed = True
        ours = self.endpoint.framing
        other = next(name for name in FRAMINGS if name != ours)
        endpoint = self.endpoint
        tester = ModbusClient(
            endpoint.host,
            endpoint.port,
            framing=other,
            unit=endpoint.unit,
            timeout=self._client.timeout,
        )
        try:
            tester.execute(probe)
        except ModbusDeviceError:
            pass  # an exception response is still an answer in that framing
        except (ModbusProtocolError, OSError):
            return  # no answer in that framing either: a slow or broken device
        finally:
            tester.close()
        raise FramingMismatchError(
            f"no answer in the {ours} framing from {endpoint.address}; the device may speak "
            f"{other} (it answered a {other} request): --framing {other}, or framing: {other} "
            "in the station file"
        )

    def close(self) -> None:
        self._client.close()


class ScpiCommands:
    """A client for a SCPI instrument in a plan: query a number, or send a command.

    A command is followed by ``SYST:ERR?``: an error the instrument queued makes
    the step an error (:class:`RefusedError`), as a Modbus exception does.
    :meth:`driver` puts an instrument driver on the same link (a TempCo sweep).
    After :meth:`close`, the next request opens a new link: a retried step
    reconnects.
    """

    def __init__(self, address: str, backend: Backend = "socket") -> None:
        self.address = address
        self.backend = backend
        self.transport = open_transport(address, backend)
        self._instrument = ScpiDriver(self.transport, name=address)
        self._answered = False
        self._closed = False

    def query(self, command: str, timeout: float) -> float:
        """Send a query and return its numeric answer."""

        def ask() -> float:
            self.transport.timeout = timeout
            return parse_number(self.transport.query(command), f"{command}: ")

        return self._call(ask)

    def write(self, command: str, timeout: float) -> None:
        """Send a command, then check the instrument's error queue."""

        def send() -> None:
            self.transport.timeout = timeout
            self.transport.write(command)
            self._instrument.check_errors()

        self._call(send)

    def _reopen(self) -> None:
        """A new link, if this one was closed."""
        if self._closed:
            self.transport = open_transport(self.address, self.backend, self.transport.timeout)
            self._instrument = ScpiDriver(self.transport, name=self.address)
            self._closed = False

    def _call(self, request: Callable[[], T]) -> T:
        try:
            self._reopen()
            result = request()
        except InstrumentReportedError as error:
            raise RefusedError(str(error)) from None
        except InstrumentConnectionError as error:
            if not self._answered:
                raise UnreachableError(str(error)) from None
            raise TransientError(str(error)) from None
        except (InstrumentTimeoutError, InstrumentReplyError) as error:
            raise TransientError(str(error)) from None
        self._answered = True
        return result

    def driver(self, kind: type[D], timeout: float) -> D:
        """A driver of ``kind`` (:class:`~mfg_ctl.drivers.ScpiChamberDriver`, ...) on this link.

        ``timeout`` bounds each of its commands (seconds). It raises what the
        drivers raise (:class:`~mfg_ctl.drivers.InstrumentError`) if a closed
        link cannot be opened again.
        """
        self._reopen()
        self.transport.timeout = timeout
        return kind(self.transport)

    def close(self) -> None:
        """Release the link (reopened on the next request)."""
        self.transport.close()
        self._closed = True


#: A line device's error reply: ``ERR E210 voltage reading unstable``.
_ERROR_REPLY = re.compile(r"ERR\s+(?P<code>E\d{3})\b\s*(?P<text>.*)", re.DOTALL)


def line_error(reply: str, where: str) -> DeviceError:
    """The error an ``ERR ...`` reply stands for, with the device's code.

    ``E2xx`` (the unit itself faulted: a reading unstable, a stage that did not
    start) is worth a retry, a :class:`TransientError`; ``E1xx`` (the command was
    refused) and any other error is a :class:`RefusedError`.
    """
    match = _ERROR_REPLY.fullmatch(reply.strip())
    if match is None:
        return RefusedError(f"{where} answered {reply.strip()[:120]!r}")
    code, text = match["code"], match["text"].strip()[:200]
    kind = TransientError if code.startswith("E2") else RefusedError
    return kind(f"{code} {text}".strip(), code=code)


class LineCommands:
    """A client for a line device (the dut): one command line, one reply line back.

    A reply ``ERR E<nnn> text`` raises the :class:`DeviceError` of
    :func:`line_error`, carrying the code. The connection opens on the first
    request; after :meth:`close`, the next request opens a new one, so a
    retried step reconnects.
    """

    def __init__(self, address: str) -> None:
        self.address = address
        self.transport: ScpiTransport | None = None
        self._answered = False

    def ask(self, command: str, timeout: float) -> str:
        """Send one command line and return its reply line (without the line end)."""
        try:
            if self.transport is None:
                self.transport = open_transport(self.address, "socket", timeout)
            self.transport.timeout = timeout
            reply = self.transport.query(command)
        except InstrumentConnectionError as error:
            self.close()
            if not self._answered:
                raise UnreachableError(str(error)) from None
            raise TransientError(str(error)) from None
        except (InstrumentTimeoutError, InstrumentReplyError) as error:
            self.close()
            raise TransientError(str(error)) from None
        self._answered = True
        if reply.startswith("ERR"):
            raise line_error(reply, self.address)
        return reply

    def close(self) -> None:
        """Release the connection (reopened on the next request)."""
        if self.transport is not None:
            self.transport.close()
            self.transport = None
