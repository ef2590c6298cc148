"""One SCPI instrument of the bench on the wire: lines in, the engine, replies out, faults applied.

Each connection has its own :class:`ScpiSession`, holding its partial line;
every complete line is one program message for the instrument's
:class:`ScpiEngine` (one per instrument: its error queue and status are the
instrument's), run while the shared bench is held and advanced to the present. Response faults count
the messages that produce a reply (queries): a set command is never delayed,
corrupted or dropped, since it has nothing to send.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ClassVar

from simulators.clock import Clock
from simulators.common import ListeningSystem, Reply, Session
from simulators.devicekit import FaultCommands, GarbageLines, Values, respond
from simulators.devices.dvt_bench.bench import Bench
from simulators.protocols.lines import TOO_LONG, LineFramer
from simulators.protocols.scpi import Choice, Numeric, ScpiEngine, ScpiError

__all__ = ["MAX_LINE", "VERSION", "LimitChoice", "ScpiInstrument", "ScpiSession"]

#: Longest program message, in bytes; a longer one is dropped with -223 "Too much data".
MAX_LINE = 64 * 1024
#: Firmware version in every ``*IDN?`` answer.
VERSION = "1.0"
#: SCPI error codes are 16-bit signed numbers.
ERROR_CODES = (-32768, 32767)
#: Seed of the garbage bytes, so a faulty session replays the same bytes.
GARBAGE_SEED = 488


def LimitChoice() -> Choice:  # noqa: N802 - reads as a declaration, like Numeric()
    """The optional ``MIN|MAX|DEF`` of a setting's query (``VOLT? MAX``)."""
    return Choice("MINimum", "MAXimum", "DEFault", optional=True)


def limit(numeric: Numeric, which: str | None, present: float) -> float:
    """Answer a setting query: ``present``, or the declared limit ``which`` names."""
    if which is None:
        return present
    value = {"MIN": numeric.min, "MAX": numeric.max, "DEF": numeric.default}[which]
    if value is None:  # pragma: no cover - every setting here declares all three
        raise ScpiError(-224)
    return float(value)


#: The help lines of the device kit's fault commands, in a bench instrument's words.
DOCS = {
    "clear_faults": "Remove every fault (what drift added goes too; set values stay).",
    "reset": "Power-cycle: defaults, faults and set values cleared, error queue empty.",
}


class ScpiInstrument(ListeningSystem, FaultCommands, target="reading", docs=DOCS):
    """Base of the three bench instruments: SCPI framing, faults and custom commands.

    Its readings are the device kit's :class:`~simulators.devicekit.Values`
    (``values``), and so are the fault commands.

    ``bench`` is the shared :class:`Bench` (a private one if not given);
    ``clock`` makes the bench follow that clock.
    """

    #: Second field of ``*IDN?``: what the instrument is.
    kind: ClassVar[str] = ""
    #: Third field of ``*IDN?``.
    serial: ClassVar[str] = ""

    def __init__(self, bench: Bench | None = None, clock: Clock | None = None) -> None:
        self.bench = bench if bench is not None else Bench()
        # One lock for the bench's instruments: one ordering group, so a query on any
        # of them sees every command sent to any of them before it.
        self.lock = self.bench.lock
        if clock is not None:
            self.bench.use_clock(clock)
        self.values = Values(self.sources())
        self._garbage = GarbageLines(GARBAGE_SEED)
        self.engine = self._new_engine()

    @property
    def clock(self) -> Clock:
        """The clock the shared bench follows."""
        return self.bench.clock

    @property
    def idn(self) -> str:
        """The ``*IDN?`` answer: ``SIMULATORS,<kind>,<serial>,<version>``."""
        return f"SIMULATORS,{self.kind},{self.serial},{VERSION}"

    def _new_engine(self) -> ScpiEngine:
        engine = ScpiEngine(idn=self.idn, reset=self.rst, max_line=MAX_LINE)
        self.register(engine)
        return engine

    # -- what each instrument defines ----------------------------------------

    @abstractmethod
    def sources(self) -> dict[str, Callable[[], float]]:
        """The readings by name, each with the callable that gives its live value."""

    @abstractmethod
    def register(self, engine: ScpiEngine) -> None:
        """Register the instrument's commands and queries on ``engine``."""

    @abstractmethod
    def rst(self) -> None:
        """``*RST``: the instrument's settings back to their defaults."""

    def reset_bench(self) -> None:
        """The part of the shared bench this instrument owns, back to power-up (none here)."""

    # -- bytes in, replies out -------------------------------------------------

    def open_session(self) -> ScpiSession:
        """A connection's session: its own partial program message."""
        return ScpiSession(self)

    def answer(self, line: bytes) -> bytes | None:
        """The reply to one program message (None if it asked nothing), faults applied."""
        with self.bench.current():
            answer = self.engine.execute(line)
        if answer is None:
            return None
        return respond(self.values.responses, answer, self._garbage)

    # -- custom commands (the fault commands are the device kit's) --------------

    @contextmanager
    def hold(self) -> Iterator[object]:
        """Hold the shared bench, advanced to the present, while a command runs."""
        with self.bench.current() as model:
            yield model

    def power_on(self) -> None:
        """Defaults, faults and set values cleared, a new error queue; the owned bench part too."""
        self.values.reset()
        self.rst()
        self.reset_bench()
        self.engine = self._new_engine()
        self._garbage = GarbageLines(GARBAGE_SEED)

    def system_push_error(self, code: str, *message: str) -> str:
        """Queue an error for SYST:ERR?: <code>[,<message>] (standard text if no message)."""
        try:
            number = int(code)
        except ValueError:
            raise ValueError(f"code must be an integer, got {code!r}") from None
        low, high = ERROR_CODES
        if not low <= number <= high:
            raise ValueError(f"code must be between {low} and {high}, got {number}")
        text = ",".join(message)
        if not (text.isascii() and text.isprintable()):
            raise ValueError("message must be printable ASCII")
        self.engine.push_error(number, text or None)
        return "ok"

    def system_readings(self) -> str:
        """List every reading with the value a query would report now."""
        with self.bench.current():
            return self.values.describe()


class ScpiSession(Session):
    """One connection to a bench instrument: program messages in, reply lines out.

    A message over :data:`MAX_LINE` bytes is not run: it queues -223 "Too much
    data" on the instrument. A dropped reply (a ``drop`` fault) ends the
    connection: what the client sent after it is never read.
    """

    def __init__(self, instrument: ScpiInstrument) -> None:
        self.instrument = instrument
        self.framer = LineFramer(MAX_LINE)

    def feed(self, data: bytes) -> list[bytes]:
        """Run every program message ``data`` completes; return the replies."""
        instrument = self.instrument
        replies: list[bytes] = []
        for line in self.framer.feed(data):
            if line is TOO_LONG:
                instrument.engine.push_error(-223)
                continue
            reply = instrument.answer(line)
            if reply is not None:
                replies.append(reply)
                if isinstance(reply, Reply) and reply.close:
                    self.framer.clear()
                    break  # the connection ends: what follows is lost
        return replies
