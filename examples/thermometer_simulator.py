"""A thermometer that speaks SCPI, with the full fault catalogue (doc/new_simulator.rst)."""

from __future__ import annotations

from dataclasses import dataclass
from socketserver import ThreadingTCPServer

from simulators.common import ListeningSystem, ServerSpec, Session
from simulators.devicekit import FaultCommands, GarbageLines, Values, respond
from simulators.protocols.lines import TOO_LONG, LineFramer
from simulators.protocols.scpi import Numeric, ScpiEngine

servers: list[ServerSpec] = [(("127.0.0.1", 5040), (), ThreadingTCPServer, {})]


@dataclass
class Thermometer:
    """The model: the air around the probe, and the user's calibration offset."""

    air_c: float = 21.5
    offset_c: float = 0.0


class System(ListeningSystem, FaultCommands):
    """``MEAS:TEMP?``, ``CAL:OFFS <c>``, ``*IDN?``; faults on the ``temperature`` reading."""

    def __init__(self) -> None:
        reading = {"temperature": lambda: self.model.air_c + self.model.offset_c}
        self.values = Values(reading, noise={"temperature": 0.01})
        self.power_on()

    def power_on(self) -> None:  # start-up, and $system_reset%
        self.model = Thermometer()
        self.values.reset()
        self.garbage = GarbageLines(seed=1)
        self.engine = ScpiEngine(idn="EXAMPLE,THERMOMETER,T0001,1.0")
        self.engine.query("MEASure:TEMPerature?", lambda: self.values.report("temperature"))
        offset = Numeric(unit="CEL", min=-10.0, max=10.0, default=0.0)
        self.engine.command("CALibrate:OFFSet", self.calibrate, params=[offset])

    def calibrate(self, celsius: float) -> None:
        self.model.offset_c = celsius

    def open_session(self) -> Connection:  # each client gets its own
        return Connection(self)


class Connection(Session):
    """One client's partial line; each complete line runs on the thermometer's engine."""

    def __init__(self, system: System) -> None:
        self.system, self.framer = system, LineFramer(max_line=1024)

    def feed(self, data: bytes) -> list[bytes]:
        system, lines = self.system, self.framer.feed(data)
        answers = [system.engine.execute(line) for line in lines if line is not TOO_LONG]
        return [respond(system.values.responses, a, system.garbage) for a in answers if a]
