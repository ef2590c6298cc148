"""SCPI errors: the exception handlers raise, the standard messages, the error queue.

SCPI-99 numbers errors by who is at fault: ``-1xx`` command errors (the
controller sent something unparseable), ``-2xx`` execution errors (well formed,
but the instrument cannot do it now), ``-3xx`` device-specific errors, ``-4xx``
query errors, and positive codes for the instrument's own errors. The queue is
what ``SYSTem:ERRor?`` reads, oldest first.

>>> queue = ErrorQueue(capacity=2)
>>> queue.push(ScpiError(-113))
>>> queue.push(ScpiError(-222, detail="max 30 V"))
>>> queue.push(ScpiError(-102))
>>> [entry.text for entry in queue]
['-113,"Undefined header"', '-350,"Queue overflow"']
>>> queue.pop().text, queue.pop().text, queue.pop().text
('-113,"Undefined header"', '-350,"Queue overflow"', '0,"No error"')
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

STANDARD_MESSAGES: dict[int, str] = {
    0: "No error",
    # Command errors: the program message broke the syntax rules.
    -100: "Command error",
    -101: "Invalid character",
    -102: "Syntax error",
    -103: "Invalid separator",
    -104: "Data type error",
    -105: "GET not allowed",
    -108: "Parameter not allowed",
    -109: "Missing parameter",
    -110: "Command header error",
    -111: "Header separator error",
    -112: "Program mnemonic too long",
    -113: "Undefined header",
    -114: "Header suffix out of range",
    -115: "Unexpected number of parameters",
    -120: "Numeric data error",
    -121: "Invalid character in number",
    -123: "Exponent too large",
    -124: "Too many digits",
    -128: "Numeric data not allowed",
    -130: "Suffix error",
    -131: "Invalid suffix",
    -134: "Suffix too long",
    -138: "Suffix not allowed",
    -140: "Character data error",
    -141: "Invalid character data",
    -144: "Character data too long",
    -148: "Character data not allowed",
    -150: "String data error",
    -151: "Invalid string data",
    -158: "String data not allowed",
    -160: "Block data error",
    -161: "Invalid block data",
    -168: "Block data not allowed",
    -170: "Expression error",
    -171: "Invalid expression",
    -178: "Expression data not allowed",
    # Execution errors: understood, but not possible now.
    -200: "Execution error",
    -203: "Command protected",
    -210: "Trigger error",
    -211: "Trigger ignored",
    -213: "Init ignored",
    -214: "Trigger deadlock",
    -220: "Parameter error",
    -221: "Settings conflict",
    -222: "Data out of range",
    -223: "Too much data",
    -224: "Illegal parameter value",
    -225: "Out of memory",
    -230: "Data corrupt or stale",
    -240: "Hardware error",
    -241: "Hardware missing",
    # Device-specific errors.
    -300: "Device-specific error",
    -310: "System error",
    -311: "Memory error",
    -313: "Calibration memory lost",
    -315: "Configuration memory lost",
    -321: "Out of memory",
    -330: "Self-test failed",
    -340: "Calibration failed",
    -350: "Queue overflow",
    -360: "Communication error",
    -363: "Input buffer overrun",
    -365: "Time out error",
    # Query errors.
    -400: "Query error",
    -410: "Query INTERRUPTED",
    -420: "Query UNTERMINATED",
    -430: "Query DEADLOCKED",
    -440: "Query UNTERMINATED after indefinite response",
    # Events that set the other ESR bits.
    -500: "Power on",
    -600: "User request",
    -700: "Request control",
    -800: "Operation complete",
}

QUEUE_OVERFLOW = -350


def _generic_message(code: int) -> str:
    """Return the standard text for ``code``, else its class's generic text."""
    if code in STANDARD_MESSAGES:
        return STANDARD_MESSAGES[code]
    if code <= -100:
        return STANDARD_MESSAGES.get(-(-code // 100 * 100), "Error")
    return "Device-specific error" if code > 0 else "Error"


class ScpiError(Exception):
    """An error to queue: raise it from a handler, or pass it to ``push_error``.

    ``message`` defaults to the standard text for ``code``; ``detail`` is
    appended after a ``;`` as SCPI-99 allows for device-dependent information.

    >>> ScpiError(-222, detail="max 30 V").text
    '-222,"Data out of range;max 30 V"'
    >>> ScpiError(101, "Overtemperature").text
    '101,"Overtemperature"'
    """

    def __init__(self, code: int, message: str | None = None, detail: str | None = None) -> None:
        if code == 0:
            raise ValueError("error code 0 means 'no error' and cannot be queued")
        text = _generic_message(code) if message is None else message
        if detail:
            text = f"{text};{detail}"
        super().__init__(code, text)
        self.code = code
        self.message = text

    @property
    def entry(self) -> ErrorEntry:
        """The queue entry for this error (holds no traceback)."""
        return ErrorEntry(self.code, self.message)

    @property
    def text(self) -> str:
        """The error as ``SYSTem:ERRor?`` answers it."""
        return self.entry.text

    @property
    def is_command_error(self) -> bool:
        """True for ``-1xx``: the rest of the program message is not executed."""
        return -199 <= self.code <= -100


@dataclass(frozen=True)
class ErrorEntry:
    """One queued error: a code and its message."""

    code: int
    message: str

    @property
    def text(self) -> str:
        """``<code>,"<message>"`` with embedded quotes doubled, as SCPI strings do."""
        escaped = self.message.replace('"', '""')
        return f'{self.code},"{escaped}"'


NO_ERROR = ErrorEntry(0, STANDARD_MESSAGES[0])


class ErrorQueue:
    """A bounded first-in first-out error queue.

    When full, the newest entry is replaced by ``-350,"Queue overflow"`` and
    further errors are dropped until an entry is read, as SCPI-99 requires.
    """

    def __init__(self, capacity: int = 20) -> None:
        if capacity < 1:
            raise ValueError("an error queue needs room for at least one entry")
        self.capacity = capacity
        self._entries: deque[ErrorEntry] = deque()

    def push(self, error: ScpiError) -> None:
        """Queue ``error``, or record the overflow if there is no room."""
        if len(self._entries) < self.capacity:
            self._entries.append(error.entry)
        elif self._entries[-1].code != QUEUE_OVERFLOW:
            self._entries[-1] = ErrorEntry(QUEUE_OVERFLOW, STANDARD_MESSAGES[QUEUE_OVERFLOW])

    def pop(self) -> ErrorEntry:
        """Remove and return the oldest entry, or ``0,"No error"`` when empty."""
        return self._entries.popleft() if self._entries else NO_ERROR

    def clear(self) -> None:
        """Drop every entry (``*CLS``)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[ErrorEntry]:
        return iter(tuple(self._entries))
