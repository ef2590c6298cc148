"""The plugin contract: the System classes a simulator module builds on.

A simulator module declares ``servers`` (where to listen and send) and a
``System`` class. A :class:`ListeningSystem` hands each client connection its
own :class:`~simulators.session.Session` (:meth:`~ListeningSystem.open_session`);
the server feeds it the bytes that connection sends and sends back what it
returns. A System may instead write the byte-wise ``parse(byte)`` of older
and DISCOS simulators: an adapter session feeds it. A :class:`SendingSystem`
fills the queues of its subscribers every ``sampling_time``. Any method named
``system_<name>`` is a custom command, reachable from any client as
``$system_<name>:arg1,arg2%``.
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
from simulators.session import ByteSession, Session, takes_text

__all__ = [
    "SHUTDOWN_REPLY",
    "BaseSystem",
    "ListeningSystem",
    "MultiTypeSystem",
    "Publisher",
    "Reply",
    "SendingSystem",
    "ServerSpec",
    "Session",
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
    """A System that answers what clients send: write :meth:`open_session` or :meth:`parse`.

    :meth:`open_session` returns a new :class:`~simulators.session.Session`
    for each connection: its ``feed(data)`` gets what that client sends and
    returns the replies (a :class:`Reply` to delay one or to close the
    connection). Everything a partial message needs lives in the session.

    Or, the byte-wise contract: :meth:`parse` gets one byte at a time and
    returns ``False`` (rejected while waiting for a message), ``True``
    (accepted, nothing to send yet) or the reply; a :class:`ValueError` marks
    a bad message, logged through ``bad_input_log``. The default
    :meth:`open_session` feeds it (:class:`~simulators.session.ByteSession`),
    with DISCOS modules' ``str`` bytes when ``parse`` is theirs
    (:attr:`discos_style`).
    """

    #: ``True``: ``parse`` takes one-character ``str`` and may answer ``str`` (DISCOS
    #: modules); ``False``: ``bytes``; None: decided from ``parse``'s annotation.
    discos_style: ClassVar[bool | None] = None
    #: Byte-wise Systems only: attributes that hold a partly received message,
    #: kept per connection by the adapter session. New Systems use a session.
    parser_state: ClassVar[tuple[str, ...]] = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> ListeningSystem:
        if cls.open_session is ListeningSystem.open_session and cls.parse is ListeningSystem.parse:
            raise TypeError(
                f"Can't instantiate {cls.__name__}: a ListeningSystem defines open_session() "
                "or parse(byte)"
            )
        instance = super().__new__(cls, *args, **kwargs)
        assert isinstance(instance, ListeningSystem)
        return instance

    def open_session(self) -> Session:
        """A new session for one client connection (the server holds the lock meanwhile).

        The default adapts :meth:`parse` (see :class:`~simulators.session.ByteSession`).
        """
        cls = type(self)
        chunk = self.parse_chunk if cls.parse_chunk is not ListeningSystem.parse_chunk else None
        return ByteSession(self, text=self.speaks_discos(), chunk=chunk, state=cls.parser_state)

    def parse(self, byte: bytes) -> bool | bytes:
        """Consume one byte; return False, True or the reply bytes (see the class docstring).

        A System with sessions need not write it: this one feeds the byte
        through :meth:`parse_chunk` and returns the first reply, or True.
        """
        replies = self.parse_chunk(byte)
        return replies[0] if replies else True

    def speaks_discos(self) -> bool:
        """Whether this System is a DISCOS module's: byte-wise, with ``str`` bytes and replies."""
        cls = type(self)
        if cls.open_session is not ListeningSystem.open_session:
            return False
        if cls.discos_style is not None:
            return cls.discos_style
        if cls.parser_state or cls.parse_chunk is not ListeningSystem.parse_chunk:
            return False  # this framework's own byte-wise features
        return takes_text(cls.parse)

    def parse_chunk(self, data: bytes) -> list[bytes]:
        """Feed ``data`` as one client would, through the System's own session; return the replies.

        For driving a System without a server (tests, doctests): every call
        continues the same conversation.
        """
        session: Session | None = getattr(self, "_own_session", None)
        if session is None:
            if type(self).open_session is ListeningSystem.open_session:
                session = ByteSession(self, text=self.speaks_discos())
            else:
                session = self.open_session()
            self._own_session = session
        return session.feed(data)


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
