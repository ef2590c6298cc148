"""The instrument-facing SCPI engine: bytes in, reply lines out.

An instrument registers plain callables under command patterns, then feeds
the engine whatever bytes arrive. Each newline-terminated program message is
executed unit by unit; the answers of its queries are joined with ``;`` into
one reply line. A partial line waits in a bounded
:class:`~simulators.protocols.lines.LineFramer` for the next feed; a server
that keeps one partial line per connection frames the lines itself and hands
each one to :meth:`ScpiEngine.execute`.

>>> from simulators.protocols.scpi import Numeric
>>> engine = ScpiEngine(idn="ACME,PSU-1,0001,1.0")
>>> level = {"volts": 0.0}
>>> engine.command("[SOURce]:VOLTage", lambda v: level.update(volts=v),
...                params=[Numeric(unit="V", min=0, max=30, default=0)])
>>> engine.query("[SOURce]:VOLTage?", lambda: level["volts"])
>>> engine.feed(b"VOLT 1500 mV;VOLT?\\r\\n*IDN")
[b'+1.50000000E+00\\n']
>>> engine.feed(b"?\\n")
[b'ACME,PSU-1,0001,1.0\\n']

Handlers get the numeric suffixes of the header first (one per ``[n]`` node
of the pattern, the default when it was not typed), then the converted
parameters. A query handler returns what to send (see
:func:`~simulators.protocols.scpi.response.format_response`). A handler
raises :class:`ScpiError` to queue an error instead; other exceptions are
the instrument's bugs and propagate out of :meth:`ScpiEngine.feed`.

Error handling follows IEEE 488.2: a command error (-1xx) abandons the rest
of its program message; execution, device and query errors queue the error
and go on with the next unit. Replies already produced are still sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..lines import TOO_LONG, LineFramer
from .common import Handler, Status, standard_commands
from .errors import ErrorQueue, ScpiError
from .params import Parameter
from .parser import split_parameters, split_unit, split_units
from .response import format_response
from .tree import CommandTree, Header, Mnemonic, parse_header

MAX_LINE = 64 * 1024
"""Longest program message kept, in bytes; longer ones are dropped with -223."""


@dataclass(frozen=True)
class ScpiCommand:
    """One registration: the pattern, its handler and its parameter declarations."""

    pattern: str
    handler: Handler
    params: tuple[Parameter, ...]
    query: bool


def _no_reset() -> None:
    """Default ``*RST`` hook: nothing to reset."""


def _self_test_passed() -> int:
    """Default ``*TST?`` hook: 0 means the self-test passed."""
    return 0


class ScpiEngine:
    """A SCPI-99 / IEEE 488.2 command engine for one instrument.

    ``idn`` is the ``*IDN?`` answer (``maker,model,serial,firmware``), ``reset``
    is called by ``*RST``, ``self_test`` answers ``*TST?``. ``max_line`` bounds
    the input buffer and ``queue_size`` the error queue.
    """

    def __init__(
        self,
        *,
        idn: str,
        reset: Callable[[], object] = _no_reset,
        self_test: Callable[[], int] = _self_test_passed,
        max_line: int = MAX_LINE,
        queue_size: int = 20,
    ) -> None:
        self._framer = LineFramer(max_line)  # raises ValueError below one byte
        self.max_line = max_line
        self.status = Status(queue_size)
        self._tree: CommandTree[ScpiCommand] = CommandTree()
        self._responses: list[str] = []
        for pattern, handler, params in standard_commands(
            self.status,
            idn=idn,
            reset=reset,
            self_test=self_test,
            message_available=lambda: bool(self._responses),
        ):
            self._register(pattern, handler, params, query=pattern.endswith("?"))

    # -- registration -----------------------------------------------------

    def command(self, pattern: str, handler: Handler, params: Sequence[Parameter] = ()) -> None:
        """Register the set form ``pattern`` (no ``?``), e.g. ``"OUTPut[1][:STATe]"``."""
        if pattern.rstrip().endswith("?"):
            raise ValueError(f"{pattern!r} is a query; register it with query()")
        self._register(pattern, handler, params, query=False)

    def query(self, pattern: str, handler: Handler, params: Sequence[Parameter] = ()) -> None:
        """Register the query form ``pattern`` (ending in ``?``), e.g. ``"MEASure:VOLTage?"``."""
        if not pattern.rstrip().endswith("?"):
            raise ValueError(f"query pattern {pattern!r} must end with '?'")
        self._register(pattern, handler, params, query=True)

    def _register(
        self, pattern: str, handler: Handler, params: Sequence[Parameter], *, query: bool
    ) -> None:
        declared = tuple(params)
        for index, param in enumerate(declared):
            if not isinstance(param, Parameter):
                raise TypeError(f"parameter {index} of {pattern!r} is not a Parameter: {param!r}")
            if not param.optional and any(p.optional for p in declared[:index]):
                raise ValueError(f"required parameter {index} of {pattern!r} follows an optional")
        self._tree.add(pattern, ScpiCommand(pattern, handler, declared, query))

    # -- errors -----------------------------------------------------------

    @property
    def errors(self) -> ErrorQueue:
        """The error queue ``SYSTem:ERRor?`` reads."""
        return self.status.errors

    def push_error(
        self, code: int, message: str | None = None, *, detail: str | None = None
    ) -> None:
        """Queue an error from outside a handler (instrument events, fault injection)."""
        self.status.record(ScpiError(code, message, detail))

    # -- bytes in, replies out --------------------------------------------

    @property
    def buffered(self) -> int:
        """Bytes of an incomplete program message waiting for its newline."""
        return self._framer.buffered

    def device_clear(self) -> None:
        """Drop any partial input, as an IEEE 488.1 device clear does."""
        self._framer.clear()

    def feed(self, data: bytes) -> list[bytes]:
        """Take received bytes; return the reply lines of the messages they complete.

        A message longer than ``max_line`` is not run: it queues -223 "Too much data".
        """
        replies: list[bytes] = []
        for line in self._framer.feed(data):
            if line is TOO_LONG:
                self.status.record(ScpiError(-223))
            elif (reply := self.execute(line)) is not None:
                replies.append(reply)
        return replies

    def execute(self, line: bytes) -> bytes | None:
        """Run one program message (without its newline); return its reply line, if it asked."""
        try:
            text = line.decode("ascii")
        except UnicodeDecodeError:
            self.status.record(ScpiError(-101))
            return None
        path: tuple[Mnemonic, ...] = ()
        self._responses = []
        try:
            for unit in split_units(text):
                try:
                    header, data = self._parse_unit(unit, path)
                    if not header.common:
                        path = header.mnemonics[:-1]
                    self._run(header, data)
                except ScpiError as error:
                    self.status.record(error)
                    if error.is_command_error:
                        break
        finally:
            responses, self._responses = self._responses, []
        if not responses:
            return None
        return (";".join(responses) + "\n").encode("ascii", "replace")

    @staticmethod
    def _parse_unit(unit: str, path: tuple[Mnemonic, ...]) -> tuple[Header, str]:
        """Split a unit into its header, made absolute against ``path``, and its data."""
        if not unit:
            raise ScpiError(-102)
        header_text, data = split_unit(unit)
        header = parse_header(header_text)
        if not header.common and not header.absolute:
            header = replace(header, mnemonics=path + header.mnemonics)
        return header, data

    def _run(self, header: Header, data: str) -> None:
        """Resolve the header, convert the parameters, call the handler."""
        command, suffixes = self._tree.resolve(header)
        args = self._convert(command.params, split_parameters(data))
        result = command.handler(*suffixes, *args)
        if command.query:
            self._responses.append(format_response(result))

    @staticmethod
    def _convert(params: tuple[Parameter, ...], tokens: list[str]) -> list[object]:
        """Convert the tokens against the declarations: -108 extra, -109 missing."""
        if len(tokens) > len(params):
            raise ScpiError(-108)
        values: list[object] = []
        for index, param in enumerate(params):
            if index < len(tokens) and tokens[index]:
                values.append(param.convert(tokens[index]))
            elif index < len(tokens) or not param.optional:
                raise ScpiError(-109)
            else:
                values.append(None)
        return values
