"""The per-connection side of the servers: what each handler does with its client.

* :class:`ListeningTCPHandler` reads outside the System's lock, then runs what
  it read in its ordering group's turn (:mod:`simulators.ordering`), a slice
  at a time (:mod:`simulators.host`), and sends the replies; an optional idle
  timeout closes a silent connection.
* :class:`SendingTCPHandler` sleeps until its mailbox rings or the client
  sends something: an idle subscriber costs nothing.
* The UDP handlers answer each datagram on its own.

Handlers find their :class:`~simulators.host.SystemHost` and settings on
``self.server`` (see :mod:`simulators.server`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import select
import socket
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from simulators.commands import CommandSplitter, CustomCommand
from simulators.common import Reply, SendingSystem
from simulators.host import SystemHost
from simulators.ordering import Member
from simulators.session import Session

__all__ = [
    "ListeningTCPHandler",
    "ListeningUDPHandler",
    "SendingTCPHandler",
    "SendingUDPHandler",
]

logger = logging.getLogger(__name__)

#: Bytes read from a socket at a time.
READ_SIZE = 65536
#: Longest a connection handler sleeps before it looks for a stop request, in seconds.
WAIT_BOUND = 5.0
WAIT_BOUND_MS = int(WAIT_BOUND * 1000)  # the same, for poll()
#: Messages a sending connection may fall behind before it loses the oldest.
SEND_QUEUE_SIZE = 64
#: Seconds a blocked send may take before the client is dropped.
SEND_TIMEOUT = 10.0


class TCPHandler(socketserver.BaseRequestHandler):
    """What both TCP handlers do with the bytes a client sends."""

    server: Any

    def answer(
        self,
        sock: socket.socket,
        host: SystemHost,
        splitter: CommandSplitter,
        session: Session | None,
    ) -> bool:
        """Read once, answer; False when the connection must end."""
        data = sock.recv(READ_SIZE)
        if not data:
            return False
        replies, stop = host.process(session, splitter.feed(data))
        if replies and not _send(sock, replies, self.server.stopping):
            return False
        if stop:
            host.request_stop()
            return False
        return True


class ListeningTCPHandler(socketserver.BaseRequestHandler):
    """Serves one client: reads, runs what it read in its group's order, answers."""

    server: Any

    def handle(self) -> None:
        sock: socket.socket = self.request
        host: SystemHost = self.server.host
        member: Member | None = None
        session: Session | None = None
        try:
            # Joined first: until then, the group's readers wait for this connection.
            member = host.group.join(sock, accepted=True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.server.track(sock)
            greeting = host.greeting()
            if greeting:
                sock.sendall(greeting)
            session = host.open_session()
            self._serve(sock, host, member, session)
        except OSError as error:
            logger.debug("connection from %s ended: %s", self.client_address, error)
        finally:
            if member is None:
                host.group.abandoned()
            else:
                host.group.leave(member)
            host.close_session(session)
            self.server.untrack(sock)

    def _serve(
        self, sock: socket.socket, host: SystemHost, member: Member, session: Session | None
    ) -> None:
        group, splitter = host.group, CommandSplitter()
        stopping: threading.Event = self.server.stopping
        idle_timeout: float | None = self.server.connection_idle_timeout()
        readable = select.poll()
        readable.register(sock, select.POLLIN)
        poll, lock, recv = readable.poll, group.lock, sock.recv

        def step_aside() -> None:
            group.step_aside(member)

        while True:
            # The fast path first: no idle timeout, bytes within the bound.
            if not (idle_timeout is None and poll(WAIT_BOUND_MS)) and not _wait_readable(
                readable, stopping, idle_timeout, self.client_address
            ):
                return
            with lock:
                if group.ordering:
                    group.wait_turn(member)
                try:
                    data = recv(READ_SIZE, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    continue  # woken for nothing: wait again
                group.consumed(member)
                if not data:
                    if member.error is not None:
                        raise member.error  # a sibling's peek took the reset: end on it
                    return
                replies, stop, rest = host.start(session, splitter.feed(data))
                member.waiting = rest is None
            while True:
                if replies and not _send(sock, replies, stopping, step_aside):
                    return
                if stop:
                    host.request_stop()
                    return
                if rest is None:
                    break
                replies, stop = rest.step()
                if rest.done:
                    rest = None
            member.waiting = True


def _wait_readable(
    readable: select.poll, stopping: threading.Event, idle_timeout: float | None, client: Any
) -> bool:
    """Wait until the socket has something to read; False on a stop or after the idle timeout."""
    if idle_timeout is None:
        while not stopping.is_set():
            if readable.poll(WAIT_BOUND_MS):
                return True
        return False
    deadline = time.monotonic() + idle_timeout
    while not stopping.is_set():
        wait = min(WAIT_BOUND, deadline - time.monotonic())
        if wait > 0 and readable.poll(wait * 1000):
            return True
        if time.monotonic() >= deadline:
            logger.info("closing the connection from %s: idle for %g s", client, idle_timeout)
            return False
    return False


class ListeningUDPHandler(socketserver.BaseRequestHandler):
    server: Any

    def handle(self) -> None:
        data, sock = self.request
        host: SystemHost = self.server.host
        if host.discos:
            data += b"\n"  # DISCOS ends every datagram with a newline for parse()
        session = host.open_session()  # a datagram is a whole message: nothing carries over
        try:
            replies, stop = host.process(session, _split_datagram(data))
        finally:
            host.close_session(session)
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


class _Doorbell:
    """A file descriptor that becomes readable when rung: an eventfd, or a pipe elsewhere."""

    def __init__(self) -> None:
        if hasattr(os, "eventfd"):
            self._read = self._write = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)
        else:  # pragma: no cover - not Linux
            self._read, self._write = os.pipe()
            os.set_blocking(self._read, False)
            os.set_blocking(self._write, False)

    def fileno(self) -> int:
        """What to poll."""
        return self._read

    def ring(self) -> None:
        """Make the descriptor readable."""
        with contextlib.suppress(BlockingIOError):
            os.write(self._write, (1).to_bytes(8, sys.byteorder))

    def clear(self) -> None:
        """Make it unreadable until the next ring."""
        with contextlib.suppress(BlockingIOError):
            os.read(self._read, 4096)

    def close(self) -> None:
        """Release the descriptor(s)."""
        os.close(self._read)
        if self._write != self._read:  # pragma: no cover - not Linux
            os.close(self._write)


class _Mailbox(queue.Queue[bytes]):
    """A subscriber's queue that rings a doorbell when a message lands in it empty."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self.doorbell = _Doorbell()

    def _put(self, item: bytes) -> None:
        empty = not self._qsize()
        super()._put(item)
        if empty:
            self.doorbell.ring()

    def take_all(self) -> list[bytes]:
        """Every message waiting, oldest first."""
        self.doorbell.clear()
        messages = []
        with contextlib.suppress(queue.Empty):
            while True:
                messages.append(self.get_nowait())
        return messages


class SendingTCPHandler(TCPHandler):
    """Sends a subscriber every message; sleeps until a message or the client's bytes come."""

    def handle(self) -> None:
        sock: socket.socket = self.request
        host: SystemHost = self.server.host
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(SEND_TIMEOUT)
        self.server.track(sock)
        try:
            mailbox = _Mailbox(SEND_QUEUE_SIZE)
        except OSError as error:
            logger.warning("cannot serve subscriber %s: %s", self.client_address, error)
            self.server.untrack(sock)
            return
        host.subscribe(mailbox)
        session: Session | None = None
        try:
            session = host.open_session()  # a System that also listens answers here too
            self._serve(sock, host, mailbox, session)
        except OSError as error:
            logger.debug("subscriber %s ended: %s", self.client_address, error)
        finally:
            host.close_session(session)
            host.unsubscribe(mailbox)
            mailbox.doorbell.close()
            self.server.untrack(sock)

    def _serve(
        self, sock: socket.socket, host: SystemHost, mailbox: _Mailbox, session: Session | None
    ) -> None:
        splitter = CommandSplitter()
        ready = select.poll()
        ready.register(sock, select.POLLIN)
        ready.register(mailbox.doorbell, select.POLLIN)
        client = sock.fileno()
        while not self.server.stopping.is_set():
            for fd, _event in ready.poll(WAIT_BOUND_MS):
                if fd == client:
                    if not self.answer(sock, host, splitter, session):
                        return
                else:
                    messages = mailbox.take_all()
                    if messages:
                        sock.sendall(b"".join(messages))


class SendingUDPHandler(socketserver.BaseRequestHandler):
    """Answers each datagram with the next message (custom commands are answered instead)."""

    server: Any

    def handle(self) -> None:
        data, sock = self.request
        host: SystemHost = self.server.host
        segments = _split_datagram(data)
        if any(isinstance(segment, CustomCommand) for segment in segments):
            replies, stop = host.process(None, segments)  # commands only: no session
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


def _send(
    sock: socket.socket,
    replies: list[bytes],
    stopping: threading.Event,
    blocking: Callable[[], None] | None = None,
) -> bool:
    """Send replies in order, honouring :class:`Reply` delays; False if the connection must end.

    ``blocking`` is called before anything that waits: a delay, or a send the
    client's full socket holds up.
    """
    if len(replies) == 1 and type(replies[0]) is bytes:
        return _send_bytes(sock, replies[0], blocking)  # the fast path: one reply
    if all(type(reply) is bytes for reply in replies):
        return _send_bytes(sock, b"".join(replies), blocking)  # one write for them all
    for reply in replies:
        if isinstance(reply, Reply):
            if reply.close:
                return False
            if reply.delay_s:
                if blocking is not None:
                    blocking()
                    blocking = None
                if stopping.wait(reply.delay_s):
                    return False
        if reply and not _send_bytes(sock, reply, blocking):
            return False
    return True


def _send_bytes(sock: socket.socket, data: bytes, blocking: Callable[[], None] | None) -> bool:
    if blocking is None:
        sock.sendall(data)
        return True
    try:
        sent = sock.send(data, socket.MSG_DONTWAIT)
    except BlockingIOError:
        sent = 0
    if sent < len(data):
        blocking()
        sock.sendall(data[sent:])
    return True


def _split_datagram(data: bytes) -> list[bytes | CustomCommand]:
    """Split one datagram: a command cut short by its end is protocol data."""
    splitter = CommandSplitter()
    segments = splitter.feed(data)
    rest = splitter.flush()
    if rest:
        segments.append(rest)
    return segments
