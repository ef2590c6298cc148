"""IEEE 488.2 status reporting, and the commands every SCPI instrument answers.

The event status register (ESR) latches what happened: each queued error
sets the bit for its class (-1xx command, -2xx execution, -3xx and positive
device-specific, -4xx query). ``*ESE`` masks it into the ESB bit of the status
byte; ``*SRE`` masks the status byte into its request-service bit. Power-on
sets PON, so a fresh engine answers ``*ESR?`` with 128, as real instruments do.

>>> status = Status()
>>> status.record(ScpiError(-113))
>>> status.ese = Esr.CME
>>> Stb(status.status_byte(message_available=False))
<Stb.EAV|ESB: 36>
>>> Esr(status.read_esr()), status.read_esr()
(<Esr.CME|PON: 160>, 0)
"""

from __future__ import annotations

import enum
from collections.abc import Callable

from .errors import ErrorQueue, ScpiError
from .params import Numeric, Parameter

SCPI_VERSION = "1999.0"


class Esr(enum.IntFlag):
    """Bits of the standard event status register."""

    OPC = 1  # operation complete (*OPC)
    RQC = 2  # request control
    QYE = 4  # query error
    DDE = 8  # device-dependent error
    EXE = 16  # execution error
    CME = 32  # command error
    URQ = 64  # user request
    PON = 128  # power on


class Stb(enum.IntFlag):
    """Bits of the status byte the engine computes (others are the instrument's)."""

    EAV = 4  # error/event queue not empty (SCPI-99)
    MAV = 16  # message available
    ESB = 32  # event status summary: ESR & ESE
    RQS = 64  # request service: status byte & SRE


_ESR_BY_CLASS = {
    1: Esr.CME,
    2: Esr.EXE,
    3: Esr.DDE,
    4: Esr.QYE,
    5: Esr.PON,
    6: Esr.URQ,
    7: Esr.RQC,
    8: Esr.OPC,
}


def esr_bit(code: int) -> Esr:
    """The ESR bit an error code sets: by hundreds for negative codes, DDE for positive."""
    if code > 0:
        return Esr.DDE
    return _ESR_BY_CLASS.get(-code // 100, Esr(0))


class Status:
    """The error queue and the 488.2 registers of one instrument.

    ``summary`` holds the status-byte bits the instrument owns (0, 1, 3 for
    QUEStionable and 7 for OPERation); the engine computes bits 2, 4, 5 and 6.
    """

    def __init__(self, queue_size: int = 20) -> None:
        self.errors = ErrorQueue(queue_size)
        self.esr = int(Esr.PON)
        self.ese = 0
        self.sre = 0
        self.summary = 0

    def record(self, error: ScpiError) -> None:
        """Queue ``error`` and latch its ESR bit."""
        self.errors.push(error)
        self.esr |= esr_bit(error.code)

    def clear(self) -> None:
        """``*CLS``: empty the error queue and the event status register."""
        self.errors.clear()
        self.esr = 0

    def read_esr(self) -> int:
        """``*ESR?``: return the event status register and clear it."""
        value, self.esr = self.esr, 0
        return value

    def status_byte(self, *, message_available: bool) -> int:
        """``*STB?``: the instrument's summary bits plus the computed ones."""
        computed = int(Stb.EAV | Stb.MAV | Stb.ESB | Stb.RQS)  # int: ~ on a flag stays in it
        value = self.summary & 0xFF & ~computed
        if len(self.errors):
            value |= Stb.EAV
        if message_available:
            value |= Stb.MAV
        if self.esr & self.ese:
            value |= Stb.ESB
        if value & self.sre & ~int(Stb.RQS):
            value |= Stb.RQS
        return int(value)


Handler = Callable[..., object]
Registration = tuple[str, Handler, tuple[Parameter, ...]]

_MASK = (Numeric(min=0, max=255, integer=True),)


def standard_commands(
    status: Status,
    *,
    idn: str,
    reset: Callable[[], object],
    self_test: Callable[[], int],
    message_available: Callable[[], bool],
) -> list[Registration]:
    """The IEEE 488.2 common commands and SCPI's mandatory ``SYSTem`` queries."""

    def set_ese(mask: int) -> None:
        status.ese = mask

    def set_sre(mask: int) -> None:
        status.sre = mask & ~int(Stb.RQS)  # 488.2: bit 6 of the enable register is ignored

    def set_opc() -> None:
        status.esr |= Esr.OPC

    return [
        ("*IDN?", lambda: idn, ()),
        ("*RST", reset, ()),
        ("*CLS", status.clear, ()),
        ("*ESE", set_ese, _MASK),
        ("*ESE?", lambda: status.ese, ()),
        ("*ESR?", status.read_esr, ()),
        ("*SRE", set_sre, _MASK),
        ("*SRE?", lambda: status.sre, ()),
        ("*STB?", lambda: status.status_byte(message_available=message_available()), ()),
        ("*OPC", set_opc, ()),
        ("*OPC?", lambda: 1, ()),
        ("*WAI", lambda: None, ()),
        ("*TST?", self_test, ()),
        ("SYSTem:ERRor[:NEXT]?", lambda: status.errors.pop().text, ()),
        ("SYSTem:ERRor:COUNt?", lambda: len(status.errors), ()),
        ("SYSTem:VERSion?", lambda: SCPI_VERSION, ()),
    ]
