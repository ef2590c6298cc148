"""Driver interfaces for the three bench instruments and their SCPI implementations.

The instruments are the plan's SCPI kinds: ``chamber``, ``power_supply`` and
``multimeter``. The interfaces are :class:`typing.Protocol` classes: code
written against :class:`ChamberDriver`, :class:`PowerSupplyDriver` and
:class:`MultimeterDriver` runs with any object that has their methods, so a
driver for another vendor's command set needs no base class. They are
``...Driver`` because they drive an instrument from the controller's side; the
simulated instruments they talk to live in the ``dvt_bench`` simulator. The
``Scpi*Driver`` classes speak the commands of ``doc/dvt_bench.rst``, which most
bench instruments share, over any :class:`ScpiTransport`.

Replies are parsed strictly: a number in SCPI notation (``+5.00000000E+00``,
``1``), a boolean as ``1``/``0``/``ON``/``OFF``; anything else raises
:class:`InstrumentReplyError` quoting the raw reply.

>>> parse_number("+3.30042127E+00"), parse_bool("ON"), parse_bool("0")
(3.30042127, True, False)
>>> parse_number("ok")
Traceback (most recent call last):
  ...
mfg_ctl.drivers.transport.InstrumentReplyError: not a number: 'ok'
"""

from __future__ import annotations

import math
import re
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

from mfg_ctl.drivers.transport import (
    InstrumentReplyError,
    InstrumentReportedError,
    ScpiTransport,
)

__all__ = [
    "MAX_ERRORS",
    "OVERLOAD",
    "ChamberDriver",
    "InstrumentDriver",
    "MultimeterDriver",
    "PowerSupplyDriver",
    "ScpiChamberDriver",
    "ScpiDriver",
    "ScpiMultimeterDriver",
    "ScpiPowerSupplyDriver",
    "parse_bool",
    "parse_error",
    "parse_number",
]

#: The most ``SYST:ERR?`` queries one :meth:`ScpiDriver.check_errors` sends.
MAX_ERRORS = 64
#: What a DMM reports for a value it cannot measure (SCPI overload).
OVERLOAD = 9.9e37

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_ERROR = re.compile(r'\s*(?P<code>[+-]?\d+)\s*,\s*"?(?P<text>[^"]*)"?.*', re.DOTALL)


def parse_number(reply: str, context: str = "") -> float:
    """The number in a one-value reply (NR1, NR2 or NR3); ``context`` prefixes errors."""
    text = reply.strip()
    if not _NUMBER.fullmatch(text):
        raise InstrumentReplyError(f"{context}not a number: {reply!r}")
    return float(text)


def parse_bool(reply: str, context: str = "") -> bool:
    """A boolean reply: ``1``/``0``, ``ON``/``OFF``, or any number (non-zero is true)."""
    text = reply.strip().upper()
    if text in ("ON", "OFF"):
        return text == "ON"
    if not _NUMBER.fullmatch(text):
        raise InstrumentReplyError(f"{context}not a boolean: {reply!r}")
    return float(text) != 0.0


def parse_error(reply: str, context: str = "") -> tuple[int, str]:
    """A ``SYST:ERR?`` reply as (code, text): ``-222,"Data out of range"``."""
    match = _ERROR.fullmatch(reply)
    if match is None:
        raise InstrumentReplyError(f"{context}not an error queue entry: {reply!r}")
    return int(match["code"]), match["text"]


def _number(value: float, what: str) -> str:
    if isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return f"{float(value):.10g}"


@runtime_checkable
class InstrumentDriver(Protocol):
    """What every instrument answers: identity, error queue, reset, release."""

    def identify(self) -> str:
        """The ``*IDN?`` reply: maker, model, serial, firmware."""

    def check_errors(self) -> None:
        """Drain the error queue; raise :class:`InstrumentReportedError` if it held any."""

    def reset(self) -> None:
        """Settings back to their defaults and the error queue cleared (``*RST``, ``*CLS``)."""

    def close(self) -> None:
        """Release the connection."""


@runtime_checkable
class ChamberDriver(InstrumentDriver, Protocol):
    """A thermal chamber, in degrees Celsius."""

    def set_setpoint(self, celsius: float) -> None:
        """Set the air temperature to reach."""

    def setpoint(self) -> float:
        """The air temperature to reach."""

    def temperature(self) -> float:
        """The air temperature now."""

    def product_temperature(self) -> float:
        """The product probe now: the temperature of the device under test (its case)."""

    def stable(self) -> bool:
        """Whether the air has settled at the setpoint (by the chamber's own criterion)."""

    def set_ramp(self, c_per_min: float) -> None:
        """Limit how fast the air may change."""

    def ramp(self) -> float:
        """The ramp-rate limit, degrees Celsius per minute."""


@runtime_checkable
class PowerSupplyDriver(InstrumentDriver, Protocol):
    """A DC power supply, in volts and amperes."""

    def set_voltage(self, volts: float) -> None:
        """Set the output voltage."""

    def voltage(self) -> float:
        """The output voltage setting."""

    def set_current_limit(self, amps: float) -> None:
        """Set the current limit."""

    def current_limit(self) -> float:
        """The current limit setting."""

    def output(self, on: bool) -> None:
        """Switch the output on or off."""

    def output_on(self) -> bool:
        """Whether the output is on."""

    def measure_voltage(self) -> float:
        """The voltage measured at the terminals."""

    def measure_current(self) -> float:
        """The current measured out of the terminals."""


