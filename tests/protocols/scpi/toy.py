"""A toy power supply/meter wired to a ScpiEngine, and helpers to drive it."""

from __future__ import annotations

from dataclasses import dataclass, field

from simulators.protocols.scpi import (
    MAX_LINE,
    Boolean,
    Choice,
    Numeric,
    Raw,
    ScpiEngine,
    ScpiError,
    String,
    quote,
)

IDN = "ACME,TOY-1,0042,1.0"


@dataclass
class Toy:
    """Plain state the handlers write to, so tests can see what was called."""

    volts: float = 0.0
    amps: float = 0.1
    setpoint: float = 25.0
    ohms: float = 0.0
    hertz: float = 0.0
    outputs: dict[int, bool] = field(default_factory=dict)
    function: str = "VOLT"
    text: str = ""
    routed: list[str] = field(default_factory=list)
    resets: int = 0
    beeps: int = 0
    counts: list[int | None] = field(default_factory=list)
    sense: list[tuple[int, int, float]] = field(default_factory=list)

    def reset(self) -> None:
        self.resets += 1
        self.volts = 0.0

    def set_output(self, channel: int, on: bool) -> None:
        self.outputs[channel] = on

    def fail(self) -> None:
        raise ScpiError(-221, detail="output is on")

    def overheat(self) -> None:
        raise ScpiError(101, "Overtemperature")

    def bad_query(self) -> float:
        raise ScpiError(-230)

    def measure(self, count: int | None) -> float:
        self.counts.append(count)
        return self.volts


def build(toy: Toy, max_line: int = MAX_LINE, queue_size: int = 20) -> ScpiEngine:
    """Register the toy's commands the way a device module would."""
    engine = ScpiEngine(idn=IDN, reset=toy.reset, max_line=max_line, queue_size=queue_size)
    volts = Numeric(unit="V", min=0, max=30, default=0)
    amps = Numeric(unit="A", min=0, max=3, default=0.1)
    engine.command(
        "[SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]",
        lambda v: setattr(toy, "volts", v),
        [volts],
    )
    engine.query("[SOURce]:VOLTage[:LEVel][:IMMediate][:AMPLitude]?", lambda: toy.volts)
    engine.command("[SOURce]:CURRent[:LEVel]", lambda a: setattr(toy, "amps", a), [amps])
    engine.query("[SOURce]:CURRent[:LEVel]?", lambda: toy.amps)
    engine.query("MEASure:VOLTage[:DC]?", toy.measure, [Numeric(integer=True, optional=True)])
    engine.query("MEASure:CURRent[:DC]?", lambda: toy.amps)
    engine.command("OUTPut[1][:STATe]", toy.set_output, [Boolean()])
    engine.query("OUTPut[1][:STATe]?", lambda ch: toy.outputs.get(ch, False))
    engine.command(
        "TEMPerature:SETPoint",
        lambda c: setattr(toy, "setpoint", c),
        [Numeric(unit="C", min=-40, max=125, default=25)],
    )
    engine.query("TEMPerature:SETPoint?", lambda: toy.setpoint)
    engine.command("CONFigure:RESistance", lambda r: setattr(toy, "ohms", r), [Numeric(unit="OHM")])
    engine.command("CONFigure:FREQuency", lambda f: setattr(toy, "hertz", f), [Numeric(unit="HZ")])
    engine.command(
        "[SENSe]:FUNCtion",
        lambda f: setattr(toy, "function", f),
        [Choice("VOLTage", "CURRent", "RESistance")],
    )
    engine.query("[SENSe]:FUNCtion?", lambda: toy.function)
    engine.command(
        "SENSe[1]:CHANnel[1]:GAIN",
        lambda s, c, g: toy.sense.append((s, c, g)),
        [Numeric()],
    )
    engine.command("DISPlay:TEXT", lambda t: setattr(toy, "text", t), [String()])
    engine.query("DISPlay:TEXT?", lambda: quote(toy.text))
    engine.command("ROUTe:CLOSe", toy.routed.append, [Raw()])
    engine.command("SYSTem:BEEPer", lambda: setattr(toy, "beeps", toy.beeps + 1))
    engine.command("TEST:FAIL", toy.fail)
    engine.command("TEST:OVERheat", toy.overheat)
    engine.query("TEST:BAD?", toy.bad_query)
    engine.query("TEST:LIST?", lambda: (1, 2.5, "DC", True))
    return engine


def drain(engine: ScpiEngine) -> list[int]:
    """Codes of the queued errors, oldest first, emptying the queue."""
    codes = [entry.code for entry in engine.errors]
    engine.errors.clear()
    return codes


def run(engine: ScpiEngine, data: bytes) -> tuple[list[bytes], list[int]]:
    """Feed ``data``; return the replies and the codes of the errors it queued."""
    replies = engine.feed(data)
    return replies, drain(engine)
