"""Thermal chamber and the DUT's thermal path.

The chamber air follows its setpoint as a first-order lag whose slope is capped
by the ramp rate; the DUT case follows the air (plus its own heating through
``theta_ca``) with a shorter lag, and the junction sits ``P * theta_jc`` above
the case.  Stability is tracked the way a chamber controller reports it: within
a window around the setpoint, continuously, for a dwell time.
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
    require_temperature_c,
)
from simulators.physics.dynamics import (
    first_order_ramped_step,
    limited_first_order_step,
    limited_first_order_time_to_gap,
)

# Slack for comparing accumulated simulated time against a dwell time (s).
_TIME_SLACK_S = 1e-9


@dataclass(frozen=True)
class ThermalParams:
    """Time constants and thermal resistances (section ``physics.thermal``)."""

    chamber_time_constant_s: float = 30.0  # air reaches 63% of a small step in this time
    case_time_constant_s: float = 5.0  # DUT case lag behind the air
    theta_jc_c_per_w: float = 15.0  # junction-to-case thermal resistance
    theta_ca_c_per_w: float = 5.0  # case-to-ambient thermal resistance

    KEYS: ClassVar[Mapping[str, str]] = {
        "chamber_time_constant_s": "chamber_time_constant_s",
        "case_time_constant_s": "case_time_constant_s",
        "theta_jc": "theta_jc_c_per_w",
        "theta_ca": "theta_ca_c_per_w",
    }

    def __post_init__(self) -> None:
        require_positive("chamber_time_constant_s", self.chamber_time_constant_s)
        require_positive("case_time_constant_s", self.case_time_constant_s)
        require_non_negative("theta_jc_c_per_w", self.theta_jc_c_per_w)
        require_non_negative("theta_ca_c_per_w", self.theta_ca_c_per_w)

    @classmethod
    def from_mapping(cls, data: object, path: str = "physics.thermal") -> ThermalParams:
        """Build from a mapping shaped like ``physics.thermal``; missing keys keep defaults."""
        return numbers_from_mapping(cls, data, path, cls.KEYS)


@dataclass(frozen=True)
class ChamberParams:
    """Chamber controller limits (section ``physics.chamber``)."""

    ramp_rate_c_per_min: float = 10.0  # the air never changes faster than this
    stability_window_c: float = 0.5  # stable when within +/- this of the setpoint ...
    stability_time_s: float = 30.0  # ... continuously for this long
    ambient_c: float = 25.0  # air temperature (and setpoint) at power-up

    KEYS: ClassVar[Mapping[str, str]] = {
        "ramp_rate_c_per_min": "ramp_rate_c_per_min",
        "stability_window_c": "stability_window_c",
        "stability_time_s": "stability_time_s",
        "ambient_c": "ambient_c",
    }

    def __post_init__(self) -> None:
        require_positive("ramp_rate_c_per_min", self.ramp_rate_c_per_min)
        # A zero window could never be entered by an exponential approach.
        require_positive("stability_window_c", self.stability_window_c)
        require_non_negative("stability_time_s", self.stability_time_s)
        require_temperature_c("ambient_c", self.ambient_c)

    @classmethod
    def from_mapping(cls, data: object, path: str = "physics.chamber") -> ChamberParams:
        """Build from a mapping shaped like ``physics.chamber``; missing keys keep defaults."""
        return numbers_from_mapping(cls, data, path, cls.KEYS)


class Chamber:
    """Chamber air temperature, its setpoint and ramp rate, and stability detection.

    The air obeys ``dT/dt = clamp((setpoint - T) / tau, -rate, +rate)``, solved
    exactly per tick.  At power-up the air rests at ambient with the setpoint at
    ambient and is reported stable.
    """

    def __init__(
        self,
        params: ChamberParams | None = None,
        time_constant_s: float = ThermalParams.chamber_time_constant_s,
    ) -> None:
        self.params = params if params is not None else ChamberParams()
        self.time_constant_s = require_positive("chamber_time_constant_s", time_constant_s)
        self._air_c = self.params.ambient_c
        self._setpoint_c = self.params.ambient_c
        self._ramp_rate_c_per_min = self.params.ramp_rate_c_per_min
        self._in_window = True
        self._in_window_s = self.params.stability_time_s  # resting since power-up

    @property
    def air_c(self) -> float:
        """Actual air temperature (degC)."""
        return self._air_c

    @property
    def setpoint_c(self) -> float:
        """Target air temperature (degC); changing it restarts stability detection."""
        return self._setpoint_c

    @setpoint_c.setter
    def setpoint_c(self, value: float) -> None:
        value = require_temperature_c("chamber setpoint", value)
        if value == self._setpoint_c:
            return
        self._setpoint_c = value
        self._in_window = abs(value - self._air_c) <= self.params.stability_window_c
        self._in_window_s = 0.0

    @property
    def ramp_rate_c_per_min(self) -> float:
        """Largest rate of change of the air (degC per minute)."""
        return self._ramp_rate_c_per_min

    @ramp_rate_c_per_min.setter
    def ramp_rate_c_per_min(self, value: float) -> None:
        self._ramp_rate_c_per_min = require_positive("ramp rate (C/min)", value)

    @property
    def time_in_window_s(self) -> float:
        """Seconds the air has been continuously inside the stability window."""
        return self._in_window_s if self._in_window else 0.0

    @property
    def stable(self) -> bool:
        """True once the air has stayed within the window for ``stability_time_s``."""
        return self._in_window and (
            self._in_window_s >= self.params.stability_time_s - _TIME_SLACK_S
        )

    def tick(self, dt_s: float) -> None:
        """Advance the air by ``dt_s`` simulated seconds."""
        window_c = self.params.stability_window_c
        rate_c_per_s = self._ramp_rate_c_per_min / 60.0
        gap_before = abs(self._setpoint_c - self._air_c)
        self._air_c = limited_first_order_step(
            self._air_c, self._setpoint_c, self.time_constant_s, rate_c_per_s, dt_s
        )
        if abs(self._setpoint_c - self._air_c) > window_c:
            self._in_window = False
            self._in_window_s = 0.0
        elif self._in_window:
            self._in_window_s += dt_s
        else:
            # Entered the window during this tick: count only the time inside it.
            outside_s = limited_first_order_time_to_gap(
                gap_before, window_c, self.time_constant_s, rate_c_per_s
            )
            self._in_window = True
            self._in_window_s = max(0.0, dt_s - outside_s)


class DutThermal:
    """The DUT's case and junction temperatures for a given dissipation.

    The case lags ``air + P * theta_ca`` with ``case_time_constant_s``; the
    junction has no thermal mass of its own: ``Tj = Tcase + P * theta_jc``.
    """

    def __init__(self, params: ThermalParams | None = None, initial_c: float = 25.0) -> None:
        self.params = params if params is not None else ThermalParams()
        self._case_c = require_temperature_c("initial case temperature", initial_c)
        self._dissipation_w = 0.0

    @property
    def case_c(self) -> float:
        """Case temperature (degC)."""
        return self._case_c

    @property
    def junction_c(self) -> float:
        """Junction temperature (degC): case plus self-heating through ``theta_jc``."""
        return self._case_c + self._dissipation_w * self.params.theta_jc_c_per_w

    @property
    def dissipation_w(self) -> float:
        """Power dissipated in the DUT (W)."""
        return self._dissipation_w

    @dissipation_w.setter
    def dissipation_w(self, value: float) -> None:
        self._dissipation_w = require_finite("dissipation (W)", value)

    def tick(self, dt_s: float, air_c: float, air_start_c: float | None = None) -> None:
        """Advance by ``dt_s`` while the air moves linearly from ``air_start_c`` to ``air_c``.

        Without ``air_start_c`` the air is taken as constant over the step.
        """
        rise_c = self._dissipation_w * self.params.theta_ca_c_per_w
        start_c = air_c if air_start_c is None else air_start_c
        self._case_c = first_order_ramped_step(
            self._case_c, start_c + rise_c, air_c + rise_c, self.params.case_time_constant_s, dt_s
        )
