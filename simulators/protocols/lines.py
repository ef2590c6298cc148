"""One bounded line framer for every newline-terminated protocol, sans-IO.

Bytes in, complete lines out. A line ends at ``\\n``, which is not part of it;
a ``\\r`` before it is kept, for the protocol to strip (SCPI and the dut both
accept ``\\r\\n``). Bytes after the last newline wait for the next
:meth:`LineFramer.feed`.

The bound: a line longer than ``max_line`` bytes is never returned. It is
reported once, as :data:`TOO_LONG` at its place among the lines, and its
bytes up to the next newline are dropped. An unfinished line is reported as
soon as it outgrows the bound (at the end of that feed's lines), so a client
that never sends a newline costs at most ``max_line`` bytes of memory.

>>> from simulators.protocols.lines import LineFramer
>>> framer = LineFramer(max_line=8)
>>> framer.feed(b"*IDN?\\r\\nVOLT")
[b'*IDN?\\r']
>>> framer.feed(b"?\\n" + b"X" * 9 + b"\\nOK\\n")
[b'VOLT?', <Overflow.TOO_LONG: 'line too long'>, b'OK']
>>> framer.feed(b"Y" * 9), framer.feed(b"YYY\\nOK\\n")  # reported once, dropped to its newline
([<Overflow.TOO_LONG: 'line too long'>], [b'OK'])
"""

from __future__ import annotations

import enum
from typing import cast

__all__ = ["TOO_LONG", "LineFramer", "Overflow"]


class Overflow(enum.Enum):
    """Stands for a line that outgrew the bound, where that line would have been."""

    TOO_LONG = "line too long"


#: A line longer than the framer's ``max_line``: dropped, reported once.
TOO_LONG = Overflow.TOO_LONG


class LineFramer:
    """Splits one byte stream into lines of at most ``max_line`` bytes (see the module docstring).

    One framer per conversation: it holds the unfinished line.
    """

    __slots__ = ("_discarding", "_rest", "max_line")

    def __init__(self, max_line: int) -> None:
        if max_line < 1:
            raise ValueError("max_line must be at least one byte")
        self.max_line = max_line
        self._rest = b""  # the unfinished line
        self._discarding = False  # inside a line already reported too long

    @property
    def buffered(self) -> int:
        """Bytes of an unfinished line waiting for their newline."""
        return len(self._rest)

    def clear(self) -> None:
        """Forget the unfinished line (a device clear, a connection that ends)."""
        self._rest = b""
        self._discarding = False

    def feed(self, data: bytes) -> list[bytes | Overflow]:
        """Take received bytes; return the lines they complete, in order, and any overflow."""
        if self._rest:
            data = self._rest + data
        lines = data.split(b"\n")
        rest = lines.pop()
        if self._discarding or len(data) > self.max_line:
            return self._bounded(lines, rest)
        self._rest = rest  # the common case: nothing can be too long
        return cast("list[bytes | Overflow]", lines)

    def _bounded(self, lines: list[bytes], rest: bytes) -> list[bytes | Overflow]:
        out: list[bytes | Overflow] = []
        limit = self.max_line
        for line in lines:
            if self._discarding:
                self._discarding = False  # the end of a line already reported
            elif len(line) > limit:
                out.append(TOO_LONG)
            else:
                out.append(line)
        if self._discarding:
            rest = b""
        elif len(rest) > limit:
            out.append(TOO_LONG)
            self._discarding = True
            rest = b""
        self._rest = rest
        return out
