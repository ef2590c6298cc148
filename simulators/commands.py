"""Custom commands: ``$system_<name>%`` or ``$system_<name>:a,b%`` on any connection.

The rule, for every simulator and every transport:

* Only bytes that form ``$system_<name>[:args]%`` are a custom command. Anything
  else — a lone ``$``, ``$__init__%``, a binary frame that contains 0x24 — is
  protocol data and goes to the System's ``parse()`` at once, never delayed.
* The eight bytes ``$system_`` must arrive in one read (one ``send()`` from the
  client, one datagram). Once they have, the command's remaining bytes may come
  later, up to :data:`MAX_COMMAND` bytes in all — as long as what has arrived
  can still be a command (a name, then ``:`` and printable arguments); a
  control or binary byte makes it protocol data at once.
* ``<name>`` is letters, digits and ``_``; it calls the method ``system_<name>``,
  so no other method is reachable. Arguments are split on ``,`` after the first
  ``:`` — an argument may contain ``:`` or be empty — and passed as strings.
* The reply is the method's text followed by one newline; an unknown command,
  a wrong number of arguments or an exception inside the method answers one line
  starting with ``error:``.

>>> splitter = CommandSplitter()
>>> splitter.feed(b"*IDN?\\n$system_fault:delay,200%ON\\n")
[b'*IDN?\\n', CustomCommand(name='fault', args=('delay', '200')), b'ON\\n']
>>> splitter.feed(b"$__init__%")
[b'$__init__%']
"""

from __future__ import annotations

import inspect
import logging
import re
from dataclasses import dataclass
from typing import Any

from simulators.ratelimit import RateLimitedLog

__all__ = [
    "MAX_COMMAND",
    "PREFIX",
    "CommandSplitter",
    "CustomCommand",
    "check_argument",
    "dispatch",
    "encode",
]

logger = logging.getLogger(__name__)

PREFIX = b"$system_"
TERMINATOR = b"%"
#: The longest custom command, prefix and terminator included; longer is protocol data.
MAX_COMMAND = 4096

_NAME = re.compile(rb"[A-Za-z0-9_]+")
#: What may follow ``$system_`` while a command is still arriving: a name, then
#: optionally ``:`` and printable arguments. Anything else is protocol data at once.
_UNFINISHED = re.compile(rb"[A-Za-z0-9_]*(?::[^\x00-\x1f\x7f%]*)?")


@dataclass(frozen=True)
class CustomCommand:
    """A parsed custom command: the method is ``system_<name>``."""

    name: str
    args: tuple[str, ...] = ()


def check_argument(text: str) -> None:
    """Raise ValueError if ``text`` cannot travel as a custom-command argument.

    ``%`` would end the command early, ``$`` could start another one, and a
    control character (a newline, say) would cut it into protocol data. A ``,``
    is allowed: it separates arguments, so ``a,b`` arrives as two.

    >>> check_argument("dc_voltage")
    >>> check_argument("4000%$system_stop")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    ValueError: custom-command argument '4000%$system_stop' contains '%'; '%', '$' and ...
    """
    for char in text:
        if char in "%$" or char < " " or char == "\x7f":
            shown = text if len(text) <= 60 else text[:57] + "..."
            raise ValueError(
                f"custom-command argument {shown!r} contains {char!r}; "
                "'%', '$' and control characters are not allowed in an argument"
            )


def encode(name: str, *args: object) -> bytes:
    """Return the wire form of a custom command; ValueError if it cannot be sent as one.

    >>> encode("fault", "delay", 200)
    b'$system_fault:delay,200%'
    >>> encode("stop")
    b'$system_stop%'
    >>> encode("fault", "delay", "6" + chr(10))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
      ...
    ValueError: custom-command argument '6\\n' contains '\\n'; ...
    """
    if not _NAME.fullmatch(name.encode(errors="replace")):
        raise ValueError(f"custom-command name {name!r} must be letters, digits and '_'")
    text = f"$system_{name}"
    if args:
        words = [str(arg) for arg in args]
        for word in words:
            check_argument(word)
        text += ":" + ",".join(words)
    data = (text + "%").encode()
    if len(data) > MAX_COMMAND:
        raise ValueError(
            f"custom command {name!r} is {len(data)} bytes long; the limit is {MAX_COMMAND}"
        )
    return data


