"""A complete simulator with the full fault catalogue: a thermometer that speaks SCPI.

A model, a protocol, a ``servers`` list; the device kit adds the faults (doc/new_simulator.rst).
"""

from __future__ import annotations

from dataclasses import dataclass
from socketserver import ThreadingTCPServer

from simulators.common import ListeningSystem, ServerSpec
from simulators.devicekit import FaultCommands, GarbageLines, Values, respond
from simulators.protocols.scpi import Numeric, ScpiEngine

servers: list[ServerSpec] = [(("127.0.0.1", 5040), (), ThreadingTCPServer, {})]


@dataclass
class Thermometer:
    """The model: the air around the probe, and the user's calibration offset."""

    air_c: float = 21.5
    offset_c: float = 0.0


class System(ListeningSystem, FaultCommands):
    """``MEAS:TEMP?``, ``CAL:OFFS <c>``, ``*IDN?``; faults on the ``temperature`` reading."""

    parser_state = ("_line",)  # each connection keeps its own partial line

    def __init__(self) -> None:
        self.model = Thermometer()
        reading = {"temperature": lambda: self.model.air_c + self.model.offset_c}
        self.values = Values(reading, noise={"temperature": 0.01})
        self._line = b""
        self.power_on()

    def power_on(self) -> None:  # start-up, and $system_reset%
        self.model = Thermometer()
        self.values.reset()
        self._garbage = GarbageLines(seed=1)
        self.engine = ScpiEngine(idn="EXAMPLE,THERMOMETER,T0001,1.0")
        self.engine.query("MEASure:TEMPerature?", lambda: self.values.report("temperature"))
        offset = Numeric(unit="CEL", min=-10.0, max=10.0, default=0.0)
        self.engine.command("CALibrate:OFFSet", self._calibrate, params=[offset])

    def _calibrate(self, celsius: float) -> None:
        self.model.offset_c = celsius

    def parse(self, byte: bytes) -> bool | bytes:
        if byte != b"\n":
            if len(self._line) >= 1024:
                self._line = b""
                raise ValueError("line longer than 1024 bytes dropped")
            self._line += byte
            return True
        answers, self._line = self.engine.feed(self._line + b"\n"), b""
        return respond(self.values.responses, answers[0], self._garbage) if answers else True
