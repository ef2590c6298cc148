"""How a SCPI driver reaches its instrument: the project's own line client, or PyVISA.

A transport sends one newline-terminated program message and reads one reply
line, each wait bounded by ``timeout`` seconds. Every failure is an
:class:`InstrumentError` with one line saying where, what and (where it helps)
what to do. After a timeout or a lost connection the transport reconnects on its
next use, so a late answer can never be taken for the reply to a later query.

>>> try:
...     open_transport("GPIB0::5::INSTR")
... except InstrumentError as error:
...     print(error)
GPIB0::5::INSTR needs backend 'visa' (socket takes host:port or TCPIP::host::port::SOCKET)
"""

from __future__ import annotations

import contextlib
import math
import re
from typing import TYPE_CHECKING, Any, Literal, Protocol

from simulators.client import Client

if TYPE_CHECKING:
    from pyvisa.resources import MessageBasedResource

__all__ = [
    "Backend",
    "InstrumentAddressError",
    "InstrumentConnectionError",
    "InstrumentError",
    "InstrumentReplyError",
    "InstrumentReportedError",
    "InstrumentTimeoutError",
    "ScpiTransport",
    "SocketTransport",
    "VisaTransport",
    "open_transport",
    "shift_address",
]

Backend = Literal["socket", "visa"]


class InstrumentError(Exception):
    """Talking to an instrument failed; the message is one line for the user."""


class InstrumentAddressError(InstrumentError, ValueError):
    """An address no backend can use, or that needs another backend."""


class InstrumentConnectionError(InstrumentError, ConnectionError):
    """Nothing to talk to: refused, unreachable, closed, or the backend is missing."""


class InstrumentTimeoutError(InstrumentError, TimeoutError):
    """No answer (or no outcome) within the time allowed."""


class InstrumentReplyError(InstrumentError):
    """The instrument answered something that cannot be read; the raw reply is quoted."""


class InstrumentReportedError(InstrumentError):
    """The instrument's error queue (``SYST:ERR?``) held errors; they are in :attr:`errors`."""

    def __init__(self, message: str, errors: tuple[str, ...]) -> None:
        super().__init__(message)
        self.errors = errors


class ScpiTransport(Protocol):
    """A line-oriented connection to one SCPI instrument."""

    timeout: float
    """Seconds to wait for each reply (and for the connection)."""

    @property
    def address(self) -> str:
        """Where the instrument is, for messages."""

    def write(self, command: str) -> None:
        """Send ``command`` (without terminator); expect no reply."""

    def query(self, command: str) -> str:
        """Send ``command`` and return its reply line, without the terminator."""

    def close(self) -> None:
        """Release the connection; the transport cannot be used afterwards."""


def _check_timeout(timeout: float) -> float:
    if not (math.isfinite(timeout) and timeout > 0):
        raise ValueError(f"timeout must be a finite number of seconds > 0, got {timeout!r}")
    return float(timeout)


def _encode(command: str) -> bytes:
    try:
        return command.encode("ascii") + b"\n"
    except UnicodeEncodeError:
        raise ValueError(f"SCPI commands are ASCII, got {command!r}") from None


def _garbled(address: str, command: str, raw: bytes) -> InstrumentReplyError:
    return InstrumentReplyError(f"{address}: garbled reply to {command!r}: {raw[:80]!r}")


def _decode(raw: bytes, address: str, command: str) -> str:
    try:
        return raw.decode("ascii").rstrip("\r\n")
    except UnicodeDecodeError:
        raise _garbled(address, command, raw) from None


def _os_error(address: str, error: OSError, doing: str) -> InstrumentConnectionError:
    if isinstance(error, ConnectionRefusedError):
        return InstrumentConnectionError(
            f"{address}: connection refused; is the instrument on and the address right?"
        )
    reason = error.strerror or "the instrument closed the connection"
    return InstrumentConnectionError(f"{address}: {doing}: {reason}")


