"""The DVT bench: thermal chamber, power supply, LDO under test and its load.

:class:`BenchModel` couples the parts and exposes, in engineering units,
everything an instrument layer reads or sets.  ``tick(dt_s)`` advances it in
sub-steps of ``1 / update_rate_hz``. Every stage is solved in closed form per
sub-step, so a long tick may use longer sub-steps and still land close to the
exact answer: a tick never takes more than ``MAX_SUBSTEPS_PER_TICK`` of them.
That bound is what keeps one request to a simulated instrument cheap however
much simulated time passed since the last one (a clock at 500x real time
jumps minutes between two queries when the machine is busy).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from simulators.physics._params import (
    as_number,
    as_section,
    build,
    check_keys,
    join,
    require_non_negative,
    require_positive,
    require_temperature_c,
    take_numbers,
)
from simulators.physics.ldo import Ldo, LdoOperatingPoint, LdoParams
from simulators.physics.thermal import Chamber, ChamberParams, DutThermal, ThermalParams

#: Sub-steps of one tick at most: about 0.5 ms of CPU (a few ms under coverage).
#: Ten-second sub-steps still track 100 Hz ones to 0.01 degC (tests/physics).
MAX_SUBSTEPS_PER_TICK = 200
_SUBSTEP_SLACK = 1e-9  # so that 0.3 s at 100 Hz is 30 sub-steps, not 31
_FIXED_POINT_ITERATIONS = 4  # Tj <-> P feedback; loop gain is ~1e-4, so this is exact


@dataclass(frozen=True)
class BenchParams:
    """All bench parameters; the defaults are those of ``dvt_defaults.yaml``."""

    update_rate_hz: float = 100.0  # model sub-steps per simulated second
    thermal: ThermalParams = field(default_factory=ThermalParams)
    chamber: ChamberParams = field(default_factory=ChamberParams)
    ldo: LdoParams = field(default_factory=LdoParams)
    psu_voltage_v: float = 5.0  # supply setpoint at power-up
    load_current_a: float = 0.1  # electronic-load setpoint at power-up
    tempco_sweep_c: tuple[float, ...] = (-40.0, 0.0, 25.0, 85.0, 125.0)

    def __post_init__(self) -> None:
        require_positive("update_rate_hz", self.update_rate_hz)
        require_non_negative("psu_voltage_v", self.psu_voltage_v)
        require_non_negative("load_current_a", self.load_current_a)
        if len(self.tempco_sweep_c) < 2:
            raise ValueError("tempco_sweep_c needs at least two temperatures to give a slope")
        for value in self.tempco_sweep_c:
            require_temperature_c("tempco_sweep_c entry", value)

    @classmethod
    def from_mapping(cls, data: object) -> BenchParams:
        """Build from a nested mapping shaped like ``dvt_defaults.yaml``.

        Missing sections and keys keep their defaults; unknown keys, non-numbers
        and non-physical values raise ValueError naming the dotted key.
        """
        root = as_section("", data)
        check_keys("", root, ("physics", "dut", "bench"))
        kwargs: dict[str, object] = {}

        physics = as_section("physics", root.get("physics", {}))
        check_keys("physics", physics, ("update_rate_hz", "thermal", "chamber"))
        kwargs.update(take_numbers(physics, "physics", {"update_rate_hz": "update_rate_hz"}))
        kwargs["thermal"] = ThermalParams.from_mapping(physics.get("thermal", {}))
        kwargs["chamber"] = ChamberParams.from_mapping(physics.get("chamber", {}))

        dut = as_section("dut", root.get("dut", {}))
        check_keys("dut", dut, ("model", "parameters"))
        if dut.get("model", "ldo") != "ldo":
            raise ValueError(f"dut.model: only 'ldo' is modelled, got {dut['model']!r}")
        kwargs["ldo"] = LdoParams.from_mapping(dut.get("parameters", {}))

        bench = as_section("bench", root.get("bench", {}))
        check_keys("bench", bench, ("psu_voltage", "load_current_a", "tempco_sweep_c"))
        numbers = {"psu_voltage": "psu_voltage_v", "load_current_a": "load_current_a"}
        kwargs.update(take_numbers(bench, "bench", numbers))
        if "tempco_sweep_c" in bench:
            sweep = bench["tempco_sweep_c"]
            if not isinstance(sweep, list | tuple):
                raise ValueError(f"bench.tempco_sweep_c must be a list, got {sweep!r}")
            kwargs["tempco_sweep_c"] = tuple(
                as_number(join("bench.tempco_sweep_c", str(index)), value)
                for index, value in enumerate(sweep)
            )
        return build(cls, "", kwargs)


def plan_substeps(
    dt_s: float, update_rate_hz: float, max_substeps: int = MAX_SUBSTEPS_PER_TICK
) -> tuple[int, float]:
    """Return ``(count, length_s)`` of the sub-steps that make up a tick of ``dt_s``.

    >>> plan_substeps(1.0, 100.0)
    (100, 0.01)
    >>> plan_substeps(0.004, 100.0)
    (1, 0.004)
    >>> plan_substeps(1e9, 100.0, max_substeps=1000)
    (1000, 1000000.0)
    """
    count = max(1, math.ceil(dt_s * update_rate_hz - _SUBSTEP_SLACK))
    count = min(count, max_substeps)
    return count, dt_s / count


class BenchModel:
    """Chamber, power supply, LDO and load, advanced together by :meth:`tick`.

    The supply powers up with its output off, its setpoint at ``psu_voltage_v``
    and a current limit of ``psu_current_limit_a``; the load is set to
    ``load_current_a``.  Electrical readings follow settings at once; thermal
    state changes only with simulated time.
    """

    def __init__(self, params: BenchParams | None = None, psu_current_limit_a: float = 1.0) -> None:
        self.params = params if params is not None else BenchParams()
        p = self.params
        self.chamber = Chamber(p.chamber, p.thermal.chamber_time_constant_s)
        self.dut = DutThermal(p.thermal, p.chamber.ambient_c)
        self.ldo = Ldo(p.ldo)
        self.ldo.load_current_a = p.load_current_a
        self.time_s = 0.0  # simulated seconds since construction
        self._psu_voltage_v = p.psu_voltage_v
        self._psu_current_limit_a = require_non_negative("current limit (A)", psu_current_limit_a)
        self._psu_output_on = False
        self._point = self._settle_operating_point()

    # --- chamber -------------------------------------------------------------

    @property
    def chamber_setpoint_c(self) -> float:
        """Chamber setpoint (degC)."""
        return self.chamber.setpoint_c

    @chamber_setpoint_c.setter
    def chamber_setpoint_c(self, value: float) -> None:
        self.chamber.setpoint_c = value

    @property
    def chamber_ramp_rate_c_per_min(self) -> float:
        """Chamber ramp-rate limit (degC per minute)."""
        return self.chamber.ramp_rate_c_per_min

    @chamber_ramp_rate_c_per_min.setter
    def chamber_ramp_rate_c_per_min(self, value: float) -> None:
        self.chamber.ramp_rate_c_per_min = value

    @property
    def chamber_air_c(self) -> float:
        """Actual chamber air temperature (degC)."""
        return self.chamber.air_c

    @property
    def chamber_stable(self) -> bool:
        """True once the air has dwelt within the stability window long enough."""
        return self.chamber.stable

    # --- power supply ----------------------------------------------------------

    @property
    def psu_voltage_setpoint_v(self) -> float:
        """Supply voltage setpoint (V)."""
        return self._psu_voltage_v

    @psu_voltage_setpoint_v.setter
    def psu_voltage_setpoint_v(self, value: float) -> None:
        self._psu_voltage_v = require_non_negative("supply voltage (V)", value)
        self._point = self._settle_operating_point()

    @property
    def psu_current_limit_a(self) -> float:
        """Supply current limit (A)."""
        return self._psu_current_limit_a

    @psu_current_limit_a.setter
    def psu_current_limit_a(self, value: float) -> None:
        self._psu_current_limit_a = require_non_negative("current limit (A)", value)

    @property
    def psu_output_on(self) -> bool:
        """Whether the supply output is enabled."""
        return self._psu_output_on

    @psu_output_on.setter
    def psu_output_on(self, value: bool) -> None:
        self._psu_output_on = bool(value)
        self._point = self._settle_operating_point()

    @property
    def psu_measured_voltage_v(self) -> float:
        """Voltage at the supply terminals (V): the setpoint when on, else 0."""
        return self.ldo.input_voltage_v

    @property
    def psu_in_current_limit(self) -> bool:
        """True when the DUT asks for more than the current limit."""
        return self._point.input_current_a > self._psu_current_limit_a

    @property
    def psu_measured_current_a(self) -> float:
        """Supply output current (A): the LDO input current, capped at the limit."""
        return min(self._point.input_current_a, self._psu_current_limit_a)

    # --- load and DUT ------------------------------------------------------------

    @property
    def load_current_a(self) -> float:
        """Electronic-load setpoint (A); drawn only while the LDO output is up."""
        return self.ldo.load_current_a

    @load_current_a.setter
    def load_current_a(self, value: float) -> None:
        self.ldo.load_current_a = value
        self._point = self._settle_operating_point()

    @property
    def dut_operating_point(self) -> LdoOperatingPoint:
        """The LDO's full electrical state at the present junction temperature."""
        return self._point

    @property
    def dut_output_voltage_v(self) -> float:
        """LDO output voltage (V)."""
        return self._point.output_voltage_v

    @property
    def dut_load_current_a(self) -> float:
        """Current actually drawn from the LDO output (A)."""
        return self._point.load_current_a

    @property
    def dissipation_w(self) -> float:
        """Power dissipated in the LDO (W)."""
        return self._point.dissipation_w

    @property
    def case_c(self) -> float:
        """DUT case temperature (degC)."""
        return self.dut.case_c

    @property
    def junction_c(self) -> float:
        """DUT junction temperature (degC)."""
        return self.dut.junction_c

    # --- time --------------------------------------------------------------------

    def tick(self, dt_s: float) -> None:
        """Advance the whole bench by ``dt_s`` simulated seconds."""
        if not (math.isfinite(dt_s) and dt_s >= 0):
            raise ValueError(f"dt_s must be a finite number of seconds >= 0, got {dt_s!r}")
        if dt_s == 0:
            return
        count, step_s = plan_substeps(dt_s, self.params.update_rate_hz)
        chamber, dut, ldo = self.chamber, self.dut, self.ldo
        theta_jc = self.params.thermal.theta_jc_c_per_w
        for _ in range(count):
            air_start_c = chamber.air_c
            chamber.tick(step_s)
            dut.tick(step_s, chamber.air_c, air_start_c)
            # One fixed-point pass per sub-step: P from the junction it heats.
            dut.dissipation_w = ldo.dissipation_w(dut.case_c + dut.dissipation_w * theta_jc)
        self.time_s += dt_s
        self._point = self._settle_operating_point()

    def _settle_operating_point(self) -> LdoOperatingPoint:
        """Apply the supply to the LDO and solve the junction/dissipation fixed point."""
        self.ldo.input_voltage_v = self._psu_voltage_v if self._psu_output_on else 0.0
        theta_jc = self.params.thermal.theta_jc_c_per_w
        point = self.ldo.operating_point(self.dut.junction_c)
        for _ in range(_FIXED_POINT_ITERATIONS):
            point = self.ldo.operating_point(self.dut.case_c + point.dissipation_w * theta_jc)
        self.dut.dissipation_w = point.dissipation_w
        return point
