"""Socket shells around Systems: listening and sending servers over TCP and UDP.

The request path: socket bytes -> per-connection :class:`~simulators.commands.CommandSplitter`
-> custom commands to :func:`~simulators.commands.dispatch`, everything else to the
System's ``parse_chunk()`` under the System's lock -> replies -> socket.
"""

from __future__ import annotations

import contextlib
import copy
import logging
import queue
import select
import socket
import socketserver
import threading
from collections.abc import Callable, Iterable
from typing import Any, Literal

from simulators.commands import Command, CommandSplitter, dispatch
from simulators.common import SHUTDOWN_REPLY, BaseSystem, ListeningSystem, Reply, SendingSystem

__all__ = ["Role", "ServeError", "SystemHost", "make_server"]

logger = logging.getLogger(__name__)

Role = Literal["listening", "sending"]

#: Bytes read from a socket at a time.
READ_SIZE = 65536
#: How often idle loops look for a stop request, in seconds.
POLL_INTERVAL = 0.02
#: Messages a sending connection may fall behind before it loses the oldest.
SEND_QUEUE_SIZE = 64
#: Seconds a blocked send may take before the client is dropped.
SEND_TIMEOUT = 10.0


class ServeError(Exception):
    """A server could not be started; the message says why and what to do."""


class SystemHost:
    """One System as its servers see it: serialized calls and per-connection parser state.

    Every connection is an ``owner``. Before a connection's bytes are parsed, the
    System's :attr:`~simulators.common.ListeningSystem.parser_state` attributes
    are swapped for that connection's, so partial messages never mix.
    """

    def __init__(self, system: BaseSystem, request_stop: Callable[[], None]) -> None:
        self.system = system
        self.request_stop = request_stop
        names = system.parser_state if isinstance(system, ListeningSystem) else ()
        self._state_names: tuple[str, ...] = names
        self._initial = {name: copy.deepcopy(getattr(system, name)) for name in names}
        self._saved: dict[object, dict[str, Any]] = {}
        self._owner: object = None

    def process(
        self, owner: object, segments: Iterable[bytes | Command]
    ) -> tuple[list[bytes], bool]:
        """Parse data and run commands from ``owner``; return the replies and whether to stop."""
        replies: list[bytes] = []
        stop = False
        with self.system.lock:
            for segment in segments:
                if isinstance(segment, Command):
                    text = dispatch(self.system, segment)
                    replies.append(text.encode() + b"\n")
                    if segment.name == "stop" and text == SHUTDOWN_REPLY:
                        stop = True
                        break
                elif isinstance(self.system, ListeningSystem):
                    if self._owner is not owner:
                        self._switch_to(owner)
                    replies.extend(self.system.parse_chunk(segment))
                else:
                    logger.debug("ignoring %d bytes sent to a sending server", len(segment))
        return replies, stop

    def forget(self, owner: object) -> None:
        """Discard what ``owner`` left half sent: its connection is gone."""
        with self.system.lock:
            self._saved.pop(owner, None)
            if self._owner is owner:
                self._load(copy.deepcopy(self._initial))
                self._owner = None

    def greeting(self) -> bytes | None:
        """Return what the System sends a new TCP client."""
        with self.system.lock:
            return self.system.system_greet()

    def subscribe(self, q: queue.Queue[bytes]) -> None:
        """Subscribe ``q`` to the (sending) System."""
        system = self.system
        assert isinstance(system, SendingSystem)
        with system.lock:
            system.subscribe(q)

    def unsubscribe(self, q: queue.Queue[bytes]) -> None:
        """Unsubscribe ``q`` from the (sending) System."""
        system = self.system
        assert isinstance(system, SendingSystem)
        with system.lock:
            system.unsubscribe(q)

    def _switch_to(self, owner: object) -> None:
        if self._state_names:
            if self._owner is not None:
                system = self.system
                self._saved[self._owner] = {n: getattr(system, n) for n in self._state_names}
            state = self._saved.pop(owner, None)
            self._load(state if state is not None else copy.deepcopy(self._initial))
        self._owner = owner

    def _load(self, state: dict[str, Any]) -> None:
        for name, value in state.items():
            setattr(self.system, name, value)


class _Serving:
    """What our servers add to socketserver's: their host, role and live connections."""

    host: SystemHost
    role: Role
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    max_packet_size = 65507  # UDP: the largest datagram

    def _init_serving(self, host: SystemHost, role: Role) -> None:
        self.host = host
        self.role = role
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

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


class _TCPHandler(socketserver.BaseRequestHandler):
    """What both TCP handlers do with the bytes a client sends."""

    server: Any

    def answer(self, sock: socket.socket, host: SystemHost, splitter: CommandSplitter) -> bool:
        """Read once, answer; False when the connection must end."""
        data = sock.recv(READ_SIZE)
        if not data:
            return False
        replies, stop = host.process(self, splitter.feed(data))
        if replies and not _send(sock, replies, self.server.stopping):
            return False
        if stop:
            host.request_stop()
            return False
        return True


