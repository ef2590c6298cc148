"""A thin synchronous client for simulators: TCP or UDP, bounded waits, custom commands.

>>> from simulators import plugins
>>> from simulators.launcher import Simulator
>>> with Simulator("dut", plugins.load("dut"), ephemeral=True) as sim:
...     with Client(sim.addresses[0].host, sim.addresses[0].port) as dut:
...         print(dut.query(b"*IDN?\\n").decode().strip())
...         print(dut.custom("profile"))
SIMULATORS,DUT-1000,SN0001,1.0
clean
"""

from __future__ import annotations

import socket
from types import TracebackType
from typing import Literal

from simulators.commands import encode

__all__ = ["Client"]

#: The largest reply read in one go, and the longest a terminator search may scan.
MAX_REPLY = 1 << 20


class Client:
    """Send bytes to a simulator and read its replies, each wait bounded by ``timeout``."""

    def __init__(
        self,
        host: str,
        port: int,
        transport: Literal["tcp", "udp"] = "tcp",
        timeout: float = 2.0,
    ) -> None:
        self.address = (host, port)
        self.transport = transport
        self.timeout = timeout
        self._buffer = b""
        if transport == "tcp":
            self.sock = socket.create_connection(self.address, timeout)
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        elif transport == "udp":
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            self.sock = socket.socket(family, socket.SOCK_DGRAM)
            self.sock.connect(self.address)
        else:
            raise ValueError(f"transport must be 'tcp' or 'udp', got {transport!r}")
        self.sock.settimeout(timeout)

    def send(self, data: bytes) -> None:
        """Send ``data`` (one datagram over UDP)."""
        if self.transport == "udp":
            self.sock.send(data)
        else:
            self.sock.sendall(data)

    def receive(self, size: int | None = None, terminator: bytes | None = b"\n") -> bytes:
        """Read exactly ``size`` bytes, or up to and including ``terminator``.

        Over UDP it returns the next datagram. Raises :class:`TimeoutError` when
        nothing complete arrives in time and :class:`ConnectionError` if the
        simulator closes the connection.
        """
        if self.transport == "udp":
            return self.sock.recv(65535)
        while True:
            if size is not None:
                if len(self._buffer) >= size:
                    data, self._buffer = self._buffer[:size], self._buffer[size:]
                    return data
            elif terminator is not None:
                end = self._buffer.find(terminator)
                if end >= 0:
                    end += len(terminator)
                    data, self._buffer = self._buffer[:end], self._buffer[end:]
                    return data
            if len(self._buffer) > MAX_REPLY:
                raise ValueError(f"no terminator in the first {MAX_REPLY} bytes of the reply")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"{self.address[0]}:{self.address[1]} closed the connection")
            self._buffer += chunk

    def query(self, data: bytes, size: int | None = None, terminator: bytes = b"\n") -> bytes:
        """Send ``data`` and return the reply (``size`` bytes, or up to ``terminator``)."""
        self.send(data)
        return self.receive(size, terminator)

    def custom(self, name: str, *args: object) -> str:
        """Run the custom command ``$system_<name>:args%`` and return its reply text.

        A reply may span several lines (``$system_help%``); they arrive in one
        write, so the lines already here when the first one completes are included.
        """
        reply = self.query(encode(name, *args))
        if self.transport == "tcp":
            reply += self._drain()
        return reply.decode(errors="replace").rstrip("\n")

    def _drain(self) -> bytes:
        """Return the complete lines already received, without waiting for more."""
        self.sock.settimeout(0.0)
        try:
            while len(self._buffer) < MAX_REPLY:
                chunk = self.sock.recv(65536)
                if not chunk:
                    break
                self._buffer += chunk
        except (BlockingIOError, InterruptedError):
            pass
        finally:
            self.sock.settimeout(self.timeout)
        end = self._buffer.rfind(b"\n") + 1
        lines, self._buffer = self._buffer[:end], self._buffer[end:]
        return lines

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