class SocketTransport:
    """SCPI over a raw TCP socket (port 5025 on most instruments), with our own client."""

    def __init__(self, host: str, port: int, timeout: float = 2.0) -> None:
        self.host = host
        self.port = port
        self.address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._timeout = _check_timeout(timeout)
        self._closed = False
        self._client: Client | None = self._connect()

    @property
    def timeout(self) -> float:
        """Seconds to wait for each reply and for a (re)connection."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._timeout = _check_timeout(value)
        if self._client is not None:
            self._client.timeout = self._timeout
            self._client.sock.settimeout(self._timeout)

    def _connect(self) -> Client:
        try:
            return Client(self.host, self.port, timeout=self._timeout)
        except TimeoutError:
            raise InstrumentTimeoutError(
                f"{self.address}: no connection within {self._timeout:g} s"
            ) from None
        except OSError as error:
            raise _os_error(self.address, error, "cannot connect") from None

    def _ready(self) -> Client:
        if self._closed:
            raise InstrumentConnectionError(f"{self.address}: the connection is closed")
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def write(self, command: str) -> None:
        """Send one program message."""
        data = _encode(command)
        client = self._ready()
        try:
            client.send(data)
        except OSError as error:
            self._drop()
            raise _os_error(self.address, error, f"connection lost sending {command!r}") from None

    def query(self, command: str) -> str:
        """Send one program message and return its reply line."""
        data = _encode(command)
        client = self._ready()
        try:
            raw = client.query(data)
        except TimeoutError:
            self._drop()
            raise InstrumentTimeoutError(
                f"{self.address}: no reply to {command!r} within {self._timeout:g} s"
            ) from None
        except OSError as error:
            self._drop()
            raise _os_error(self.address, error, f"connection lost during {command!r}") from None
        except ValueError:
            self._drop()
            raise InstrumentReplyError(
                f"{self.address}: reply to {command!r} has no line end in its first MiB"
            ) from None
        return _decode(raw, self.address, command)

    def close(self) -> None:
        """Close the socket."""
        self._closed = True
        self._drop()

    def __repr__(self) -> str:
        return f"SocketTransport({self.host!r}, {self.port!r}, timeout={self._timeout!r})"


class VisaTransport:
    """SCPI through PyVISA: any resource it opens (``TCPIP::...::SOCKET``, ``INSTR``, GPIB, USB).

    ``library`` picks the VISA implementation: ``"@py"`` (pyvisa-py, the
    default) or ``""`` for the system's VISA. PyVISA is imported here, not when
    this module is. Some resources connect lazily: a refused ``SOCKET`` shows
    on first use.
    """

    def __init__(self, resource_name: str, timeout: float = 2.0, *, library: str = "@py") -> None:
        try:
            import pyvisa  # noqa: PLC0415 - optional backend, imported only when used
        except ImportError:
            raise InstrumentConnectionError(
                f"{resource_name}: backend 'visa' needs PyVISA: pip install pyvisa pyvisa-py"
            ) from None
        self._errors = pyvisa.errors
        self._timeout_code = pyvisa.constants.StatusCode.error_timeout
        self.address = resource_name
        self._timeout = _check_timeout(timeout)
        self._closed = False
        try:
            self._manager = pyvisa.ResourceManager(library)
        except (OSError, ValueError) as error:
            raise InstrumentConnectionError(
                f"{resource_name}: cannot load VISA library {library!r}: {error}"
            ) from None
        self._resource: MessageBasedResource | None = self._open()

    @property
    def timeout(self) -> float:
        """Seconds to wait for each reply and for a (re)connection."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._timeout = _check_timeout(value)
        if self._resource is not None:
            self._resource.timeout = self._timeout * 1000.0

    def _open(self) -> MessageBasedResource:
        milliseconds = int(self._timeout * 1000)
        try:
            resource: Any = self._manager.open_resource(self.address, open_timeout=milliseconds)
        except self._errors.VisaIOError as error:
            raise InstrumentConnectionError(
                f"{self.address}: cannot open: {error.description}"
            ) from None
        except OSError as error:
            raise _os_error(self.address, error, "cannot open") from None
        except ValueError as error:  # pyvisa-py: a bus library (GPIB, USB) is missing
            line = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise InstrumentConnectionError(f"{self.address}: cannot open: {line}") from None
        resource.read_termination = "\n"
        resource.write_termination = "\n"
        resource.timeout = self._timeout * 1000.0
        opened: MessageBasedResource = resource
        return opened

    def _ready(self) -> MessageBasedResource:
        if self._closed:
            raise InstrumentConnectionError(f"{self.address}: the connection is closed")
        if self._resource is None:
            self._resource = self._open()
        return self._resource

    def _drop(self) -> None:
        resource, self._resource = self._resource, None
        if resource is not None:
            with contextlib.suppress(self._errors.Error, OSError):  # gone either way
                resource.close()

    def _failed(self, error: Exception, command: str) -> InstrumentError:
        self._drop()
        if isinstance(error, self._errors.VisaIOError) and error.error_code == self._timeout_code:
            return InstrumentTimeoutError(
                f"{self.address}: no reply to {command!r} within {self._timeout:g} s"
            )
        if isinstance(error, OSError):
            return _os_error(self.address, error, f"connection lost during {command!r}")
        return InstrumentConnectionError(f"{self.address}: {command!r} failed: {error}")

    def write(self, command: str) -> None:
        """Send one program message."""
        _encode(command)
        resource = self._ready()
        try:
            resource.write(command)
        except (self._errors.VisaIOError, OSError) as error:
            raise self._failed(error, command) from None

    def query(self, command: str) -> str:
        """Send one program message and return its reply line."""
        _encode(command)
        resource = self._ready()
        try:
            reply = resource.query(command)
        except UnicodeDecodeError as error:
            raise _garbled(self.address, command, bytes(error.object)) from None
        except (self._errors.VisaIOError, OSError) as error:
            raise self._failed(error, command) from None
        return reply.rstrip("\r\n")

    def close(self) -> None:
        """Close the resource (the resource manager stays open for other sessions)."""
        self._closed = True
        self._drop()

    def __repr__(self) -> str:
        return f"VisaTransport({self.address!r}, timeout={self._timeout!r})"


