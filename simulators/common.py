"""The plugin contract: the System classes a simulator module builds on.

A simulator module declares ``servers`` (where to listen and send) and a
``System`` class. The server feeds a :class:`ListeningSystem` the bytes it
receives and sends back what :meth:`~ListeningSystem.parse` returns; a
:class:`SendingSystem` fills the queues of its subscribers every
``sampling_time``. Any method named ``system_<name>`` is a custom command,
reachable from any client as ``$system_<name>:arg1,arg2%``.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socketserver
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar

from simulators.clock import Clock, default_clock
from simulators.commands import describe
from simulators.ratelimit import RateLimitedLog

__all__ = [
    "SHUTDOWN_REPLY",
    "BaseSystem",
    "ListeningSystem",
    "MultiTypeSystem",
    "Publisher",
    "Reply",
    "SendingSystem",
    "ServerSpec",
    "Shared",
]

logger = logging.getLogger(__name__)

#: A served address, or ``()`` for none.
ServerAddress = tuple[str, int] | tuple[()]
#: One entry of a module's ``servers``: ``(l_address, s_address, server_type, kwargs)``.
ServerSpec = tuple[ServerAddress, ServerAddress, type[socketserver.BaseServer], dict[str, Any]]

#: What ``system_stop`` answers; the server stops the whole simulator after sending it.
SHUTDOWN_REPLY = "$server_shutdown%"


class Reply(bytes):
    """Reply bytes with instructions for the server, for timing and connection faults.

    ``delay_s``: wait this long before sending (the System's lock is not held
    meanwhile, so other clients are served). ``close``: close the connection
    instead of sending anything. A plain ``bytes`` reply is sent at once.

    >>> reply = Reply(b"late", delay_s=0.2)
    >>> reply, reply.delay_s, reply.close
    (b'late', 0.2, False)
    """

    delay_s: float
    close: bool

    def __new__(cls, data: bytes = b"", *, delay_s: float = 0.0, close: bool = False) -> Reply:
        reply = super().__new__(cls, data)
        reply.delay_s = delay_s
        reply.close = close
        return reply


class Shared:
    """A kwargs value built once per simulator start and given to every entry that names it.

    Entries of ``servers`` are independent units; when several must act on one
    thing (three instruments around one physical model), give each the same
    ``Shared(factory)``: every start builds a fresh object, shared by its entries.

    >>> bench = Shared(dict)
    >>> bench.build() is bench.build()
    False
    """

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.factory = factory

    def build(self) -> Any:
        """A new object from the factory."""
        return self.factory()


class BaseSystem:
    """What every System has: a lock the server holds around every call, and two commands.

    ``lock``: Systems that share one lock (set ``self.lock`` to a common RLock in
    ``__init__``) form an ordering group: a query on any of their listening TCP
    connections sees every command that reached any of them before it.
    ``bad_input_log``: log every rejected message through it, so a flood of bad
    frames writes a few lines, not megabytes. ``idle_timeout``: seconds a
    listening TCP connection may stay silent before the server closes it (None:
    never); a server may override it.
    """

    lock: threading.RLock
    bad_input_log: RateLimitedLog
    idle_timeout: float | None = None

    def __new__(cls, *_args: Any, **_kwargs: Any) -> BaseSystem:
        instance = super().__new__(cls)
        # Set here rather than in __init__ so subclasses need not call super().__init__().
        instance.lock = threading.RLock()
        instance.bad_input_log = RateLimitedLog()
        return instance

    def system_stop(self) -> str:
        """Stop the simulator: the server sends this reply, then shuts every server down."""
        return SHUTDOWN_REPLY

    def system_greet(self) -> bytes | None:
        """Return the bytes sent to a TCP client when it connects, or None to send nothing."""
        return None

    def system_help(self) -> str:
        """List the custom commands this simulator answers."""
        return describe(self)


class ListeningSystem(BaseSystem, ABC):
    """A System that answers what clients send.

    The server feeds the received bytes one at a time, as length-1 ``bytes``, to
    :meth:`parse`, which returns:

    * ``False`` — the byte was rejected while waiting for the start of a message;
    * ``True`` — the byte was accepted (message incomplete, or nothing to answer);
    * ``bytes`` — the reply to send back (a :class:`Reply` to delay it or to
      close the connection instead).

    Raising :class:`ValueError` marks a bad message: the server logs it (through
    ``bad_input_log``, rate-limited) and keeps the connection.
    """

    #: Attributes that hold a partly received message. The server keeps one set
    #: per connection and swaps them in before feeding that connection's bytes,
    #: so a partial message from one client is never completed by another.
    parser_state: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def parse(self, byte: bytes) -> bool | bytes:
        """Consume one byte; return False, True or the reply bytes (see the class docstring)."""

    def parse_chunk(self, data: bytes) -> list[bytes]:
        """Parse a whole chunk and return its replies, in order.

        The server calls this; the default feeds :meth:`parse` byte by byte and
        logs a :class:`ValueError` as a bad message (rate-limited). A System may
        override it with a faster path as long as :meth:`parse` keeps working
        byte by byte.
        """
        replies = []
        parse = self.parse
        for index in range(len(data)):
            try:
                reply = parse(data[index : index + 1])
            except ValueError as error:
                self.bad_input_log.log(
                    logger, logging.WARNING, "%s: bad message: %s", type(self).__name__, error
                )
                continue
            if reply is not True and reply is not False:
                replies.append(reply)
        return replies


class SendingSystem(BaseSystem, ABC):
    """A System that pushes messages to its subscribers every ``sampling_time`` seconds."""

    #: Seconds of simulated time between two messages.
    sampling_time: float = 0.01

    @abstractmethod
    def subscribe(self, q: queue.Queue[bytes]) -> None:
        """Start putting a message in ``q`` every ``sampling_time``."""

    @abstractmethod
    def unsubscribe(self, q: queue.Queue[bytes]) -> None:
        """Stop feeding ``q``."""


class MultiTypeSystem:
    """A System chosen by type name: a module's ``System`` that offers several flavours.

    Subclasses list ``systems = {type_name: SystemClass}`` and name a ``default``;
    ``System(system_type="name", **kwargs)`` builds an instance of the chosen class.
    """

    systems: ClassVar[dict[str, Callable[..., BaseSystem]]] = {}
    default: ClassVar[str] = ""

    def __new__(cls, system_type: str | None = None, **kwargs: Any) -> Any:
        name = system_type or cls.default
        try:
            factory = cls.systems[name]
        except KeyError:
            choices = ", ".join(sorted(cls.systems))
            raise ValueError(f"unknown type {name!r}; choose one of: {choices}") from None
        return factory(**kwargs)


class Publisher:
    """Puts ``sample()`` into every subscriber's queue every ``sampling_time`` simulated seconds.

    A SendingSystem delegates ``subscribe``/``unsubscribe`` to it. The sampling
    thread runs only while there are subscribers; a subscriber that does not keep
    up loses its oldest messages rather than growing its queue.
    """

    def __init__(
        self,
        sample: Callable[[], bytes],
        sampling_time: float,
        lock: threading.RLock,
        clock: Clock | None = None,
    ) -> None:
        if sampling_time <= 0:
            raise ValueError(f"sampling_time must be > 0 s, got {sampling_time}")
        self._sample = sample
        self.sampling_time = sampling_time
        #: The System's lock: samples are taken, and queues changed, while it is held.
        self.lock = lock
        self._clock = clock or default_clock()
        self._queues: list[queue.Queue[bytes]] = []
        self._thread: threading.Thread | None = None
        self._wake = threading.Event()

    @property
    def subscribers(self) -> int:
        """How many queues are being fed."""
        return len(self._queues)

    def subscribe(self, q: queue.Queue[bytes]) -> None:
        """Feed ``q`` from now on; starts the sampling thread on the first subscriber."""
        with self.lock:
            self._queues.append(q)
            self._wake.clear()  # a sampler told to stop by the last subscriber carries on
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="publisher", daemon=True)
                self._thread.start()

    def unsubscribe(self, q: queue.Queue[bytes]) -> None:
        """Stop feeding ``q``; the sampling thread ends with the last subscriber."""
        with self.lock:
            if q in self._queues:
                self._queues.remove(q)
            if not self._queues:
                self._wake.set()

    def _run(self) -> None:
        while True:
            with self.lock:
                if not self._queues:
                    self._thread = None
                    return
                message = self._sample()
                for q in self._queues:
                    _put_dropping_oldest(q, message)
            self._sleep()

    def _sleep(self) -> None:
        # Wait one sampling period of simulated time, waking early when the last subscriber leaves.
        real_seconds = self.sampling_time / self._clock.speed
        self._wake.wait(real_seconds)


def _put_dropping_oldest(q: queue.Queue[bytes], message: bytes) -> None:
    while True:
        try:
            q.put_nowait(message)
            return
        except queue.Full:
            with contextlib.suppress(queue.Empty):  # another thread may have emptied it
                q.get_nowait()