def _decode(body: bytes) -> CustomCommand | None:
    """Parse what stands between ``$system_`` and ``%``; None if it is not a command."""
    name, colon, rest = body.partition(b":")
    if not _NAME.fullmatch(name):
        return None
    try:
        args = tuple(rest.decode().split(",")) if colon else ()
    except UnicodeDecodeError:
        return None
    return CustomCommand(name.decode(), args)


class CommandSplitter:
    """Splits one connection's byte stream into protocol data and custom commands.

    Sans-IO: :meth:`feed` takes the bytes of one read and returns, in order,
    ``bytes`` segments for ``parse()`` and :class:`CustomCommand` objects.
    """

    def __init__(self) -> None:
        self._pending = b""  # a command whose prefix arrived but not its terminator

    def feed(self, data: bytes) -> list[bytes | CustomCommand]:
        """Return the protocol data and commands in ``data``, in arrival order."""
        if self._pending:
            data = self._pending + data
            self._pending = b""
        elif PREFIX[:1] not in data:  # the hot path: no '$' at all
            return [data] if data else []
        out: list[bytes | CustomCommand] = []
        start = 0  # first byte not yet emitted
        search = 0
        while True:
            dollar = data.find(PREFIX, search)
            if dollar < 0:
                break
            end = data.find(TERMINATOR, dollar + len(PREFIX), dollar + MAX_COMMAND)
            if end < 0:
                start_of_body = dollar + len(PREFIX)
                unfinished = _UNFINISHED.fullmatch(data, start_of_body) is not None
                if unfinished and len(data) - dollar < MAX_COMMAND:
                    # Wait for the rest of a command whose prefix is here.
                    _append(out, data[start:dollar])
                    self._pending = data[dollar:]
                    return out
                search = dollar + 1  # too long to be a command: protocol data
                continue
            command = _decode(data[dollar + len(PREFIX) : end])
            if command is None:
                search = dollar + 1
                continue
            _append(out, data[start:dollar])
            out.append(command)
            start = search = end + 1
        _append(out, data[start:])
        return out

    def flush(self) -> bytes:
        """Return and forget the bytes waiting for a command's end: they are protocol data."""
        pending, self._pending = self._pending, b""
        return pending


def _append(out: list[bytes | CustomCommand], data: bytes) -> None:
    if data:
        out.append(data)


def dispatch(system: object, command: CustomCommand) -> str:
    """Call ``system.system_<name>(*args)`` and return the reply text (no newline).

    Never raises: an unknown command, a wrong arity or an error inside the
    method becomes a one-line ``error: ...`` reply.
    """
    method = getattr(system, f"system_{command.name}", None)
    if not callable(method):
        return f"error: unknown command {command.name!r}; try $system_help%"
    try:
        inspect.signature(method).bind(*command.args)
    except TypeError:
        return f"error: wrong number of arguments; usage: {usage(command.name, method)}"
    except ValueError:  # pragma: no cover - builtins without a signature
        pass
    try:
        result: Any = method(*command.args)
    except Exception as error:
        limiter = getattr(system, "bad_input_log", None)
        if isinstance(limiter, RateLimitedLog):
            limiter.log(logger, logging.INFO, "custom command %s failed: %s", command.name, error)
        else:
            logger.info("custom command %s failed: %s", command.name, error)
        return "error: " + _one_line(f"{command.name}: {error or type(error).__name__}")
    if result is None:
        return "ok"
    if isinstance(result, bytes):
        return result.decode(errors="replace").rstrip("\n")
    return str(result).rstrip("\n")


def usage(name: str, method: Any) -> str:
    """Return ``$system_name:<a>,<b>%`` for a command method."""
    try:
        parameters = list(inspect.signature(method).parameters.values())
    except ValueError:  # pragma: no cover - builtins without a signature
        return f"$system_{name}%"
    names = []
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            names.append(f"<{parameter.name}>...")
        elif parameter.default is parameter.empty:
            names.append(f"<{parameter.name}>")
        else:
            names.append(f"[<{parameter.name}>]")
    return f"$system_{name}" + (":" + ",".join(names) if names else "") + "%"


def describe(system: object) -> str:
    """Return one usage line per custom command of ``system``."""
    lines = []
    for attribute in sorted(dir(system)):
        if attribute.startswith("system_"):
            method = getattr(system, attribute)
            if callable(method):
                name = attribute[len("system_") :]
                doc = (inspect.getdoc(method) or "").split("\n", 1)[0]
                lines.append(f"{usage(name, method)}  {doc}".rstrip())
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())
