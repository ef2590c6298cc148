"""A synchronous Modbus client over TCP, in either framing: what the controller talks with.

It works against our simulators and against real Modbus TCP devices. Every
wait is bounded by ``timeout``; failures are exceptions that say what happened,
so a caller can retry (:class:`TimeoutError`, :class:`ConnectionError`,
:class:`~simulators.protocols.modbus.ModbusProtocolError`) or report the
device's refusal (:class:`ModbusDeviceError`).

>>> from simulators import plugins
>>> from simulators.launcher import Simulator
>>> with Simulator("dmm", plugins.load("dmm"), system_type="modbus-tcp", ephemeral=True) as sim:
...     with ModbusClient("127.0.0.1", sim.addresses[0].port, framing="modbus-tcp") as dmm:
...         print(dmm.read_input(100, 3))
[4980, 120, 1000]
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence
from types import TracebackType

from simulators.protocols.modbus import (
    ExceptionCode,
    ExceptionResponse,
    ModbusProtocolError,
    ReadHoldingRegisters,
    ReadInputRegisters,
    ReadResponse,
    Request,
    Response,
    WriteMultipleRegisters,
    WriteSingleRegister,
    client_framer,
    mismatch,
)

__all__ = ["ModbusClient", "ModbusDeviceError"]


class ModbusDeviceError(Exception):
    """The device answered with a Modbus exception response."""

    def __init__(self, response: ExceptionResponse) -> None:
        code = response.exception_code
        name = code.name.lower().replace("_", " ") if isinstance(code, ExceptionCode) else "code"
        function = response.function_code
        super().__init__(f"device exception {int(code)} ({name}) to function {function:#04x}")
        self.response = response
        self.code = int(code)


class ModbusClient:
    """One TCP connection to a Modbus device; reconnects on the next request after a drop."""

    def __init__(
        self,
        host: str,
        port: int,
        framing: str = "custom",
        unit: int = 1,
        timeout: float = 1.0,
    ) -> None:
        self.host = host
        self.port = port
        self.framing = framing
        self.unit = unit
        self.timeout = timeout
        self._framer = client_framer(framing)
        self._sock: socket.socket | None = None
        self._applied_timeout = -1.0

    def connect(self) -> None:
        """Open the connection (done on demand by every request)."""
        if self._sock is None:
            sock = socket.create_connection((self.host, self.port), self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # A blocking socket with kernel timeouts: one system call per send or
            # receive, where a Python-level timeout adds a poll() to each.
            sock.settimeout(None)
            self._sock = sock
            self._applied_timeout = -1.0
            self._framer = client_framer(self.framing)
        if self._applied_timeout != self.timeout:
            seconds = int(self.timeout)
            value = struct.pack("ll", seconds, int((self.timeout - seconds) * 1e6))
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, value)
            self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, value)
            self._applied_timeout = self.timeout

    def close(self) -> None:
        """Close the connection; the next request opens a new one."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def read_holding(self, address: int, count: int = 1) -> list[int]:
        """Read holding registers (function 0x03)."""
        return self._values(self.execute(ReadHoldingRegisters(self.unit, address, count)))

    def read_input(self, address: int, count: int = 1) -> list[int]:
        """Read input registers (function 0x04)."""
        return self._values(self.execute(ReadInputRegisters(self.unit, address, count)))

    def write_register(self, address: int, value: int) -> None:
        """Write one holding register (function 0x06)."""
        self.execute(WriteSingleRegister(self.unit, address, value))

    def write_registers(self, address: int, values: Sequence[int]) -> None:
        """Write consecutive holding registers (function 0x10)."""
        self.execute(WriteMultipleRegisters(self.unit, address, tuple(values)))

    def execute(self, request: Request) -> Response:
        """Send ``request`` and return its response.

        Raises :class:`ModbusDeviceError` for an exception response; on a
        timeout, a dropped connection or a malformed response the connection is
        closed (so the next request starts clean) and the error is raised.
        """
        self.connect()
        assert self._sock is not None
        try:
            self._sock.sendall(self._framer.encode(request))
            response = self._receive()
        except BlockingIOError:  # the kernel timeout expired
            self.close()
            raise TimeoutError(f"no response within {self.timeout:g} s") from None
        except (OSError, ModbusProtocolError):
            self.close()
            raise
        if isinstance(response, ExceptionResponse):
            raise ModbusDeviceError(response)
        problem = mismatch(request, response)
        if problem is not None:
            self.close()
            raise ModbusProtocolError(problem, b"")
        return response

    def _receive(self) -> Response:
        assert self._sock is not None
        framer = self._framer
        while True:
            response = framer.next_message()
            if response is not None:
                return response
            data = self._sock.recv(4096)
            if not data:
                raise ConnectionError(f"{self.host}:{self.port} closed the connection")
            framer.feed(data)

    @staticmethod
    def _values(response: Response) -> list[int]:
        assert isinstance(response, ReadResponse)
        return list(response.values)

    def __enter__(self) -> ModbusClient:
        self.connect()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
