"""The ``tempco`` step: a TempCo sweep over three SCPI instruments, as one plan step.

In a plan (``plans/dvt_tempco.yaml``)::

    - name: tempco_vout
      tempco:
        chamber: chamber
        supply: supply
        meter: meter
        temperatures: [-40, 0, 25, 85, 125]
        expected: 50            # ppm/C
        tolerance: 5

The sweep and the fit are :func:`mfg_ctl.tempco.run_sweep` (the library this
kind uses); each settled temperature is reported to the observers as a
:class:`~mfg_ctl.steps.contract.Progress` (``point_25C``) with its raw readings,
and the step is judged in ppm/C. ``mfg-ctl tempco`` runs a plan of this one step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mfg_ctl.drivers import (
    InstrumentConnectionError,
    InstrumentError,
    InstrumentReplyError,
    InstrumentTimeoutError,
    ScpiChamberDriver,
    ScpiMultimeterDriver,
    ScpiPowerSupplyDriver,
)
from mfg_ctl.steps.contract import (
    Limits,
    Progress,
    StepContext,
    StepKind,
    StepOutcome,
    TransientError,
)
from mfg_ctl.steps.model import (
    Action,
    Retries,
    StepBase,
    Text,
    Whole,
    describe_type,
    scpi_device,
)
from mfg_ctl.steps.thresholds import FieldError, Number, Threshold
from mfg_ctl.tempco import StabilityTimeoutError, TempcoPoint, TempcoSettings, run_sweep

__all__ = [
    "KIND",
    "MAX_READINGS",
    "SIMULATED_SPEED",
    "TempcoSpec",
    "TempcoStep",
    "point_name",
    "run",
]

MAX_READINGS = 1000  # DMM readings averaged per temperature
#: Simulated seconds per real second of the simulated SCPI bench: a sweep (about
#: 30 minutes of chamber time) in about one second. A request costs the bench's
#: model a bounded amount of work however far the clock jumped, so the speed is
#: limited only by how finely the sweep's polls sample the chamber.
SIMULATED_SPEED = 2000.0


class TempcoSpec(BaseModel):
    """The devices a ``tempco:`` step sweeps with and, optionally, how (else the defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chamber: Text
    supply: Text
    meter: Text
    temperatures: tuple[Number, ...] | None = None  # degrees Celsius
    expected: Number | None = None  # ppm/C
    tolerance: Number | None = None  # ppm/C
    readings: Whole | None = None  # averaged per temperature
    dut_probe: bool | None = None  # false: the chamber has no product probe (TEMP:PROD?)

    @field_validator("chamber")
    @classmethod
    def _check_chamber(cls, value: str, info: ValidationInfo) -> str:
        scpi_device(info, value, "chamber")
        return value

    @field_validator("supply")
    @classmethod
    def _check_supply(cls, value: str, info: ValidationInfo) -> str:
        scpi_device(info, value, "power_supply")
        return value

    @field_validator("meter")
    @classmethod
    def _check_meter(cls, value: str, info: ValidationInfo) -> str:
        scpi_device(info, value, "multimeter")
        return value

    @field_validator("temperatures")
    @classmethod
    def _check_temperatures(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if len(set(value)) < 2:
            raise ValueError(
                f"{list(value)} has fewer than two distinct temperatures: a slope needs two, "
                "such as [-40, 25, 125]"
            )
        return value

    @field_validator("tolerance")
    @classmethod
    def _check_tolerance(cls, value: float) -> float:
        if value < 0:
            raise ValueError(f"{value:g} is negative: give the allowed distance in ppm/C")
        return value

    @field_validator("readings")
    @classmethod
    def _check_readings(cls, value: int) -> int:
        if not 1 <= value <= MAX_READINGS:
            raise ValueError(
                f"{value} is not allowed: give 1 to {MAX_READINGS} readings per temperature"
            )
        return value

    def overrides(self) -> dict[str, Any]:
        """The :class:`TempcoSettings` fields this step sets."""
        given = {
            "temperatures_c": self.temperatures,
            "expected_ppm_per_c": self.expected,
            "tolerance_ppm_per_c": self.tolerance,
            "readings_per_point": self.readings,
            "dut_probe": self.dut_probe,
        }
        return {key: value for key, value in given.items() if value is not None}

    @model_validator(mode="after")
    def _build_once(self) -> Self:
        try:
            TempcoSettings(**self.overrides())
        except ValueError as error:  # the checks above catch what a plan can give
            raise FieldError("tempco", f"not usable settings: {error}") from None
        return self


class TempcoStep(StepBase):
    """A TempCo sweep over a chamber, a supply and a multimeter, as one step.

    ``device`` is the meter (YAML gives no ``device:``); :attr:`devices` lists
    all three. ``timeout`` bounds each instrument command of the sweep, not the
    sweep: its waits are bounded by :class:`TempcoSettings` (chamber time).
    ``retries`` defaults to 0; like any step's, they repeat a sweep that an instrument
    timeout, a garbled reply or a dropped connection broke (not a chamber that never settles).
    """

    kind: ClassVar[str] = "tempco"
    device: str = ""
    retries: Retries = 0
    tempco: TempcoSpec

    @property
    def chamber(self) -> str:
        """The chamber's plan device name."""
        return self.tempco.chamber

    @property
    def supply(self) -> str:
        """The power supply's plan device name."""
        return self.tempco.supply

    @property
    def meter(self) -> str:
        """The multimeter's plan device name (also :attr:`device`)."""
        return self.tempco.meter

    @property
    def action(self) -> Action:
        """Always ``sweep``."""
        return "sweep"

    @property
    def target(self) -> str:
        """``vout``: the sweep measures the DUT's output voltage."""
        return "vout"

    @property
    def threshold(self) -> Threshold | None:
        """None: the sweep is judged in ppm/C by its settings."""
        return None

    @property
    def devices(self) -> tuple[str, ...]:
        """The chamber, the supply and the meter."""
        return (self.chamber, self.supply, self.meter)

    def settings(self, clock_speed: float = 1.0) -> TempcoSettings:
        """The sweep's settings: the step's values over the defaults, at ``clock_speed``."""
        return TempcoSettings(**self.tempco.overrides(), clock_speed=clock_speed)

    @classmethod
    def check_device(cls, device: str, info: ValidationInfo) -> None:
        """Checked as ``tempco.meter``."""

    @model_validator(mode="before")
    @classmethod
    def _device_is_the_meter(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        if "device" in data:
            raise FieldError(
                "device",
                "a tempco step takes its devices from tempco: chamber, supply and "
                "meter; drop device:",
            )
        spec = data.get("tempco")
        meter = spec.get("meter") if isinstance(spec, dict) else getattr(spec, "meter", None)
        return {**data, "device": meter if isinstance(meter, str) else ""}

    @field_validator("tempco", mode="before")
    @classmethod
    def _check_shape(cls, value: Any) -> Any:
        if not isinstance(value, dict | TempcoSpec):
            raise ValueError(
                "give tempco: {chamber: NAME, supply: NAME, meter: NAME, ...}, not "
                + describe_type(value)
            )
        return value


def point_name(setpoint_c: float) -> str:
    """How a settled temperature is named: ``point_25C``."""
    return f"point_{setpoint_c:g}C"


def _progress(point: TempcoPoint) -> Progress:
    detail = (
        f"measured {point.vout_v:.6g} V at {point.temperature_c:.4g} C "
        f"(setpoint {point.setpoint_c:g} C)"
    )
    return Progress(point_name(point.setpoint_c), detail, point.vout_v, "V", point.readings)


#: Instrument failures that may not recur: the sweep is run again, up to the step's retries.
_TRANSIENT = (InstrumentConnectionError, InstrumentReplyError, InstrumentTimeoutError)


def run(step: TempcoStep, context: StepContext) -> StepOutcome:
    """Sweep, reporting each settled temperature, and judge the fit in ppm/C."""
    chamber, supply, meter = (context.clients[name] for name in step.devices)
    try:
        result = run_sweep(
            chamber.driver(ScpiChamberDriver, step.timeout),
            supply.driver(ScpiPowerSupplyDriver, step.timeout),
            meter.driver(ScpiMultimeterDriver, step.timeout),
            step.settings(clock_speed=context.clock_speed),
            on_point=lambda point: context.progress(_progress(point)),
        )
    except InstrumentError as error:
        if isinstance(error, _TRANSIENT) and not isinstance(error, StabilityTimeoutError):
            raise TransientError(f"instrument error: {error}") from None
        return StepOutcome("error", f"instrument error: {error}")
    expected, band = result.settings.expected_ppm_per_c, result.settings.tolerance_ppm_per_c
    limits = Limits(expected - band, expected + band, expected)
    return StepOutcome(result.verdict, result.detail, result.ppm_per_c, limits, "ppm/C")


def _claims(raw: Mapping[str, Any]) -> bool:
    return "tempco" in raw


KIND = StepKind("tempco", TempcoStep, _claims, run, {"tempco": TempcoSpec})
