"""Per-connection sessions: what one client connection talks to, with its own parser state.

A :class:`~simulators.common.ListeningSystem` hands every connection its own
:class:`Session` from ``open_session()``; the server feeds that session what
the connection sends and sends back what :meth:`Session.feed` returns. State
of one conversation (a partial line, a framer's buffer) lives in the session,
so a partial message from one client is never completed by another; state of
the instrument lives in the System. The server holds the System's lock around
``open_session()``, every ``feed`` and ``close``.

:class:`ByteSession` is the adapter behind the byte-wise contract,
``parse(byte)``: it feeds ``parse`` one byte at a time. It also runs DISCOS
simulator modules unchanged (``parse`` taking a one-character ``str`` and
answering ``True``/``False``/a ``str``), see :func:`takes_text`.
"""

from __future__ import annotations

import copy
import inspect
import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulators.common import ListeningSystem

__all__ = ["ByteSession", "Session", "takes_text"]

logger = logging.getLogger(__name__)


class Session(ABC):
    """One connection's conversation with a listening System.

    >>> from simulators.session import Session
    >>> class Echo(Session):
    ...     def feed(self, data: bytes) -> list[bytes]:
    ...         return [data.upper()]
    >>> Echo().feed(b"ping")
    [b'PING']
    """

    @abstractmethod
    def feed(self, data: bytes) -> list[bytes]:
        """Consume what the client sent; return the replies, in order.

        ``data`` is any part of the stream: a slice may end mid-message. A
        reply may be a :class:`~simulators.common.Reply` (delayed, or closing
        the connection). Raise nothing for bad input: log it through the
        System's ``bad_input_log`` and go on.
        """

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """The connection ended: release what the session holds."""


def takes_text(parse: Callable[..., Any]) -> bool:
    """Whether a byte-wise ``parse`` is a DISCOS module's: it takes a one-character ``str``.

    The rule: ``parse(self, byte: bytes)`` (annotated ``bytes``) is this
    framework's byte-wise contract and gets ``bytes``; a ``parse`` whose
    argument carries no annotation, or ``str``, is a DISCOS module's and gets
    each byte as a one-character ``str`` (latin-1). A System that lists
    ``parser_state`` or has its own ``parse_chunk`` is this framework's, and
    one may decide with the class attribute ``discos_style = True`` or
    ``False`` (:meth:`~simulators.common.ListeningSystem.speaks_discos`).

    >>> from simulators.session import takes_text
    >>> def discos(self, byte): ...
    >>> def ours(self, byte: bytes) -> bool | bytes: ...
    >>> takes_text(discos), takes_text(ours)
    (True, False)
    """
    try:
        parameters = list(inspect.signature(parse).parameters.values())
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False
    if len(parameters) < 2:  # self and the byte
        return False
    annotation = parameters[1].annotation
    return annotation is inspect.Parameter.empty or annotation in (str, "str")


class ByteSession(Session):
    """The byte-wise contract as a session: ``parse`` gets one byte at a time.

    ``parse`` returns ``False`` (rejected while waiting for a message),
    ``True`` (accepted, nothing to send yet) or the reply: ``bytes``, or a
    ``str`` sent as latin-1. A :class:`ValueError` is a bad message, logged
    (rate-limited). ``text``: feed one-character ``str`` instead of ``bytes``
    and log, rather than raise, any other exception, as DISCOS did.

    ``chunk``: a System's own ``parse_chunk``, called with the whole slice
    instead (the older fast path). ``state``: names of the System's attributes
    that hold a partial message (the older ``parser_state``); this session
    keeps its own copy and puts it in place around each feed.
    """

    def __init__(
        self,
        system: ListeningSystem,
        *,
        text: bool = False,
        chunk: Callable[[bytes], list[bytes]] | None = None,
        state: tuple[str, ...] = (),
    ) -> None:
        self.system = system
        self.text = text
        self._chunk = chunk
        self._names = state
        self._state: dict[str, Any] | None = None
        if state:
            self._state = copy.deepcopy(_initial(system, state))

    def feed(self, data: bytes) -> list[bytes]:
        """Parse ``data`` byte by byte (or hand it to ``chunk``); return the replies."""
        state = self._state
        if state is None:
            return self._parse(data)
        system = self.system
        for name, value in state.items():
            setattr(system, name, value)
        try:
            return self._parse(data)
        finally:
            for name in self._names:
                state[name] = getattr(system, name)

    def _parse(self, data: bytes) -> list[bytes]:
        if self._chunk is not None:
            return self._chunk(data)
        system = self.system
        name = type(system).__name__
        parse: Callable[[Any], Any] = system.parse
        text = self.text
        replies: list[bytes] = []
        for index in range(len(data)):
            try:
                reply = parse(chr(data[index]) if text else data[index : index + 1])
            except ValueError as error:
                system.bad_input_log.log(
                    logger, logging.WARNING, "%s: bad message: %s", name, error
                )
                continue
            except Exception as error:
                if not text:
                    raise
                system.bad_input_log.log(
                    logger, logging.ERROR, "%s: parse failed: %s", name, error, exc_info=True
                )
                continue
            if reply is True or reply is False:
                continue
            if isinstance(reply, bytes):
                replies.append(reply)
            elif isinstance(reply, str):
                if reply:
                    replies.append(reply.encode("latin-1", errors="replace"))
            else:
                system.bad_input_log.log(
                    logger, logging.WARNING, "%s: unexpected response: %r", name, reply
                )
        return replies


def _initial(system: object, names: tuple[str, ...]) -> dict[str, Any]:
    """The values of ``names`` when the System's first session opened: its idle parser."""
    initial: dict[str, Any] | None = getattr(system, "_idle_parser_state", None)
    if initial is None:
        initial = {name: copy.deepcopy(getattr(system, name)) for name in names}
        setattr(system, "_idle_parser_state", initial)  # noqa: B010 - not a declared attribute
    return initial