class _ListeningTCPHandler(_TCPHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        host: SystemHost = self.server.host
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(sock)
        splitter = CommandSplitter()
        try:
            greeting = host.greeting()
            if greeting:
                sock.sendall(greeting)
            while self.answer(sock, host, splitter):
                pass
        except OSError as error:
            logger.debug("connection from %s ended: %s", self.client_address, error)
        finally:
            host.forget(self)
            self.server.untrack(sock)


class _ListeningUDPHandler(socketserver.BaseRequestHandler):
    server: Any

    def handle(self) -> None:
        data, sock = self.request
        host: SystemHost = self.server.host
        replies, stop = host.process(self, _split_datagram(data))
        host.forget(self)  # a datagram is a whole message: nothing carries over
        answer: list[bytes] = []
        for reply in replies:
            if isinstance(reply, Reply) and (
                reply.close or self.server.stopping.wait(reply.delay_s)
            ):
                answer.clear()  # UDP has no connection to drop: the answer is lost
                break
            answer.append(reply)
        if answer:
            with contextlib.suppress(OSError):
                sock.sendto(b"".join(answer), self.client_address)
        if stop:
            host.request_stop()


class _SendingTCPHandler(_TCPHandler):
    def handle(self) -> None:
        sock: socket.socket = self.request
        host: SystemHost = self.server.host
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(SEND_TIMEOUT)
        self.server.track(sock)
        messages: queue.Queue[bytes] = queue.Queue(SEND_QUEUE_SIZE)
        splitter = CommandSplitter()
        host.subscribe(messages)
        try:
            while not self.server.stopping.is_set():
                if select.select([sock], [], [], 0)[0] and not self.answer(sock, host, splitter):
                    return
                try:
                    message = messages.get(timeout=POLL_INTERVAL)
                except queue.Empty:
                    continue
                sock.sendall(message)
        except OSError as error:
            logger.debug("subscriber %s ended: %s", self.client_address, error)
        finally:
            host.unsubscribe(messages)
            self.server.untrack(sock)


class _SendingUDPHandler(socketserver.BaseRequestHandler):
    """Answers each datagram with the next message (custom commands are answered instead)."""

    server: Any

    def handle(self) -> None:
        data, sock = self.request
        host: SystemHost = self.server.host
        segments = _split_datagram(data)
        commands = [segment for segment in segments if isinstance(segment, Command)]
        if commands:
            replies, stop = host.process(self, commands)
            reply = b"".join(replies)
            if stop:
                host.request_stop()
        else:
            reply = self._next_message(host)
        if reply:
            with contextlib.suppress(OSError):
                sock.sendto(reply, self.client_address)

    @staticmethod
    def _next_message(host: SystemHost) -> bytes:
        system = host.system
        assert isinstance(system, SendingSystem)
        messages: queue.Queue[bytes] = queue.Queue(SEND_QUEUE_SIZE)
        host.subscribe(messages)
        try:
            # A bound, not a pace: a Publisher samples as soon as someone subscribes.
            return messages.get(timeout=max(1.0, 2 * system.sampling_time))
        except queue.Empty:
            return b""
        finally:
            host.unsubscribe(messages)


def _send(sock: socket.socket, replies: list[bytes], stopping: threading.Event) -> bool:
    """Send replies in order, honouring :class:`Reply` delays; False if the connection must end."""
    if not any(isinstance(reply, Reply) for reply in replies):
        sock.sendall(b"".join(replies))  # the fast path: one write
        return True
    for reply in replies:
        if isinstance(reply, Reply):
            if reply.close:
                return False
            if reply.delay_s and stopping.wait(reply.delay_s):
                return False
        if reply:
            sock.sendall(reply)
    return True


def _split_datagram(data: bytes) -> list[bytes | Command]:
    """Split one datagram: a command cut short by its end is protocol data."""
    splitter = CommandSplitter()
    segments = splitter.feed(data)
    rest = splitter.flush()
    if rest:
        segments.append(rest)
    return segments


_HANDLERS: dict[tuple[Role, bool], type[socketserver.BaseRequestHandler]] = {
    ("listening", False): _ListeningTCPHandler,
    ("listening", True): _ListeningUDPHandler,
    ("sending", False): _SendingTCPHandler,
    ("sending", True): _SendingUDPHandler,
}


def make_server(
    host: SystemHost,
    role: Role,
    address: tuple[str, int],
    server_type: type[socketserver.BaseServer],
) -> Any:
    """Bind a server of ``server_type`` (a TCP or UDP socketserver class) serving ``host``.

    Raises :class:`ServeError` with a one-line reason when the address cannot be bound.
    """
    udp = issubclass(server_type, socketserver.UDPServer)
    if not udp and not issubclass(server_type, socketserver.TCPServer):
        raise ServeError(f"unsupported server type {server_type.__name__}: use a TCP or UDP server")
    attributes: dict[str, Any] = {}
    if ":" in address[0]:
        attributes["address_family"] = socket.AF_INET6
    served = type(f"Served{server_type.__name__}", (_Serving, server_type), attributes)
    try:
        server = served(address, _HANDLERS[role, udp])
    except OSError as error:
        raise ServeError(_bind_error(address, udp, error)) from None
    server._init_serving(host, role)
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
