"""Ordering groups: the connections of Systems that share one lock are served in arrival order.

The rule: a request is processed only after every request that reached any
connection of the group before it. A client that sends ``OUTP ON`` to a
supply and then ``MEAS:VOLT:DC?`` to a multimeter of the same bench must read
the powered output, whichever server thread the scheduler runs first.

Theory of operation. Systems that share one lock (the three instruments of a
bench share the bench's) form one group; every listening TCP connection of
the group is a :class:`Member`. A connection waits for bytes outside the
lock (``poll()``), then takes the lock and, before reading, calls
:meth:`OrderingGroup.wait_turn`. The group keeps the members with unread
bytes in the order those bytes arrived: the kernel tells it, as an
edge-triggered epoll set lists sockets in the order they became readable
(and leaves out those no longer readable). A member waits (on a condition
bound to the lock, so the lock is free meanwhile) while a sibling ahead of it
is still waiting to read; the sibling reads and runs its bytes under the
lock, leaves the line (:meth:`OrderingGroup.consumed`) and wakes it.

Bytes must be read under the lock: epoll cannot see bytes a thread has
already taken out of its socket.

Bounds and limits:

* A sibling busy elsewhere (holding back a delayed reply, blocked sending to
  a client that does not read, working through the later slices of a large
  read) is not waited for; and no wait lasts longer than :data:`MAX_WAIT`.
* The order is the order bytes reach the sockets; on loopback, a client's
  earlier ``send()`` is in its socket before its later one is issued.
* A connection alone in its group pays one ``poll()`` per read; with
  siblings, one epoll check more.
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

#: Longest a connection waits for a sibling to read what arrived before its own bytes.
MAX_WAIT = 1.0

_EPOLL = getattr(select, "epoll", None)


class Member:
    """One listening TCP connection of a group, as its siblings see it.

    ``waiting`` is True while its thread waits for bytes or for its turn to
    read them: a sibling whose bytes came later lets it read first.
    """

    __slots__ = ("__weakref__", "fd", "sock", "waiting")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.fd = sock.fileno()
        self.waiting = True


class OrderingGroup:
    """The listening connections of every System that shares ``lock``."""

    def __init__(self, lock: threading.RLock) -> None:
        self.lock = lock
        self._turn = threading.Condition(lock)
        self._members: dict[int, Member] = {}
        self._arrivals: dict[Member, None] = {}  # members with unread bytes, oldest first
        self._epoll: select.epoll | None = None
        #: Whether the group has several connections, so that their order matters.
        self.ordering = False
        #: How often a connection waited for a sibling, and how often such a wait hit its bound.
        self.waits = 0
        self.timeouts = 0

    def join(self, sock: socket.socket) -> Member:
        """Add a connection; OSError if the process is out of file descriptors."""
        member = Member(sock)
        with self.lock:
            if _EPOLL is not None:
                if self._epoll is None:
                    self._epoll = _EPOLL()
                self._epoll.register(member.fd, select.EPOLLIN | select.EPOLLET)
            self._members[member.fd] = member
            self.ordering = len(self._members) > 1
        return member

    def leave(self, member: Member) -> None:
        """Remove a connection that ended (before its socket is closed)."""
        with self.lock:
            self._members.pop(member.fd, None)
            self.ordering = len(self._members) > 1
            self._arrivals.pop(member, None)
            if self._epoll is not None:
                with contextlib.suppress(OSError):
                    self._epoll.unregister(member.fd)
                if not self._members:
                    self._epoll.close()
                    self._epoll = None
            self._turn.notify_all()

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
        if self._arrivals.pop(member, 0) is None:
            self._turn.notify_all()

    def step_aside(self, member: Member) -> None:
        """``member`` is busy (a delayed or blocked reply): siblings stop waiting for it."""
        with self.lock:
            member.waiting = False
            self._turn.notify_all()

    def _someone_ahead(self, member: Member) -> bool:
        for other in self._arrivals:
            if other is member:
                return False
            if other.waiting:
                return True
        return False

    def _drain(self) -> None:
        """Append the members that became readable since the last drain, in arrival order."""
        if self._epoll is None:
            return
        members, arrivals = self._members, self._arrivals
        for fd, _ in self._epoll.poll(0):
            member = members.get(fd)
            if member is not None and member not in arrivals:
                arrivals[member] = None


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
