"""A Modbus device on the wire: frames in, the register model, frames out, faults applied.

Each connection has its own :class:`ModbusSession`, holding its framer's
partial frame. Value faults live in the model; response faults (delay,
corrupt, drop) are applied here, between the encoder and the socket.
"""

from __future__ import annotations

import logging
from pathlib import Path

from simulators.common import ListeningSystem, Reply, Session
from simulators.devices._modbus.device import RegisterError, SimulatedDevice
from simulators.faults import NO_FAULT
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


class ModbusSystem(ListeningSystem):
    """Serves one :class:`SimulatedDevice` in the ``custom`` or ``modbus-tcp`` framing."""

    def __init__(
        self,
        profile: str | Path | DeviceProfile,
        framing: str = "custom",
        seed: int | None = None,
    ) -> None:
        if framing not in FRAMINGS:
            raise ValueError(f"unknown framing {framing!r}; choose one of: {', '.join(FRAMINGS)}")
        self.device = SimulatedDevice(resolve_profile(profile), seed)
        self.framing = framing
        self._framer = server_framer(framing)  # encodes replies (stateless); sessions decode
        self._units = {self.device.profile.unit}
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
                    self.device.profile.name,
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
        fault = self.device.faults.next_response()
        if fault is NO_FAULT:
            return self._framer.encode(self._execute(request))
        if fault.drop:
            return Reply(close=True)  # lost on the way in: not executed, not answered
        frame = self._framer.encode(self._execute(request))
        if fault.corrupt:
            frame = self._corrupt(frame)
        return Reply(frame, delay_s=fault.delay_s) if fault.delay_s else frame

    def _execute(self, request: Request) -> Response:
        device = self.device
        try:
            if isinstance(request, ReadHoldingRegisters):
                return request.response(device.read("holding", request.address, request.count))
            if isinstance(request, ReadInputRegisters):
                return request.response(device.read("input", request.address, request.count))
            if isinstance(request, WriteSingleRegister):
                device.write(request.address, [request.value])
                return request.response()
            if isinstance(request, WriteMultipleRegisters):
                device.write(request.address, request.values)
                return request.response()
        except RegisterError as error:
            self.bad_input_log.log(
                logger, logging.INFO, "%s: exception %d: %s", device.profile.name, error.code, error
            )
            return request.exception(error.code)
        assert isinstance(request, UnsupportedFunction | InvalidRequest)
        return request.response()

    def _corrupt(self, frame: bytes) -> bytes:
        if self.framing == "custom":
            return frame[:-1] + bytes([frame[-1] ^ 0xFF])  # a CRC byte flipped
        return frame[:2] + b"\xff\xff" + frame[4:]  # MBAP protocol id no longer 0

    # -- custom commands --------------------------------------------------------

    def system_set(self, register: str, value: str) -> str:
        """Overwrite a register's value (it stays until written, set again or reset)."""
        self.device.set(register, value)
        return "ok"

    def system_fault(self, kind: str, *args: str) -> str:
        """Inject a fault: drift,<reg>,<step> stuck,<reg> delay,<ms>[,<k>] crc,<k> drop,<k>."""
        self.device.fault(kind, *args)
        return "ok"

    def system_faults(self) -> str:
        """List the active faults, one per line, or none."""
        return self.device.faults.describe()

    def system_clear_faults(self) -> str:
        """Remove every fault."""
        self.device.faults.clear()
        return "ok"

    def system_reset(self) -> str:
        """Back to the profile's defaults, faults cleared."""
        self.device.reset()
        return "ok"

    def system_registers(self) -> str:
        """List every register with its current value."""
        return self.device.describe()


class ModbusSession(Session):
    """One connection to a Modbus device: its framer keeps a partial frame between reads."""

    def __init__(self, system: ModbusSystem) -> None:
        self.system = system
        self.framer = server_framer(system.framing)

    def feed(self, data: bytes) -> list[bytes]:
        """Answer every complete request; keep a partial one for the next read."""
        return self.system.answer_frames(self.framer, data)
