"""Ordering groups: the connections of Systems that share one lock are served in arrival order.

The rule: a request is processed only after every request that reached any
connection of the group before it. A client that sends ``OUTP ON`` to a
supply and then ``MEAS:VOLT:DC?`` to a multimeter of the same bench must read
the powered output, whichever server thread the scheduler runs first, and
even when the server has not yet accepted the supply's connection.

Theory of operation. Systems that share one lock (the three instruments of a
bench share the bench's) form one group; every listening TCP connection of
the group is a :class:`Member`. A connection waits for bytes outside the
lock (``poll()``), then takes the lock and, before reading, calls
:meth:`OrderingGroup.wait_turn`. An edge-triggered epoll set names the
members that received bytes since the last look (the *arrivals*); the kernel
stamps every received segment with its arrival time, which a ``MSG_PEEK``
reads back (``SO_TIMESTAMPNS``, set on the listening sockets and inherited by
the connections). A member waits (on a condition bound to the lock, so the
lock is free meanwhile) while a sibling holds unread bytes that arrived
before its own; the sibling reads and runs them under the lock, leaves the
arrivals (:meth:`OrderingGroup.consumed`) and wakes it. A stamp is read once
per batch of unread bytes and kept (:meth:`Member.arrived`): the kernel
restamps an unread segment when it merges a later one into it, and readers
comparing moving stamps could wait for each other. Where the kernel gives no
stamp, the epoll order stands in for it.

A connection the server has not accepted yet may hold older bytes too. So the
group also watches its Systems' listening sockets (:meth:`OrderingGroup.listen`)
and counts connections accepted but not yet joined (:meth:`OrderingGroup.accepted`):
while either holds one, readers wait for it to join.

Bytes must be read under the lock: epoll cannot see bytes a thread has
already taken out of its socket.

Bounds and limits:

* A sibling busy elsewhere (holding back a delayed reply, blocked sending to
  a client that does not read, working through the later slices of a large
  read) is not waited for; and no wait lasts longer than :data:`MAX_WAIT`.
* The order is the order bytes reach the sockets; on loopback, a client's
  earlier ``send()`` is in its socket before its later one is issued.
* A connection alone in its group pays one ``poll()`` per read; with
  siblings, or in a group of several listening Systems, one epoll check
  more, and one ``MSG_PEEK`` per sibling with unread bytes.
* Connections not yet accepted are waited for only in groups of several
  listening Systems (one System's clients are peers), and not while the
  process is out of file descriptors.
* Without ``select.epoll`` (not Linux) connections are served as they come.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time
import weakref

__all__ = ["MAX_WAIT", "Member", "OrderingGroup", "group_for"]

logger = logging.getLogger(__name__)

#: The socket option that stamps received data with its arrival time (Linux: 35).
SO_TIMESTAMPNS: int = getattr(socket, "SO_TIMESTAMPNS", 35)

#: Longest a connection waits for a sibling to read what arrived before its own bytes.
MAX_WAIT = 1.0

_EPOLL = getattr(select, "epoll", None)


class Member:
    """One listening TCP connection of a group, as its siblings see it.

    ``waiting`` is True while its thread waits for bytes or for its turn to
    read them: a sibling whose bytes came later lets it read first.
    """

    __slots__ = ("__weakref__", "error", "fd", "since", "sock", "waiting")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.waiting = True
        self.since: int | None = None  # arrival stamp of its unread bytes, once asked
        #: The connection's error if a peek took it (the kernel tells it once): its reader
        #: then finds an end of stream, and ends the connection on this error instead.
        self.error: OSError | None = None

    def arrived(self) -> int | None:
        """When its unread bytes arrived (ns), as first seen; None if it has none.

        The kernel merges later segments into an unread one and restamps it, so
        the first answer is kept until the bytes are read: every reader then
        compares the same stamps, and no two wait for each other.
        """
        if self.since is None:
            try:
                self.since = _peek(self.sock)
            except OSError as error:
                self.error = error
        return self.since


class OrderingGroup:
    """The listening connections of every System that shares ``lock``."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self._turn = threading.Condition(lock)
        self._members: dict[int, Member] = {}
        self._arrivals: dict[Member, None] = {}  # members with unread bytes, oldest first
        self._epoll: select.epoll | None = None
        self._listeners: dict[int, socket.socket] = {}  # listening sockets of the group
        self._incoming = 0  # connections accepted that have not joined yet
        self._backlog = False  # a listener had a connection to accept at the last check
        #: Set while the process is out of file descriptors: waiting accepts are not waited for.
        self.starved = False
        #: Whether the group has several connections or listeners, so that order matters.
        self.ordering = False
        #: How often a connection waited for a sibling, and how often such a wait hit its bound.
        self.waits = 0
        self.timeouts = 0

    def listen(self, sock: socket.socket) -> None:
        """Watch a listening TCP socket of the group: a connection it holds may carry bytes."""
        with contextlib.suppress(OSError):  # the connections inherit arrival stamps
            sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        with self.lock:
            poller = self._poller()
            if poller is not None:
                poller.register(sock.fileno(), select.EPOLLIN)  # level-triggered
            self._listeners[sock.fileno()] = sock
            self._update()

    def unlisten(self, sock: socket.socket) -> None:
        """Stop watching a listening socket (before it is closed)."""
        with self.lock:
            if self._listeners.pop(sock.fileno(), None) is not None:
                self._unregister(sock.fileno())
            self._update()

    def accepted(self) -> None:
        """Note (lock held) a connection just accepted: readers wait for it to join."""
        self._incoming += 1
        self._update()

    def abandoned(self) -> None:
        """An accepted connection ended before it joined."""
        with self.lock:
            self._incoming = max(0, self._incoming - 1)
            self._update()
            self._turn.notify_all()

    def join(self, sock: socket.socket, *, accepted: bool = False) -> Member:
        """Add a connection (``accepted``: counted by :meth:`accepted`); OSError if out of fds."""
        member = Member(sock)
        with self.lock:
            if accepted:
                self._incoming = max(0, self._incoming - 1)
            poller = self._poller()
            if poller is not None:
                poller.register(member.fd, select.EPOLLIN | select.EPOLLET)
            self._members[member.fd] = member
            self._update()
            self._turn.notify_all()
        return member

    def leave(self, member: Member) -> None:
        """Remove a connection that ended (before its socket is closed)."""
        with self.lock:
            self._members.pop(member.fd, None)
            self._arrivals.pop(member, None)
            self._unregister(member.fd)
            self._update()
            self._turn.notify_all()

    def _poller(self) -> select.epoll | None:
        if _EPOLL is not None and self._epoll is None:
            self._epoll = _EPOLL()
        return self._epoll

    def _unregister(self, fd: int) -> None:
        if self._epoll is not None:
            with contextlib.suppress(OSError):
                self._epoll.unregister(fd)
            if not self._members and not self._listeners:
                self._epoll.close()
                self._epoll = None

    def _update(self) -> None:
        self.ordering = len(self._members) > 1 or len(self._listeners) > 1 or self._incoming > 0

    def wait_turn(self, member: Member) -> None:
        """Wait (lock held) until no waiting sibling has unread bytes older than ``member``'s."""
        if not self.ordering:
            return
        deadline = 0.0
        while True:
            self._drain()
            if not self._someone_ahead(member):
                return
            now = time.monotonic()
            if not deadline:
                deadline = now + MAX_WAIT
                self.waits += 1
            elif now >= deadline:
                self.timeouts += 1
                logger.debug("a sibling did not read within %g s: serving out of order", MAX_WAIT)
                return
            self._turn.wait(deadline - now)

    def consumed(self, member: Member) -> None:
        """Note (lock held) that ``member`` read its bytes: it no longer holds anyone back.

        Bytes that reach it from now on are a new arrival, listed at their place
        by the next check; bytes still unread after a full buffer are not listed
        again, so a client streaming megabytes does not keep the others waiting.
        """
        member.waiting = False
        member.since = None
        if self._arrivals.pop(member, 0) is None:
            self._turn.notify_all()

    def step_aside(self, member: Member) -> None:
        """``member`` is busy (a delayed or blocked reply): siblings stop waiting for it."""
        with self.lock:
            member.waiting = False
            self._turn.notify_all()

    def _someone_ahead(self, member: Member) -> bool:
        if self._incoming or (self._backlog and not self.starved):
            return True  # a connection not yet joined may hold older bytes
        arrivals = list(self._arrivals)
        mine: tuple[int, int] | None = None  # not known yet
        for position, other in enumerate(arrivals):
            if other is member or not other.waiting:
                continue
            theirs = other.arrived()
            if theirs is None:
                del self._arrivals[other]  # read already, or only an end of stream
                continue
            if mine is None:
                own = member.arrived()
                if own is None:
                    return False  # nothing to put in order
                mine = (own, arrivals.index(member) if member in self._arrivals else len(arrivals))
            if (theirs, position) < mine:
                return True
        return False

    def _drain(self) -> None:
        """Add the members that became readable since the last drain; note waiting accepts."""
        self._backlog = False
        if self._epoll is None:
            return
        members, arrivals = self._members, self._arrivals
        several = len(self._listeners) > 1  # across Systems; one System's clients are peers
        for fd, _ in self._epoll.poll(0):
            member = members.get(fd)
            if member is None:  # a listener with a connection to accept
                self._backlog = self._backlog or (fd in self._listeners and several)
            elif member not in arrivals:
                arrivals[member] = None


