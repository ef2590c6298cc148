"""Instrument drivers: a chamber, a power supply and a multimeter over SCPI, simulated or real.

A driver takes a transport; :func:`open_transport` makes one from ``host:port``
or a VISA resource string, with the project's own client (``backend="socket"``)
or PyVISA (``backend="visa"``), so the same code runs against the simulated
bench and against real instruments. Every failure is an :class:`InstrumentError`.

>>> from simulators import plugins
>>> from simulators.launcher import Simulator
>>> with Simulator("dvt_bench", plugins.load("dvt_bench"), ephemeral=True) as bench:
...     chamber, psu, dmm = (str(address) for address in bench.addresses)
...     supply = ScpiPowerSupplyDriver(open_transport(psu))
...     with supply, ScpiMultimeterDriver(open_transport(dmm)) as meter:
...         supply.set_voltage(5.0)
...         supply.output(True)
...         print(supply.output_on(), round(meter.measure_dc_voltage(), 3))
True 3.3
"""

from mfg_ctl.drivers.instruments import (
    OVERLOAD,
    ChamberDriver,
    InstrumentDriver,
    MultimeterDriver,
    PowerSupplyDriver,
    ScpiChamberDriver,
    ScpiDriver,
    ScpiMultimeterDriver,
    ScpiPowerSupplyDriver,
    parse_bool,
    parse_error,
    parse_number,
)
from mfg_ctl.drivers.transport import (
    Backend,
    InstrumentAddressError,
    InstrumentConnectionError,
    InstrumentError,
    InstrumentReplyError,
    InstrumentReportedError,
    InstrumentTimeoutError,
    ScpiTransport,
    SocketTransport,
    VisaTransport,
    open_transport,
    shift_address,
)

__all__ = [
    "OVERLOAD",
    "Backend",
    "ChamberDriver",
    "InstrumentAddressError",
    "InstrumentConnectionError",
    "InstrumentDriver",
    "InstrumentError",
    "InstrumentReplyError",
    "InstrumentReportedError",
    "InstrumentTimeoutError",
    "MultimeterDriver",
    "PowerSupplyDriver",
    "ScpiChamberDriver",
    "ScpiDriver",
    "ScpiMultimeterDriver",
    "ScpiPowerSupplyDriver",
    "ScpiTransport",
    "SocketTransport",
    "VisaTransport",
    "open_transport",
    "parse_bool",
    "parse_error",
    "parse_number",
    "shift_address",
]
