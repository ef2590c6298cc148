"""A Modbus device on the wire: frames in, the register model, frames out, faults applied.

Each connection has its own :class:`ModbusSession`, holding its framer's
partial frame. Value faults live in the model; response faults (delay,
corrupt, drop) are applied here, between the encoder and the socket.
"""

from __future__ import annotations

import logging
from pathlib import Path

from simulators.common import ListeningSystem, Reply, Session
from simulators.devicekit import NO_FAULT, FaultCommands, apply
from simulators.devices._modbus.model import RegisterError, RegisterModel
from simulators.profiles import DeviceProfile, resolve_profile
from simulators.protocols.modbus import (
    FRAMINGS,
    InvalidRequest,
    ModbusProtocolError,
    ReadHoldingRegisters,
    ReadInputRegisters,
    Request,
    Response,
    ServerFramer,
    UnsupportedFunction,
    WriteMultipleRegisters,
    WriteSingleRegister,
    server_framer,
)

__all__ = ["ModbusSession", "ModbusSystem"]

logger = logging.getLogger(__name__)


#: The help lines of the device kit's fault commands, in a register device's words.
DOCS = {
    "set": "Overwrite a register's value (it stays until written, set again or reset).",
    "fault": (
        "Inject a fault: drift,<reg>,<step>[,<sd>[,<seed>]] stuck,<reg> delay,<ms>[,<k>] "
        "crc,<k> drop,<k>."
    ),
    "clear_faults": "Remove every fault.",
    "reset": "Back to the profile's defaults, faults cleared.",
}


class ModbusSystem(ListeningSystem, FaultCommands, target="register", docs=DOCS):
    """Serves one :class:`RegisterModel` in the ``custom`` or ``modbus-tcp`` framing.

    The fault commands come from the device kit, over the device's ``values``.
    """

    def __init__(
        self,
        profile: str | Path | DeviceProfile,
        framing: str = "custom",
        seed: int | None = None,
    ) -> None:
        if framing not in FRAMINGS:
            raise ValueError(f"unknown framing {framing!r}; choose one of: {', '.join(FRAMINGS)}")
        self.model = RegisterModel(resolve_profile(profile), seed)
        self.values = self.model.values
        self.framing = framing
        self._framer = server_framer(framing)  # encodes replies (stateless); sessions decode
        self._units = {self.model.profile.unit}
        if framing == "modbus-tcp":
            self._units |= {0, 0xFF}  # "this device" on Modbus TCP

    def open_session(self) -> ModbusSession:
        """A connection's session: its own framer, holding a partial frame."""
        return ModbusSession(self)

    def answer_frames(self, framer: ServerFramer, data: bytes) -> list[bytes]:
        """Answer every request ``framer`` completes with ``data``; drop and log bad frames."""
        framer.feed(data)
        replies: list[bytes] = []
        while True:
            try:
                request = framer.next_message()
            except ModbusProtocolError as error:
                self.bad_input_log.log(
                    logger,
                    logging.WARNING,
                    "%s: dropped a bad frame: %s",
                    self.model.profile.name,
                    error,
                )
                continue
            if request is None:
                return replies
            reply = self._answer(request)
            if reply is not None:
                replies.append(reply)
                if isinstance(reply, Reply) and reply.close:
                    return replies  # the connection ends: requests behind it never arrive

    def _answer(self, request: Request) -> bytes | None:
        if request.unit not in self._units:
            self.bad_input_log.log(
                logger, logging.DEBUG, "ignoring a request for unit %d", request.unit
            )
            return None
        fault = self.values.responses.next_response()
        if fault is NO_FAULT:  # the hot path: nothing to apply
            return self._framer.encode(self._execute(request))
        # a dropped request is lost on its way in: not executed, not answered
        return apply(fault, lambda: self._framer.encode(self._execute(request)), self._corrupt)

    def _execute(self, request: Request) -> Response:
        model = self.model
        try:
            if isinstance(request, ReadHoldingRegisters):
                return request.response(model.read("holding", request.address, request.count))
            if isinstance(request, ReadInputRegisters):
                return request.response(model.read("input", request.address, request.count))
            if isinstance(request, WriteSingleRegister):
                model.write(request.address, [request.value])
                return request.response()
            if isinstance(request, WriteMultipleRegisters):
                model.write(request.address, request.values)
                return request.response()
        except RegisterError as error:
            self.bad_input_log.log(
                logger, logging.INFO, "%s: exception %d: %s", model.profile.name, error.code, error
            )
            return request.exception(error.code)
        assert isinstance(request, UnsupportedFunction | InvalidRequest)
        return request.response()

    def _corrupt(self, frame: bytes) -> bytes:
        if self.framing == "custom":
            return frame[:-1] + bytes([frame[-1] ^ 0xFF])  # a CRC byte flipped
        return frame[:2] + b"\xff\xff" + frame[4:]  # MBAP protocol id no longer 0

    # -- custom commands (the fault commands are the device kit's) --------------

    def power_on(self) -> None:
        """Back to the profile's defaults and start-up faults."""
        self.model.reset()

    def system_registers(self) -> str:
        """List every register with its current value."""
        return self.model.describe()


class ModbusSession(Session):
    """One connection to a Modbus device: its framer keeps a partial frame between reads."""

    def __init__(self, system: ModbusSystem) -> None:
        self.system = system
        self.framer = server_framer(system.framing)

    def feed(self, data: bytes) -> list[bytes]:
        """Answer every complete request; keep a partial one for the next read."""
        return self.system.answer_frames(self.framer, data)