_STAMP_SPACE = socket.CMSG_SPACE(16)
_UNSTAMPED = 1 << 62  # later than any stamp
_PEEK = socket.MSG_PEEK | socket.MSG_DONTWAIT


def _peek(sock: socket.socket) -> int | None:
    """When the unread bytes of ``sock`` arrived (ns), or None if it has none to read.

    The kernel's receive stamp; a segment without one counts as the newest
    (:data:`_UNSTAMPED`), so every reader puts the same connections in the same
    order. An end of stream is nothing to read: it holds no request. Raises
    the connection's error (a reset), which the kernel reports only once.
    """
    try:
        data, ancillary, _flags, _address = sock.recvmsg(1, _STAMP_SPACE, _PEEK)
    except BlockingIOError:
        return None
    if not data:
        return None
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(payload) >= 16:
            seconds = int.from_bytes(payload[:8], "little", signed=True)
            return seconds * 1_000_000_000 + int.from_bytes(payload[8:16], "little", signed=True)
    return _UNSTAMPED


_groups: weakref.WeakValueDictionary[int, OrderingGroup] = weakref.WeakValueDictionary()
_groups_lock = threading.Lock()


def group_for(lock: threading.RLock) -> OrderingGroup:
    """The ordering group of every System whose lock is ``lock``."""
    with _groups_lock:
        group = _groups.get(id(lock))
        if group is None or group.lock is not lock:
            group = OrderingGroup(lock)
            _groups[id(lock)] = group
        return group
