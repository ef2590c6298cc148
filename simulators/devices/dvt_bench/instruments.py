"""The three instruments of the DVT bench: thermal chamber, power supply and multimeter.

Each is a :class:`~simulators.devices.dvt_bench.scpi_system.ScpiInstrument`
with its own SCPI engine and readings, acting on the one shared
:class:`~simulators.devices.dvt_bench.bench.Bench`: the supply feeds the DUT's
input, the multimeter measures its output, the chamber sets its temperature.

>>> from simulators.clock import ManualClock
>>> from simulators.devices.dvt_bench.bench import Bench
>>> bench = Bench(clock=ManualClock())
>>> psu, dmm = PowerSupply(bench), Multimeter(bench)
>>> psu.parse_chunk(b"VOLT 5;CURR 0.5;OUTP ON\\n")
[]
>>> dmm.parse_chunk(b"*IDN?;MEAS:VOLT:DC?\\n")  # the junction is 2.55 C above the case
[b'SIMULATORS,MULTIMETER,MM0001,1.0;+3.30042127E+00\\n']
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from simulators.clock import Clock
from simulators.devices.dvt_bench.bench import Bench
from simulators.devices.dvt_bench.scpi_system import LimitChoice, ScpiInstrument, limit
from simulators.protocols.scpi import Boolean, Numeric, Raw, ScpiEngine, quote

__all__ = [
    "INSTRUMENTS",
    "OVERLOAD",
    "Multimeter",
    "PowerSupply",
    "ThermalChamber",
    "build",
]

#: What the multimeter reports for a resistance it cannot measure (no current flows).
OVERLOAD = 9.9e37


class ThermalChamber(ScpiInstrument):
    """A thermal chamber: setpoint, ramp-rate limit, air temperature and stability.

    Readings: ``temperature`` (``TEMP:ACT?``), ``stable`` (``TEMP:STAB?``,
    reported as 1 when at least 0.5) and ``product_temperature``
    (``TEMP:PROD?``: the product probe taped to the DUT's case, which lags the air).
    """

    kind: ClassVar[str] = "THERMAL-CHAMBER"
    serial: ClassVar[str] = "TC0001"

    def sources(self) -> dict[str, Callable[[], float]]:
        return {
            "temperature": lambda: self.bench.model.chamber_air_c,
            "stable": lambda: float(self.bench.model.chamber_stable),
            "product_temperature": lambda: self.bench.model.case_c,
        }

    def register(self, engine: ScpiEngine) -> None:
        chamber = self.bench.params.chamber
        setpoint = Numeric(unit="CEL", min=-70.0, max=180.0, default=chamber.ambient_c)
        ramp = Numeric(min=0.1, max=30.0, default=chamber.ramp_rate_c_per_min)
        engine.command("TEMPerature:SETPoint", self._set_setpoint, params=[setpoint])
        engine.query(
            "TEMPerature:SETPoint?",
            lambda which: limit(setpoint, which, self.bench.model.chamber_setpoint_c),
            params=[LimitChoice()],
        )
        engine.command("TEMPerature:RAMP", self._set_ramp, params=[ramp])
        engine.query(
            "TEMPerature:RAMP?",
            lambda which: limit(ramp, which, self.bench.model.chamber_ramp_rate_c_per_min),
            params=[LimitChoice()],
        )
        engine.query("TEMPerature:ACTual?", lambda: self.values.report("temperature"))
        engine.query("TEMPerature:STABle?", lambda: self.values.report("stable") >= 0.5)
        engine.query("TEMPerature:PRODuct?", lambda: self.values.report("product_temperature"))

    def _set_setpoint(self, celsius: float) -> None:
        self.bench.model.chamber_setpoint_c = celsius

    def _set_ramp(self, c_per_min: float) -> None:
        self.bench.model.chamber_ramp_rate_c_per_min = c_per_min

    def rst(self) -> None:
        """Setpoint back to ambient, ramp rate to the profile's; the air follows physically."""
        chamber = self.bench.params.chamber
        model = self.bench.model
        model.chamber_setpoint_c = chamber.ambient_c
        model.chamber_ramp_rate_c_per_min = chamber.ramp_rate_c_per_min

    def reset_bench(self) -> None:
        """Air and DUT case back at ambient, stable, with the default setpoint and ramp."""
        self.bench.reset_chamber()


class PowerSupply(ScpiInstrument):
    """The DC supply feeding the DUT's input: voltage, current limit, output, readbacks.

    Readings: ``voltage`` (``MEAS:VOLT?``) and ``current`` (``MEAS:CURR?``).
    """

    kind: ClassVar[str] = "POWER-SUPPLY"
    serial: ClassVar[str] = "PS0001"

    def sources(self) -> dict[str, Callable[[], float]]:
        return {
            "voltage": lambda: self.bench.model.psu_measured_voltage_v,
            "current": lambda: self.bench.model.psu_measured_current_a,
        }

    def register(self, engine: ScpiEngine) -> None:
        volts = Numeric(unit="V", min=0.0, max=30.0, default=self.bench.params.psu_voltage_v)
        amps = Numeric(unit="A", min=0.0, max=5.0, default=1.0)
        level = "[:LEVel][:IMMediate][:AMPLitude]"
        engine.command(f"[SOURce]:VOLTage{level}", self._set_volts, params=[volts])
        engine.query(
            f"[SOURce]:VOLTage{level}?",
            lambda which: limit(volts, which, self.bench.model.psu_voltage_setpoint_v),
            params=[LimitChoice()],
        )
        engine.command(f"[SOURce]:CURRent{level}", self._set_amps, params=[amps])
        engine.query(
            f"[SOURce]:CURRent{level}?",
            lambda which: limit(amps, which, self.bench.model.psu_current_limit_a),
            params=[LimitChoice()],
        )
        engine.command("OUTPut[:STATe]", self._set_output, params=[Boolean()])
        engine.query("OUTPut[:STATe]?", lambda: self.bench.model.psu_output_on)
        engine.query("MEASure:VOLTage[:DC]?", lambda: self.values.report("voltage"))
        engine.query("MEASure:CURRent[:DC]?", lambda: self.values.report("current"))

    def _set_volts(self, volts: float) -> None:
        self.bench.model.psu_voltage_setpoint_v = volts

    def _set_amps(self, amps: float) -> None:
        self.bench.model.psu_current_limit_a = amps

    def _set_output(self, on: bool) -> None:
        self.bench.model.psu_output_on = on

    def rst(self) -> None:
        """Output off, voltage at the profile's, current limit at 1 A."""
        self.bench.reset_supply()

    def reset_bench(self) -> None:
        """The supply's settings back to power-up (as ``*RST``)."""
        self.bench.reset_supply()


#: The multimeter's functions: what CONF? answers, and the reading READ? reports.
FUNCTIONS = {"VOLT": "voltage", "CURR": "current", "RES": "resistance"}


class Multimeter(ScpiInstrument):
    """A DMM on the DUT's output: DC voltage, the load current, and their ratio.

    Readings: ``voltage``, ``current`` and ``resistance``. The range and
    resolution arguments of ``CONF``/``MEAS`` are accepted and ignored
    (the meter autoranges).
    """

    kind: ClassVar[str] = "MULTIMETER"
    serial: ClassVar[str] = "MM0001"

    def __init__(self, bench: Bench | None = None, clock: Clock | None = None) -> None:
        super().__init__(bench, clock)
        self.function = "VOLT"  # what READ? measures: a key of FUNCTIONS

    def sources(self) -> dict[str, Callable[[], float]]:
        return {
            "voltage": lambda: self.bench.model.dut_output_voltage_v,
            "current": lambda: self.bench.model.dut_load_current_a,
            "resistance": self._resistance,
        }

    def _resistance(self) -> float:
        model = self.bench.model
        amps = model.dut_load_current_a
        return model.dut_output_voltage_v / amps if amps > 0 else OVERLOAD

    def register(self, engine: ScpiEngine) -> None:
        ignored = [Raw(optional=True), Raw(optional=True)]  # range, resolution
        for function, pattern in (
            ("VOLT", "VOLTage[:DC]"),
            ("CURR", "CURRent[:DC]"),
            ("RES", "RESistance"),
        ):
            engine.command(f"CONFigure:{pattern}", self._configure(function), params=ignored)
            engine.query(f"MEASure:{pattern}?", self._measure(function), params=ignored)
        engine.query("CONFigure?", lambda: quote(self.function))
        engine.query("READ?", lambda: self.values.report(FUNCTIONS[self.function]))

    def _configure(self, function: str) -> Callable[..., None]:
        def configure(*_ignored: object) -> None:
            self.function = function

        return configure

    def _measure(self, function: str) -> Callable[..., float]:
        def measure(*_ignored: object) -> float:
            self.function = function
            return self.values.report(FUNCTIONS[function])

        return measure

    def rst(self) -> None:
        """Back to DC voltage."""
        self.function = "VOLT"


#: The instruments by the name a ``servers`` entry gives.
INSTRUMENTS: dict[str, type[ScpiInstrument]] = {
    "chamber": ThermalChamber,
    "power_supply": PowerSupply,
    "multimeter": Multimeter,
}


def build(instrument: str, **kwargs: Any) -> ScpiInstrument:
    """Build the instrument named ``instrument`` with ``kwargs`` (``bench``, ``clock``)."""
    factory = INSTRUMENTS.get(instrument)
    if factory is None:
        choices = ", ".join(INSTRUMENTS)
        raise ValueError(f"unknown instrument {instrument!r}; choose one of: {choices}")
    return factory(**kwargs)