_VISA_SOCKET = re.compile(r"TCPIP\d*::(?P<host>[^:]+)::(?P<port>\d+)::SOCKET", re.IGNORECASE)
_HOST_PORT = re.compile(r"(?:\[(?P<v6>[^\]]+)\]|(?P<host>[^:\s\[\]]+)):(?P<port>\d+)")


def shift_address(address: str, offset: int) -> str:
    """``address`` with its TCP port moved by ``offset`` (``--port-offset``).

    Works on ``host:port``, ``[v6]:port`` and ``TCPIP::host::port::SOCKET``;
    InstrumentAddressError for other VISA resources (no port to shift) or a
    port that leaves 1-65535.
    """
    address = address.strip()
    match = _VISA_SOCKET.fullmatch(address) or _HOST_PORT.fullmatch(address)
    if match is None:
        raise InstrumentAddressError(
            f"cannot shift the port of {address!r:.80}: --port-offset needs host:port or "
            "TCPIP::host::port::SOCKET addresses"
        )
    port = int(match["port"]) + offset
    if not 1 <= port <= 65535:
        raise InstrumentAddressError(
            f"{address}: port {match['port']} + offset {offset} = {port} is out of range "
            "(1-65535); give a smaller --port-offset"
        )
    start, end = match.span("port")
    return f"{address[:start]}{port}{address[end:]}"


def _port(text: str, address: str) -> int:
    port = int(text)
    if not 1 <= port <= 65535:
        raise InstrumentAddressError(f"{address}: port {port} is out of range 1-65535")
    return port


def open_transport(
    address: str, backend: Backend = "socket", timeout: float = 2.0, *, library: str = "@py"
) -> ScpiTransport:
    """Connect to ``address``: ``host:port``, ``[v6]:port`` or a VISA resource string.

    ``TCPIP::host::port::SOCKET`` works with either backend; other VISA
    resources (``GPIB0::5::INSTR``, ``TCPIP::host::INSTR``, USB) need ``visa``.
    """
    if backend not in ("socket", "visa"):
        raise InstrumentAddressError(f"backend must be 'socket' or 'visa', got {backend!r}")
    address = address.strip()
    if match := _VISA_SOCKET.fullmatch(address):
        host, port = match["host"], _port(match["port"], address)
        if backend == "visa":
            return VisaTransport(address, timeout, library=library)
    elif match := _HOST_PORT.fullmatch(address):
        host, port = match["v6"] or match["host"], _port(match["port"], address)
    elif "::" in address and backend == "visa":
        return VisaTransport(address, timeout, library=library)
    elif "::" in address:
        raise InstrumentAddressError(
            f"{address} needs backend 'visa' (socket takes host:port or TCPIP::host::port::SOCKET)"
        )
    else:
        raise InstrumentAddressError(
            f"cannot read address {address!r}: give host:port or a VISA resource string"
        )
    if backend == "visa":
        return VisaTransport(f"TCPIP::{host}::{port}::SOCKET", timeout, library=library)
    return SocketTransport(host, port, timeout)
