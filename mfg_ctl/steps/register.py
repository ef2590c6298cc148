"""The ``register`` step: write one value to a Modbus register, or read one and judge it.

In a plan::

    - name: set_voltage
      device: power_supply
      register: voltage_setpoint
      write: 1200
    - name: check_voltage
      device: power_supply
      register: voltage_readback
      expected: 1200
      tolerance: 25

The register resolves against the device's profile when the plan loads; the
step runs through the device's :class:`~mfg_ctl.clients.RegisterClient`.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import PrivateAttr, ValidationInfo, field_validator, model_validator

from mfg_ctl.steps.contract import Limits, StepContext, StepKind, StepOutcome
from mfg_ctl.steps.model import Action, StepBase, Whole, catalog_of
from mfg_ctl.steps.thresholds import FieldError, Threshold, ThresholdFields, judge, write_detail
from mfg_ctl.wording import clip
from simulators.profiles import RegisterSpec

__all__ = ["KIND", "RegisterAccess", "RegisterStep", "prepare", "run"]


def _register_of(info: ValidationInfo) -> RegisterSpec | None:
    device, register = info.data.get("device"), info.data.get("register")
    if device is None or register is None:
        return None  # already reported
    return catalog_of(info).profile(device).register(register)


# ``register`` is also ABCMeta.register on every pydantic class; the field is
# what instances see, so pydantic's warning about the shadowing is noise here.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", 'Field name "register"', UserWarning)

    class RegisterStep(StepBase, ThresholdFields):
        """Write one value to a Modbus register, or read one and judge it by one threshold."""

        kind: ClassVar[str] = "register"
        register: str
        write: Whole | None = None
        _spec: RegisterSpec | None = PrivateAttr(default=None)

        @property
        def register_spec(self) -> RegisterSpec:
            """The register from the device's profile: table, address, accepted values."""
            assert self._spec is not None, "validated steps always have their register"
            return self._spec

        @property
        def action(self) -> Action:
            """``write`` or ``read``."""
            return "write" if self.write is not None else "read"

        @property
        def target(self) -> str:
            """The register's name."""
            return self.register

        @field_validator("register")
        @classmethod
        def _check_register(cls, value: str, info: ValidationInfo) -> str:
            device = info.data.get("device")
            if device is not None:
                profile = catalog_of(info).profile(device)
                known = [register.name for register in profile.registers]
                if value not in known:
                    close = difflib.get_close_matches(value, known, n=1)
                    hint = f"did you mean {close[0]}? " if close else ""
                    raise ValueError(
                        f"{device} has no register {clip(value)} ({hint}registers: "
                        f"{', '.join(known)})"
                    )
            return value

        @field_validator("write")
        @classmethod
        def _check_write(cls, value: int, info: ValidationInfo) -> int:
            spec = _register_of(info)
            if spec is None:
                return value
            if not spec.writable:
                raise ValueError(
                    f"{spec.name} is read-only ({spec.table} register): judge it with a threshold, "
                    "or write a holding register"
                )
            if not (0 <= value <= 0xFFFF and spec.accepts(value)):
                raise ValueError(
                    f"{value} is not accepted by {spec.name} (accepted: {spec.describe_values()})"
                )
            return value

        @model_validator(mode="after")
        def _resolve(self, info: ValidationInfo) -> Self:
            if self.write is not None:
                given = self.given_thresholds()
                if given:
                    raise FieldError(
                        given[0], "a write step takes no threshold: judge the value in a read step"
                    )
            else:
                self._threshold = self.build_threshold()
            self._spec = catalog_of(info).profile(self.device).register(self.register)
            return self


@dataclass(frozen=True, slots=True)
class RegisterAccess:
    """A register step resolved once per run into what each attempt reads: plain fields."""

    device: str
    register: str
    table: str
    address: int
    write: int | None
    timeout: float
    threshold: Threshold | None
    limits: Limits | None


def prepare(step: RegisterStep) -> RegisterAccess:
    """Resolve ``step`` for :func:`run`: its register's table and address, its limits."""
    spec, threshold = step.register_spec, step.threshold
    limits = None
    if threshold is not None:
        limits = Limits(threshold.low, threshold.high, getattr(threshold, "expected", None))
    return RegisterAccess(
        step.device, step.register, spec.table, spec.address, step.write, step.timeout,
        threshold, limits,
    )


def run(step: RegisterAccess, context: StepContext) -> StepOutcome:
    """Write the value, or read the register and judge it by the step's threshold."""
    client = context.clients[step.device]
    if step.write is not None:
        client.write(step.address, step.write, step.timeout)
        return StepOutcome("pass", write_detail(step.write, step.register))
    value = int(client.read(step.table, step.address, step.timeout))
    assert step.threshold is not None  # a read step always has one
    judgement = judge(step.threshold, value)
    return StepOutcome(
        "pass" if judgement.passed else "fail", judgement.detail, value, step.limits
    )


def _claims(raw: Mapping[str, Any]) -> bool:
    return "register" in raw


KIND = StepKind("register", RegisterStep, _claims, run, prepare=prepare)
