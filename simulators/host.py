"""One System as its servers see it: serialized calls, per-connection parser state, slices.

Every connection is an ``owner``. Before a connection's bytes are parsed, the
System's :attr:`~simulators.common.ListeningSystem.parser_state` attributes are
swapped for that connection's, so partial messages never mix.

What one read brings is parsed in slices of at most :data:`SLICE` bytes, each
under the System's lock, so a client streaming garbage holds the lock a few
milliseconds at a time and the others are answered in between.
"""

from __future__ import annotations

import collections
import copy
import logging
import queue
from collections.abc import Callable, Iterable
from typing import Any

from simulators.commands import Command, dispatch
from simulators.common import SHUTDOWN_REPLY, BaseSystem, ListeningSystem, Reply, SendingSystem
from simulators.ordering import OrderingGroup, group_for

__all__ = ["SLICE", "SystemHost", "Work"]

logger = logging.getLogger(__name__)

#: Most protocol bytes parsed per hold of the System's lock.
SLICE = 4096
#: What a custom command counts for against a slice.
COMMAND_COST = 64


class Work:
    """What is left to do of one read: protocol data and commands, run a slice at a time."""

    def __init__(self, host: SystemHost, owner: object, segments: Iterable[bytes | Command]):
        self._host = host
        self._owner = owner
        self._segments: collections.deque[bytes | Command] = collections.deque(segments)

    @property
    def done(self) -> bool:
        """Whether everything has run."""
        return not self._segments

    def step(self) -> tuple[list[bytes], bool]:
        """Run the next slice under the System's lock; return its replies and whether to stop."""
        host, system, segments = self._host, self._host.system, self._segments
        replies: list[bytes] = []
        budget = SLICE
        with system.lock:
            while segments and budget > 0:
                segment = segments.popleft()
                if isinstance(segment, Command):
                    budget -= COMMAND_COST
                    text = dispatch(system, segment)
                    replies.append(text.encode() + b"\n")
                    if segment.name == "stop" and text == SHUTDOWN_REPLY:
                        segments.clear()
                        return replies, True
                elif isinstance(system, ListeningSystem):
                    if len(segment) > budget:
                        segments.appendleft(segment[budget:])
                        segment = segment[:budget]
                    budget -= len(segment)
                    host.switch_to(self._owner)
                    replies.extend(system.parse_chunk(segment))
                    if replies and isinstance(replies[-1], Reply) and replies[-1].close:
                        segments.clear()  # the connection ends: what follows is never read
                else:
                    logger.debug("ignoring %d bytes sent to a sending server", len(segment))
        return replies, False


class SystemHost:
    """Serializes calls to one System and keeps each connection's parser state apart."""

    def __init__(self, system: BaseSystem, request_stop: Callable[[], None]) -> None:
        self.system = system
        self.request_stop = request_stop
        #: The listening connections of every System sharing this one's lock.
        self.group: OrderingGroup = group_for(system.lock)
        names = system.parser_state if isinstance(system, ListeningSystem) else ()
        self._state_names: tuple[str, ...] = names
        self._initial = {name: copy.deepcopy(getattr(system, name)) for name in names}
        self._saved: dict[object, dict[str, Any]] = {}
        self._owner: object = None

    def begin(self, owner: object, segments: Iterable[bytes | Command]) -> Work:
        """The work of one read from ``owner``; run it with :meth:`Work.step`."""
        return Work(self, owner, segments)

    def start(
        self, owner: object, segments: list[bytes | Command]
    ) -> tuple[list[bytes], bool, Work | None]:
        """Run the first slice of one read (lock held); return replies, stop, and what is left.

        The common case, a small read of protocol data, runs without building a
        :class:`Work`.
        """
        system = self.system
        if len(segments) == 1 and isinstance(system, ListeningSystem):
            data = segments[0]
            if type(data) is bytes and len(data) <= SLICE:
                if self._owner is not owner:
                    self.switch_to(owner)
                return system.parse_chunk(data), False, None
        work = Work(self, owner, segments)
        replies, stop = work.step()
        return replies, stop, None if work.done else work

    def process(
        self, owner: object, segments: Iterable[bytes | Command]
    ) -> tuple[list[bytes], bool]:
        """Parse data and run commands from ``owner``; return the replies and whether to stop."""
        work = self.begin(owner, segments)
        replies: list[bytes] = []
        stop = False
        while not (work.done or stop):
            more, stop = work.step()
            replies.extend(more)
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

    def switch_to(self, owner: object) -> None:
        """Swap ``owner``'s parser state in (lock held)."""
        if self._owner is owner:
            return
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
