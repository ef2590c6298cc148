"""A low-dropout regulator (LDO) as the device under test.

The output is the nominal voltage corrected by a linear temperature
coefficient of the junction; when the input cannot hold it up the output
follows ``Vin - dropout``.  Quiescent current also drifts linearly with the
junction temperature.  Everything here is static: the thermal lag lives in
:mod:`simulators.physics.thermal`.

>>> ldo = Ldo()
>>> ldo.input_voltage_v, ldo.load_current_a = 5.0, 0.1
>>> point = ldo.operating_point(junction_c=25.0)
>>> point.output_voltage_v, round(point.dissipation_w, 5)
(3.3, 0.17025)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from simulators.physics._params import (
    numbers_from_mapping,
    require_finite,
    require_non_negative,
    require_positive,
)

REFERENCE_TEMPERATURE_C = 25.0  # junction temperature at which the nominal values hold


@dataclass(frozen=True)
class LdoParams:
    """Electrical parameters of the LDO (section ``dut.parameters``)."""

    nominal_output_voltage_v: float = 3.3  # at a junction temperature of 25 degC
    tempco_ppm_per_c: float = 50.0  # dV = V0 * tempco * (Tj - 25) / 1e6
    quiescent_current_ua: float = 50.0  # at 25 degC
    quiescent_current_tempco_per_c: float = 0.003  # dIq = Iq0 * tempco * (Tj - 25)
    dropout_voltage_v: float = 0.3  # smallest Vin - Vout that still regulates

    KEYS: ClassVar[Mapping[str, str]] = {
        "nominal_output_voltage": "nominal_output_voltage_v",
        "tempco_ppm_per_c": "tempco_ppm_per_c",
        "quiescent_current_ua": "quiescent_current_ua",
        "quiescent_current_tempco": "quiescent_current_tempco_per_c",
        "dropout_voltage": "dropout_voltage_v",
    }

    def __post_init__(self) -> None:
        require_positive("nominal_output_voltage_v", self.nominal_output_voltage_v)
        require_finite("tempco_ppm_per_c", self.tempco_ppm_per_c)
        require_non_negative("quiescent_current_ua", self.quiescent_current_ua)
        require_finite("quiescent_current_tempco_per_c", self.quiescent_current_tempco_per_c)
        require_non_negative("dropout_voltage_v", self.dropout_voltage_v)

    @classmethod
    def from_mapping(cls, data: object, path: str = "dut.parameters") -> LdoParams:
        """Build from a mapping shaped like ``dut.parameters``; missing keys keep defaults."""
        return numbers_from_mapping(cls, data, path, cls.KEYS)

    def regulated_voltage_v(self, junction_c: float) -> float:
        """Output voltage the LDO regulates to at ``junction_c`` (V), input permitting."""
        drift = self.tempco_ppm_per_c * 1e-6 * (junction_c - REFERENCE_TEMPERATURE_C)
        return self.nominal_output_voltage_v * (1.0 + drift)

    def quiescent_current_a(self, junction_c: float) -> float:
        """Ground-pin current at ``junction_c`` (A); clamped at 0 for extreme cold."""
        drift = self.quiescent_current_tempco_per_c * (junction_c - REFERENCE_TEMPERATURE_C)
        return max(0.0, self.quiescent_current_ua * 1e-6 * (1.0 + drift))


@dataclass(frozen=True)
class LdoOperatingPoint:
    """Voltages, currents and dissipation of the LDO at one instant."""

    input_voltage_v: float
    output_voltage_v: float
    load_current_a: float  # actually drawn by the load: 0 while the output is 0
    quiescent_current_a: float  # 0 while the input is off
    dissipation_w: float  # (Vin - Vout) * Iload + Vin * Iq
    in_dropout: bool  # the input is too low to regulate

    @property
    def input_current_a(self) -> float:
        """Current drawn from the supply (A): load plus quiescent."""
        return self.load_current_a + self.quiescent_current_a


class Ldo:
    """An LDO with its input supply voltage and an electronic load on its output."""

    def __init__(self, params: LdoParams | None = None) -> None:
        self.params = params if params is not None else LdoParams()
        self._input_voltage_v = 0.0
        self._load_current_a = 0.0

    @property
    def input_voltage_v(self) -> float:
        """Voltage at the LDO input (V); 0 means the input is off."""
        return self._input_voltage_v

    @input_voltage_v.setter
    def input_voltage_v(self, value: float) -> None:
        self._input_voltage_v = require_non_negative("LDO input voltage (V)", value)

    @property
    def load_current_a(self) -> float:
        """Current the load draws whenever the output is up (A)."""
        return self._load_current_a

    @load_current_a.setter
    def load_current_a(self, value: float) -> None:
        self._load_current_a = require_non_negative("load current (A)", value)

    def operating_point(self, junction_c: float) -> LdoOperatingPoint:
        """Solve the LDO's electrical state at ``junction_c`` (degC)."""
        params = self.params
        vin = self._input_voltage_v
        regulated = params.regulated_voltage_v(junction_c)
        vout = min(regulated, max(0.0, vin - params.dropout_voltage_v))
        load = self._load_current_a if vout > 0.0 else 0.0
        iq = params.quiescent_current_a(junction_c) if vin > 0.0 else 0.0
        return LdoOperatingPoint(
            input_voltage_v=vin,
            output_voltage_v=vout,
            load_current_a=load,
            quiescent_current_a=iq,
            dissipation_w=(vin - vout) * load + vin * iq,
            in_dropout=vin > 0.0 and vout < regulated,
        )

    def dissipation_w(self, junction_c: float) -> float:
        """Power dissipated at ``junction_c`` (W); the fast path for thermal sub-steps."""
        params = self.params
        vin = self._input_voltage_v
        if vin <= 0.0:
            return 0.0
        vout = min(params.regulated_voltage_v(junction_c), max(0.0, vin - params.dropout_voltage_v))
        load = self._load_current_a if vout > 0.0 else 0.0
        return (vin - vout) * load + vin * params.quiescent_current_a(junction_c)