@runtime_checkable
class MultimeterDriver(InstrumentDriver, Protocol):
    """A digital multimeter, in volts, amperes and ohms."""

    def configure_dc_voltage(self) -> None:
        """Make :meth:`read` measure DC voltage."""

    def read(self) -> float:
        """One reading of the configured function."""

    def measure_dc_voltage(self) -> float:
        """Configure DC voltage and read it."""

    def measure_dc_current(self) -> float:
        """Configure DC current and read it."""

    def measure_resistance(self) -> float:
        """Configure resistance and read it (:data:`OVERLOAD` when it cannot)."""


class ScpiDriver:
    """The IEEE 488.2 part every SCPI instrument shares, over a :class:`ScpiTransport`.

    ``name`` prefixes error messages (default: the kind and the transport's address).
    Use as a context manager to close the transport.
    """

    kind = "instrument"

    def __init__(self, transport: ScpiTransport, name: str | None = None) -> None:
        self.transport = transport
        self.name = name if name is not None else f"{self.kind} at {transport.address}"

    def identify(self) -> str:
        """The ``*IDN?`` reply."""
        return self.transport.query("*IDN?").strip()

    def check_errors(self) -> None:
        """Read ``SYST:ERR?`` until ``0``; raise if any error was queued."""
        errors: list[str] = []
        for _ in range(MAX_ERRORS):
            reply = self.transport.query("SYST:ERR?")
            code, _text = parse_error(reply, f"{self.name}: SYST:ERR? answered ")
            if code == 0:
                break
            errors.append(reply.strip())
        else:
            errors.append(f"(stopped after {MAX_ERRORS} entries)")
        if errors:
            count = "an error" if len(errors) == 1 else f"{len(errors)} errors"
            raise InstrumentReportedError(
                f"{self.name}: instrument reported {count}: {'; '.join(errors)}", tuple(errors)
            )

    def reset(self) -> None:
        """``*RST`` then ``*CLS``."""
        self.transport.write("*RST")
        self.transport.write("*CLS")

    def close(self) -> None:
        """Close the transport."""
        self.transport.close()

    def _number(self, command: str) -> float:
        return parse_number(self.transport.query(command), f"{self.name}: {command} answered ")

    def _bool(self, command: str) -> bool:
        return parse_bool(self.transport.query(command), f"{self.name}: {command} answered ")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.transport!r}, name={self.name!r})"


class ScpiChamberDriver(ScpiDriver):
    """A :class:`ChamberDriver` speaking ``TEMPerature:SETPoint/ACTual?/PRODuct?/STABle?/RAMP``."""

    kind = "chamber"

    def set_setpoint(self, celsius: float) -> None:
        self.transport.write(f"TEMP:SETP {_number(celsius, 'setpoint')}")

    def setpoint(self) -> float:
        return self._number("TEMP:SETP?")

    def temperature(self) -> float:
        return self._number("TEMP:ACT?")

    def product_temperature(self) -> float:
        return self._number("TEMP:PROD?")

    def stable(self) -> bool:
        return self._bool("TEMP:STAB?")

    def set_ramp(self, c_per_min: float) -> None:
        self.transport.write(f"TEMP:RAMP {_number(c_per_min, 'ramp rate')}")

    def ramp(self) -> float:
        return self._number("TEMP:RAMP?")


class ScpiPowerSupplyDriver(ScpiDriver):
    """A :class:`PowerSupplyDriver` speaking ``VOLT``, ``CURR``, ``OUTP`` and ``MEAS``."""

    kind = "power supply"

    def set_voltage(self, volts: float) -> None:
        self.transport.write(f"VOLT {_number(volts, 'voltage')}")

    def voltage(self) -> float:
        return self._number("VOLT?")

    def set_current_limit(self, amps: float) -> None:
        self.transport.write(f"CURR {_number(amps, 'current limit')}")

    def current_limit(self) -> float:
        return self._number("CURR?")

    def output(self, on: bool) -> None:
        self.transport.write("OUTP ON" if on else "OUTP OFF")

    def output_on(self) -> bool:
        return self._bool("OUTP?")

    def measure_voltage(self) -> float:
        return self._number("MEAS:VOLT?")

    def measure_current(self) -> float:
        return self._number("MEAS:CURR?")


class ScpiMultimeterDriver(ScpiDriver):
    """A :class:`MultimeterDriver` speaking ``CONF``, ``READ?`` and ``MEAS``."""

    kind = "dmm"

    def configure_dc_voltage(self) -> None:
        self.transport.write("CONF:VOLT:DC")

    def read(self) -> float:
        return self._number("READ?")

    def measure_dc_voltage(self) -> float:
        return self._number("MEAS:VOLT:DC?")

    def measure_dc_current(self) -> float:
        return self._number("MEAS:CURR:DC?")

    def measure_resistance(self) -> float:
        return self._number("MEAS:RES?")
