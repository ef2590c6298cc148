"""How the controller reaches a device: a register client per device, and what can go wrong.

Failures come in three kinds the sequencer treats differently:
:class:`TransientError` (timeout, bad frame, dropped connection: retried after a
reconnect), :class:`RefusedError` (the device answered with an exception: not
retried, the step is an error) and :class:`UnreachableError` (nothing listens there:
the run stops, exit status 3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from simulators.controller.drivers import (
    Backend,
    InstrumentConnectionError,
    InstrumentReplyError,
    InstrumentReportedError,
    InstrumentTimeoutError,
    ScpiInstrument,
    open_transport,
    parse_number,
)
from simulators.controller.stations import Endpoint
from simulators.modbus_client import ModbusClient, ModbusDeviceError
from simulators.protocols.modbus import ModbusProtocolError

__all__ = [
    "DeviceError",
    "Endpoint",
    "ModbusRegisters",
    "RefusedError",
    "RegisterClient",
    "ScpiCommands",
    "TransientError",
    "UnreachableError",
]


T = TypeVar("T")


class DeviceError(Exception):
    """A request to a device failed; the message is the report's reason."""


class TransientError(DeviceError):
    """No trustworthy answer this time (timeout, malformed or dropped): worth a retry."""


class RefusedError(DeviceError):
    """The device refused the request (a Modbus exception response)."""


class UnreachableError(DeviceError):
    """The device cannot be connected to at all."""


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

    def read(self, table: str, address: int, timeout: float) -> int:
        self._client.timeout = timeout
        if table == "holding":
            return self._call(lambda: self._client.read_holding(address)[0])
        return self._call(lambda: self._client.read_input(address)[0])

    def write(self, address: int, value: int, timeout: float) -> None:
        self._client.timeout = timeout
        self._call(lambda: self._client.write_register(address, value))

    def _call(self, request: Callable[[], T]) -> T:
        where = self.endpoint.address
        try:
            self._client.connect()
        except OSError as error:
            reason = error.strerror or type(error).__name__
            raise UnreachableError(f"cannot connect to {where}: {reason}") from None
        try:
            return request()
        except ModbusDeviceError as error:
            raise RefusedError(str(error)) from None
        except ModbusProtocolError as error:
            raise TransientError(f"malformed response from {where}: {error}") from None
        except TimeoutError:
            wait = self._client.timeout
            raise TransientError(f"no response from {where} within {wait:g} s") from None
        except (ConnectionError, OSError) as error:
            raise TransientError(f"connection to {where} lost: {error}") from None

    def close(self) -> None:
        self._client.close()


class ScpiCommands:
    """A client for a SCPI instrument in a plan: query a number, or send a command.

    A command is followed by ``SYST:ERR?``: an error the instrument queued makes
    the step an error (:class:`RefusedError`), as a Modbus exception does.
    ``transport`` is open to the drivers a TempCo step builds on the same link.
    """

    def __init__(self, address: str, backend: Backend = "socket") -> None:
        self.address = address
        self.transport = open_transport(address, backend)
        self._instrument = ScpiInstrument(self.transport, name=address)
        self._answered = False

    def query(self, command: str, timeout: float) -> float:
        """Send a query and return its numeric answer."""
        self.transport.timeout = timeout
        return self._call(lambda: parse_number(self.transport.query(command), f"{command}: "))

    def write(self, command: str, timeout: float) -> None:
        """Send a command, then check the instrument's error queue."""
        self.transport.timeout = timeout

        def send() -> None:
            self.transport.write(command)
            self._instrument.check_errors()

        self._call(send)

    def _call(self, request: Callable[[], T]) -> T:
        try:
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

    def close(self) -> None:
        """Release the link (reopened on the next request)."""
        self.transport.close()
