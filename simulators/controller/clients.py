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

from simulators.controller.stations import Endpoint
from simulators.modbus_client import ModbusClient, ModbusDeviceError
from simulators.protocols.modbus import ModbusProtocolError

__all__ = [
    "DeviceError",
    "Endpoint",
    "ModbusRegisters",
    "RefusedError",
    "RegisterClient",
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
