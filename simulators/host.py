"""One System as its servers see it: serialized calls, one session per connection, slices.

Every listening connection has its own :class:`~simulators.session.Session`,
opened when it connects and closed when it ends, so partial messages never
mix. What one read brings is fed to it in slices of at most :data:`SLICE`
bytes, each under the System's lock, so a client streaming garbage holds the
lock a few milliseconds at a time and the others are answered in between.

A DISCOS module (:meth:`~simulators.common.ListeningSystem.speaks_discos`)
may end a custom command with DISCOS's ``%%%%%`` tail: ``$system_stop%%%%%``.
The four extra ``%`` that arrive with the command are dropped, and such a
command is answered as DISCOS did: the method's ``str``, latin-1, with no
newline added (nothing for any other result or an error), and ``$system_stop``
answers ``$server_shutdown%%%%%``. Sent with one ``%``, a command is answered
as on any other simulator.
"""

from __future__ import annotations

import collections
import logging
import queue
from collections.abc import Callable, Iterable

from simulators.commands import CustomCommand, dispatch
from simulators.common import SHUTDOWN_REPLY, BaseSystem, ListeningSystem, Reply, SendingSystem
from simulators.ordering import OrderingGroup, group_for
from simulators.session import Session

__all__ = ["DISCOS_SHUTDOWN_REPLY", "DISCOS_TAIL", "SLICE", "SystemHost", "Work"]

logger = logging.getLogger(__name__)

#: Most protocol bytes parsed per hold of the System's lock.
SLICE = 4096
#: What a custom command counts for against a slice.
COMMAND_COST = 64
#: What follows a custom command's ``%`` in DISCOS's form of it (``$system_stop%%%%%``).
DISCOS_TAIL = b"%%%%"
#: What ``$system_stop%%%%%`` answers: DISCOS's form of :data:`~simulators.common.SHUTDOWN_REPLY`.
DISCOS_SHUTDOWN_REPLY = SHUTDOWN_REPLY + "%%%%"


class Work:
    """What is left to do of one read: protocol data and commands, run a slice at a time."""

    def __init__(
        self, host: SystemHost, session: Session | None, segments: Iterable[bytes | CustomCommand]
    ) -> None:
        self._host = host
        self._session = session
        self._segments: collections.deque[bytes | CustomCommand] = collections.deque(segments)

    @property
    def done(self) -> bool:
        """Whether everything has run."""
        return not self._segments

    def step(self) -> tuple[list[bytes], bool]:
        """Run the next slice under the System's lock; return its replies and whether to stop."""
        host, session, segments = self._host, self._session, self._segments
        system = host.system
        replies: list[bytes] = []
        budget = SLICE
        with system.lock:
            while segments and budget > 0:
                segment = segments.popleft()
                if isinstance(segment, CustomCommand):
                    budget -= COMMAND_COST
                    if host.discos and _took_discos_tail(segments):
                        reply, stop = _run_discos_command(system, segment)
                    else:
                        text = dispatch(system, segment)
                        reply = text.encode() + b"\n"
                        stop = segment.name == "stop" and text in host.shutdown_replies
                    if reply:
                        replies.append(reply)
                    if stop:
                        segments.clear()
                        return replies, True
                elif session is not None:
                    if len(segment) > budget:
                        segments.appendleft(segment[budget:])
                        segment = segment[:budget]
                    budget -= len(segment)
                    replies.extend(session.feed(segment))
                    if replies and isinstance(replies[-1], Reply) and replies[-1].close:
                        segments.clear()  # the connection ends: what follows is never read
                else:
                    logger.debug("ignoring %d bytes sent to a sending server", len(segment))
        return replies, False


def _took_discos_tail(segments: collections.deque[bytes | CustomCommand]) -> bool:
    """Drop DISCOS's ``%%%%`` after a command, if it came with it; whether it did."""
    if not segments:
        return False
    following = segments[0]
    if isinstance(following, CustomCommand) or not following.startswith(DISCOS_TAIL):
        return False
    rest = following[len(DISCOS_TAIL) :]
    if rest:
        segments[0] = rest
    else:
        segments.popleft()
    return True


def _run_discos_command(system: BaseSystem, command: CustomCommand) -> tuple[bytes, bool]:
    """Run a command sent in DISCOS's form; return DISCOS's reply and whether to stop."""
    method = getattr(system, f"system_{command.name}", None)
    if not callable(method):
        system.bad_input_log.log(logger, logging.INFO, "command %s not supported", command.name)
        return b"", False
    try:
        result = method(*command.args)
    except Exception as error:
        system.bad_input_log.log(
            logger, logging.INFO, "custom command %s failed: %r", command.name, error
        )
        return b"", False
    if command.name == "stop" and result in (SHUTDOWN_REPLY, DISCOS_SHUTDOWN_REPLY):
        return DISCOS_SHUTDOWN_REPLY.encode(), True
    if isinstance(result, str):
        return result.encode("latin-1", errors="replace"), False
    return b"", False


class SystemHost:
    """Serializes calls to one System and opens each connection's session."""

    def __init__(self, system: BaseSystem, request_stop: Callable[[], None]) -> None:
        self.system = system
        self.request_stop = request_stop
        #: The listening connections of every System sharing this one's lock.
        self.group: OrderingGroup = group_for(system.lock)
        #: Whether the System is a DISCOS module's (custom commands in DISCOS's form too).
        self.discos = isinstance(system, ListeningSystem) and system.speaks_discos()
        #: What ``$system_stop%`` answers when it stops the simulator.
        self.shutdown_replies = (
            (SHUTDOWN_REPLY, DISCOS_SHUTDOWN_REPLY) if self.discos else (SHUTDOWN_REPLY,)
        )

    def open_session(self) -> Session | None:
        """A new session for one connection, or None when the System does not listen."""
        system = self.system
        if not isinstance(system, ListeningSystem):
            return None
        with system.lock:
            return system.open_session()

    def close_session(self, session: Session | None) -> None:
        """End a connection's session: its connection is gone."""
        if session is not None:
            with self.system.lock:
                session.close()

    def begin(self, session: Session | None, segments: Iterable[bytes | CustomCommand]) -> Work:
        """The work of one read from ``session``'s connection; run it with :meth:`Work.step`."""
        return Work(self, session, segments)

    def start(
        self, session: Session | None, segments: list[bytes | CustomCommand]
    ) -> tuple[list[bytes], bool, Work | None]:
        """Run the first slice of one read (lock held); return replies, stop, and what is left.

        The common case, a small read of protocol data, runs without building a
        :class:`Work`.
        """
        if len(segments) == 1 and session is not None:
            data = segments[0]
            if type(data) is bytes and len(data) <= SLICE:
                return session.feed(data), False, None
        work = Work(self, session, segments)
        replies, stop = work.step()
        return replies, stop, None if work.done else work

    def process(
        self, session: Session | None, segments: Iterable[bytes | CustomCommand]
    ) -> tuple[list[bytes], bool]:
        """Run one connection's data and commands; return the replies and whether to stop."""
        work = self.begin(session, segments)
        replies: list[bytes] = []
        stop = False
        while not (work.done or stop):
            more, stop = work.step()
            replies.extend(more)
        return replies, stop

    def greeting(self) -> bytes | None:
        """Return what the System sends a new TCP client (a DISCOS module's ``str``: latin-1)."""
        with self.system.lock:
            greeting: bytes | str | None = self.system.system_greet()
        if isinstance(greeting, str):
            return greeting.encode("latin-1", errors="replace")
        return greeting

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
