"""A simulated device under test: ASCII commands, streamed telemetry, status over UDP.

Port 6000 answers newline-terminated commands (``*IDN?``, ``POWER ON``,
``LOAD 0.1``, ``MEAS:VOLT?`` ...); port 6001 streams one telemetry line every
``sampling_time``; port 6002 is a second unit answering the same commands over
UDP, one datagram per request (``STATUS?``). Types: ``clean`` (default),
``factory-flaky``, ``markov-flaky``. Every error reply carries a code of the
catalogue in :mod:`simulators.devices.dut.errors`. ``$system_new_unit:SEED%``
turns the dut into another unit off the production line. The protocol is
documented in ``doc/dut.rst``.
"""

from __future__ import annotations

import functools
import logging
import queue
import random
from collections.abc import Callable
from socketserver import ThreadingTCPServer, ThreadingUDPServer
from typing import ClassVar

from simulators.common import (
    BaseSystem,
    ListeningSystem,
    MultiTypeSystem,
    Publisher,
    SendingSystem,
    ServerSpec,
    Session,
)
from simulators.devicekit import ResetCommand
from simulators.devices.dut.errors import (
    BAD_ARGUMENT,
    FAULT_REPLIES,
    LOAD_OUT_OF_RANGE,
    UNKNOWN_COMMAND,
    RefusedCommandError,
)
from simulators.devices.dut.model import DutModel, FaultProfile, make_profile
from simulators.protocols.lines import TOO_LONG, LineFramer
from simulators.utils import Clock, default_clock

__all__ = ["IDENTITY", "DutSession", "DutSystem", "System", "servers"]

logger = logging.getLogger(__name__)

servers: list[ServerSpec] = [
    (("127.0.0.1", 6000), ("127.0.0.1", 6001), ThreadingTCPServer, {}),
    (("127.0.0.1", 6002), (), ThreadingUDPServer, {}),
]

IDENTITY = "SIMULATORS,DUT-1000,SN0001,1.0"
#: The longest command line; a longer one is dropped as a bad message.
MAX_LINE = 1024
#: What an unknown header is told to try instead.
COMMAND_HINT = "try *IDN?, POWER ON, LOAD 0.1, MEAS:VOLT?"


#: The help line of the device kit's ``$system_reset%``, in the DUT's words.
DOCS = {"reset": "Back to power-on defaults: the start-up profile and seed, output off."}


