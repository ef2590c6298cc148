"""Socket shells around Systems: listening and sending servers over TCP and UDP.

The request path: socket bytes -> per-connection :class:`~simulators.commands.CommandSplitter`
-> custom commands to :func:`~simulators.commands.dispatch`, everything else to the
connection's :class:`~simulators.session.Session` (``feed``) under the System's lock,
a slice at a time (:mod:`simulators.host`) -> replies -> socket.

A listening TCP connection reads only while it holds the System's lock and its
turn in the System's ordering group (:mod:`simulators.ordering`), so a query
sees every command that reached the group before it. Servers survive hostile
load: a deep listen backlog, a pause instead of a busy loop when the process
is out of file descriptors, an optional idle timeout, subscribers that sleep
until there is something to send, and rate-limited logs of bad input.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import socket
import socketserver
import threading
import time
from typing import Any, Literal

from simulators.handlers import (
    READ_SIZE,
    SEND_QUEUE_SIZE,
    SEND_TIMEOUT,
    ListeningTCPHandler,
    ListeningUDPHandler,
    SendingTCPHandler,
    SendingUDPHandler,
)
from simulators.host import SystemHost

__all__ = [
    "READ_SIZE",
    "SEND_QUEUE_SIZE",
    "SEND_TIMEOUT",
    "Role",
    "ServeError",
    "SystemHost",
    "make_server",
]

logger = logging.getLogger(__name__)

Role = Literal["listening", "sending"]

#: How often the accept loops look for a stop request, in seconds.
POLL_INTERVAL = 0.02
#: Connections the kernel may hold for us before we accept them (capped by net.core.somaxconn).
REQUEST_QUEUE_SIZE = 1024
#: Pause of an accept loop when the process is out of file descriptors, in seconds.
ACCEPT_BACKOFF = 0.05
#: What ``accept()`` fails with when the process or the system is out of resources.
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class ServeError(Exception):
    """A server could not be started; the message says why and what to do."""


class _Serving:
    """What our servers add to socketserver's: their host, role and live connections."""

    host: SystemHost
    role: Role
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = REQUEST_QUEUE_SIZE
    max_packet_size = 65507  # UDP: the largest datagram

    def _init_serving(self, host: SystemHost, role: Role, idle_timeout: float | None) -> None:
        self.host = host
        self.role = role
        self.idle_timeout = idle_timeout
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def connection_idle_timeout(self) -> float | None:
        """Seconds a listening connection may stay silent: the server's, else the System's."""
        if self.idle_timeout is not None:
            return self.idle_timeout
        return self.host.system.idle_timeout

    def track(self, sock: socket.socket) -> None:
        """Remember a live TCP connection so :meth:`close_connections` can end it."""
        with self._connections_lock:
            self._connections.add(sock)

    def untrack(self, sock: socket.socket) -> None:
        """Forget a finished connection."""
        with self._connections_lock:
            self._connections.discard(sock)

    def close_connections(self) -> None:
        """Unblock and end every live connection (their handler threads then return)."""
        self.stopping.set()
        with self._connections_lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A handler failed unexpectedly: log it (rate-limited), never on stderr."""
        self.host.system.bad_input_log.log(
            logger,
            logging.ERROR,
            "%s: the connection from %s ended on an unexpected error",
            type(self.host.system).__name__,
            client_address,
            exc_info=True,
        )


class _Accepting(socketserver.TCPServer):
    """A TCP accept loop that pauses, instead of spinning, when out of file descriptors."""

    _starved = False
    host: SystemHost
    role: Role

    def get_request(self) -> tuple[socket.socket, Any]:
        group = self.host.group
        try:
            if self.role != "listening":
                request = super().get_request()
            else:
                with group.lock:  # no reader of the group checks between accept and count
                    request = super().get_request()
                    group.accepted()
        except OSError as error:
            if error.errno in _OUT_OF_RESOURCES:
                group.starved = True
                self._pause(error)
            raise
        if self._starved:
            self._starved = group.starved = False
            logger.warning("%s: accepting new connections again", self._where())
        return request

    def process_request(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request(request, client_address)
        except BaseException:
            if self.role == "listening":
                self.host.group.abandoned()  # no handler will join it
            raise

    def server_close(self) -> None:
        if getattr(self, "role", None) == "listening":  # not yet set if binding failed
            self.host.group.unlisten(self.socket)
        super().server_close()

    def _pause(self, error: OSError) -> None:
        if not self._starved:
            self._starved = True
            logger.warning(
                "%s: cannot accept a connection (%s): pausing new connections until some "
                "close; raise the limit with ulimit -n",
                self._where(),
                error.strerror or error,
            )
        time.sleep(ACCEPT_BACKOFF)

    def _where(self) -> str:
        host, port = self.server_address[:2]
        return f"{host!s}:{port!s}"


_HANDLERS: dict[tuple[Role, bool], type[socketserver.BaseRequestHandler]] = {
    ("listening", False): ListeningTCPHandler,
    ("listening", True): ListeningUDPHandler,
    ("sending", False): SendingTCPHandler,
    ("sending", True): SendingUDPHandler,
}


def make_server(
    host: SystemHost,
    role: Role,
    address: tuple[str, int],
    server_type: type[socketserver.BaseServer],
    *,
    idle_timeout: float | None = None,
) -> Any:
    """Bind a server of ``server_type`` (a TCP or UDP socketserver class) serving ``host``.

    ``idle_timeout`` closes a listening TCP connection silent for that many
    seconds (default: the System's ``idle_timeout``, None for never). Raises
    :class:`ServeError` with a one-line reason when the address cannot be bound.
    """
    udp = issubclass(server_type, socketserver.UDPServer)
    if not udp and not issubclass(server_type, socketserver.TCPServer):
        raise ServeError(f"unsupported server type {server_type.__name__}: use a TCP or UDP server")
    if idle_timeout is not None and not idle_timeout > 0:
        raise ServeError(f"idle timeout must be > 0 s, got {idle_timeout}")
    attributes: dict[str, Any] = {}
    if ":" in address[0]:
        attributes["address_family"] = socket.AF_INET6
    bases = (_Serving, server_type) if udp else (_Serving, _Accepting, server_type)
    served = type(f"Served{server_type.__name__}", bases, attributes)
    try:
        server = served(address, _HANDLERS[role, udp])
    except OSError as error:
        raise ServeError(_bind_error(address, udp, error)) from None
    server._init_serving(host, role, idle_timeout)
    if role == "listening" and not udp:
        host.group.listen(server.socket)
    return server


def _bind_error(address: tuple[str, int], udp: bool, error: OSError) -> str:
    where = f"{address[0]}:{address[1]}/{'udp' if udp else 'tcp'}"
    if error.errno == 98:  # EADDRINUSE
        return (
            f"port {where} is already in use: stop what uses it, or shift every port "
            "with --port-offset N"
        )
    if error.errno == 13:  # EACCES
        return f"not allowed to bind {where}: ports below 1024 need privileges"
    return f"cannot bind {where}: {error.strerror or error}"
