"""The dut's error catalogue: every ``ERR`` reply carries one of these codes.

One table, :data:`CATALOGUE`, says for each code its failure kind, its text
and, for a device fault, the commands that fail with it. A client counts
failures by code without parsing the text: ``E1xx`` is a refused command (the
request was wrong; sending it again changes nothing), ``E2xx`` a device fault
(the unit failed this time; a retry may pass). The replies to device faults
are built here once, so answering one allocates nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = [
    "BAD_ARGUMENT",
    "CATALOGUE",
    "FAULT_REPLIES",
    "LOAD_OUT_OF_RANGE",
    "UNKNOWN_COMMAND",
    "DutError",
    "FailureKind",
    "RefusedCommandError",
]


class FailureKind(Enum):
    """Whose fault an error is: the request's or the unit's."""

    REFUSED = "refused command"
    DEVICE_FAULT = "device fault"


@dataclass(frozen=True)
class DutError:
    """One row of the catalogue: a code such as ``E201``, its kind and its text."""

    code: str
    kind: FailureKind
    text: str
    #: The command headers that fail with this code (device faults only).
    commands: tuple[str, ...] = ()

    def reply(self, detail: str = "") -> str:
        """The reply line (no newline): ``ERR <code> <detail or text>``."""
        return f"ERR {self.code} {detail or self.text}"


_REFUSED, _FAULT = FailureKind.REFUSED, FailureKind.DEVICE_FAULT

UNKNOWN_COMMAND = DutError("E100", _REFUSED, "unknown command")
BAD_ARGUMENT = DutError("E101", _REFUSED, "bad argument")
LOAD_OUT_OF_RANGE = DutError("E102", _REFUSED, "load out of range")

#: Every error the dut answers, in code order.
CATALOGUE: tuple[DutError, ...] = (
    UNKNOWN_COMMAND,
    BAD_ARGUMENT,
    LOAD_OUT_OF_RANGE,
    DutError("E201", _FAULT, "power stage did not start", ("POWER", "POWER?")),
    DutError("E202", _FAULT, "communication error", ("*IDN?", "*RST", "STATUS?", "LOAD?")),
    DutError("E203", _FAULT, "electronic load fault", ("LOAD",)),
    DutError("E210", _FAULT, "voltage reading unstable", ("MEAS:VOLT?",)),
    DutError("E211", _FAULT, "current reading unstable", ("MEAS:CURR?",)),
    DutError("E212", _FAULT, "temperature sensor not responding", ("MEAS:TEMP?",)),
)

#: The reply line of a device fault, by the command header that met it.
FAULT_REPLIES: dict[str, str] = {
    command: error.reply() for error in CATALOGUE for command in error.commands
}


class RefusedCommandError(ValueError):
    """A command the dut refuses: carries its reply line, ``ERR E1xx <why>``."""

    def __init__(self, error: DutError, detail: str) -> None:
        super().__init__(detail)
        self.error = error
        self.reply = error.reply(detail)