class DutSystem(ListeningSystem, SendingSystem, ResetCommand, docs=DOCS):
    """The DUT's command interface and telemetry, over a :class:`DutModel`.

    It fails by fault profile, not by value faults: of the device kit's fault
    commands it takes ``$system_reset%`` only.
    """

    def __init__(
        self,
        profile: str = "clean",
        seed: int = 0,
        sampling_time: float = 0.1,
        clock: Clock | None = None,
    ) -> None:
        self.clock = clock or default_clock()
        self._initial_profile = profile
        self._initial_seed = seed
        self._publisher = Publisher(self._telemetry, sampling_time, self.lock, self.clock)
        self.sampling_time = sampling_time
        self._reset(profile, seed)
        handlers: dict[str, Callable[[str], str]] = {
            "*IDN?": lambda _arg: IDENTITY,
            "*RST": self._rst,
            "POWER": self._power,
            "POWER?": lambda _arg: "ON" if self.model.powered else "OFF",
            "LOAD": self._load,
            "LOAD?": lambda _arg: f"{self.model.load_a:.3f}",
            "MEAS:VOLT?": lambda _arg: f"{self.model.measure_voltage():.4f}",
            "MEAS:CURR?": lambda _arg: f"{self.model.measure_current():.4f}",
            "MEAS:TEMP?": lambda _arg: f"{self.model.measure_temperature():.2f}",
            "STATUS?": lambda _arg: self._status(),
        }
        #: Each header's handler and the reply it gives when the unit fails that request.
        self._commands = {
            header: (handler, FAULT_REPLIES[header]) for header, handler in handlers.items()
        }

    def _reset(self, profile: str, seed: int) -> None:
        self.model = DutModel(seed=seed)
        self._unit_seed: int | None = None  # the power-on unit: no spread drawn
        self.profile: FaultProfile = make_profile(profile)
        self._fault_rng = random.Random(f"{seed}:faults")
        self._telemetry_rng = random.Random(f"{seed}:telemetry")
        self._forced_failures = 0
        self._sequence = 0

    # -- the line protocol ------------------------------------------------

    def open_session(self) -> DutSession:
        """A connection's session: its own partial command line."""
        return DutSession(self)

    def line_too_long(self) -> None:
        """Log (rate-limited) a command line dropped for its length."""
        self.bad_input_log.log(
            logger, logging.WARNING, "command line longer than %d bytes dropped", MAX_LINE
        )

    def answer(self, raw: bytes) -> bytes:
        """The reply line to one command line (without its newline)."""
        reply = self.execute(raw.decode("ascii", errors="replace")) + "\n"
        return reply.encode("ascii", errors="backslashreplace")

    def execute(self, line: str) -> str:
        """Run one command line and return its reply (without the newline)."""
        header, _, argument = line.strip().partition(" ")
        command = self._commands.get(header.upper())
        if command is None:
            return UNKNOWN_COMMAND.reply(f"unknown command {header!r}; {COMMAND_HINT}")
        handler, fault_reply = command
        if self._fails():
            return fault_reply
        try:
            return handler(argument.strip())
        except RefusedCommandError as refused:
            return refused.reply

    def _fails(self) -> bool:
        if self._forced_failures:
            self._forced_failures -= 1
            return True
        return self.profile.fails(self._fault_rng)

    def _rst(self, _argument: str) -> str:
        self.model.powered = False
        self.model.load_a = 0.0
        return "OK"

    def _power(self, argument: str) -> str:
        state = argument.upper()
        if state not in {"ON", "OFF", "1", "0"}:
            raise RefusedCommandError(BAD_ARGUMENT, f"POWER takes ON or OFF, got {argument!r}")
        self.model.powered = state in {"ON", "1"}
        return "OK"

    def _load(self, argument: str) -> str:
        try:
            amps = float(argument)
        except ValueError:
            message = f"LOAD takes a current in amperes, got {argument!r}"
            raise RefusedCommandError(BAD_ARGUMENT, message) from None
        try:
            self.model.set_load(amps)
        except ValueError as error:
            raise RefusedCommandError(LOAD_OUT_OF_RANGE, str(error)) from None
        return "OK"

    def _status(self) -> str:
        model = self.model
        return (
            f"POWER={'ON' if model.powered else 'OFF'} LOAD={model.load_a:.3f} "
            f"VOLT={model.output_voltage_v:.4f} CURR={model.output_current_a:.4f} "
            f"TEMP={model.temperature_c:.2f} PROFILE={self.profile.name}"
        )

    # -- telemetry ----------------------------------------------------------

    def subscribe(self, q: queue.Queue[bytes]) -> None:
        self._publisher.subscribe(q)

    def unsubscribe(self, q: queue.Queue[bytes]) -> None:
        self._publisher.unsubscribe(q)

    def _telemetry(self) -> bytes:
        self._sequence += 1
        model, rng = self.model, self._telemetry_rng
        return (
            f"TLM seq={self._sequence} time={self.clock.time():.3f} "
            f"power={'ON' if model.powered else 'OFF'} volt={model.measure_voltage(rng):.4f} "
            f"curr={model.measure_current(rng):.4f} temp={model.measure_temperature(rng):.2f}\n"
        ).encode()

    # -- custom commands ----------------------------------------------------

    def system_set_seed(self, seed: str) -> str:
        """Restart every random sequence (noise, faults) from an integer seed."""
        value = int(seed)
        self.model.reseed(value)
        self._restart_draws(value)
        return "ok"

    def system_new_unit(self, seed: str) -> str:
        """Become a fresh unit off the line: spread, noise and faults drawn from an integer seed."""
        value = int(seed)
        self.model = DutModel.new_unit(value)
        self._unit_seed = value
        self._restart_draws(value)
        return "ok"

    def _restart_draws(self, seed: int) -> None:
        """Restart the fault and telemetry sequences and the profile's state from ``seed``."""
        self.profile.restart()
        self._fault_rng = random.Random(f"{seed}:faults")
        self._telemetry_rng = random.Random(f"{seed}:telemetry")

    def system_unit(self) -> str:
        """Show which unit this is (power-on or its seed), nominal voltage, output resistance."""
        model = self.model
        unit = "power-on" if self._unit_seed is None else str(self._unit_seed)
        return (
            f"unit={unit} nominal_voltage={model.nominal_voltage_v:.4f} "
            f"output_resistance={model.output_resistance_ohm:.4f}"
        )

    def system_set_profile(self, name: str, *parameters: str) -> str:
        """Switch the fault profile, e.g. factory-flaky,0.2 or markov-flaky,0.05,0.3."""
        self.profile = make_profile(name, *(float(p) for p in parameters))
        return "ok"

    def system_profile(self) -> str:
        """Show the fault profile and its parameters."""
        return self.profile.describe()

    def system_fail_next(self, count: str) -> str:
        """Make the next N requests fail, whatever the profile."""
        value = int(count)
        if value < 0:
            raise ValueError("count must be >= 0")
        self._forced_failures = value
        return "ok"

    def power_on(self) -> None:
        """The start-up profile and seed, output off."""
        self._reset(self._initial_profile, self._initial_seed)


class DutSession(Session):
    """One connection to the dut: newline-terminated command lines, one reply line each.

    A blank line is not answered; a line over :data:`MAX_LINE` bytes is dropped
    and logged.
    """

    def __init__(self, dut: DutSystem) -> None:
        self.dut = dut
        self.framer = LineFramer(MAX_LINE)

    def feed(self, data: bytes) -> list[bytes]:
        """Answer every command line ``data`` completes."""
        replies = []
        for line in self.framer.feed(data):
            if line is TOO_LONG:
                self.dut.line_too_long()
            elif line.strip():
                replies.append(self.dut.answer(line))
        return replies


def _typed(profile: str) -> Callable[..., BaseSystem]:
    return functools.partial(DutSystem, profile)


class System(MultiTypeSystem):
    """``-t clean|factory-flaky|markov-flaky`` picks the start-up fault profile."""

    systems: ClassVar[dict[str, Callable[..., BaseSystem]]] = {
        name: _typed(name) for name in ("clean", "factory-flaky", "markov-flaky")
    }
    default = "clean"
