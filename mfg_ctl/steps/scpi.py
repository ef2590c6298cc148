"""The ``scpi`` step: send one SCPI command, or query one number and judge it.

In a plan, against an instrument declared ``scpi: KIND``::

    - name: set_supply_voltage
      device: supply
      write: "VOLT 5"          # sent, then SYST:ERR? must be empty
    - name: check_ldo_output
      device: meter
      query: "MEAS:VOLT:DC?"
      expected: 3.3
      tolerance: 0.05

It runs through the instrument's :class:`~mfg_ctl.clients.ScpiCommands`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import ValidationInfo, field_validator, model_validator

from mfg_ctl.steps.contract import Limits, StepContext, StepKind, StepOutcome
from mfg_ctl.steps.model import Action, StepBase, Text, scpi_device
from mfg_ctl.steps.thresholds import FieldError, Threshold, ThresholdFields, judge
from mfg_ctl.wording import CUSTOM_PREFIX, clip, control_character

__all__ = ["KIND", "MAX_COMMAND", "ScpiAccess", "ScpiStep", "command_line", "prepare", "run"]

MAX_COMMAND = 256  # characters in one SCPI command


def command_line(value: str, example: str = 'query: "MEAS:VOLT:DC?"', what: str = "SCPI") -> str:
    """A command as sent: stripped, one line, not empty, at most MAX_COMMAND characters, no
    control characters and no simulator custom command (``what`` names the protocol)."""
    command = value.strip()
    if not command:
        raise ValueError(f"empty: give a {what} command, such as {example}")
    if "\n" in command or "\r" in command:
        raise ValueError(f"{clip(command)} spans lines: give one command per step, on one line")
    if len(command) > MAX_COMMAND:
        raise ValueError(
            f"{len(command)} characters is too long for a command: give at most {MAX_COMMAND}"
        )
    if found := control_character(command):
        raise ValueError(f"{clip(command)} contains the control character {found}: remove it")
    if CUSTOM_PREFIX in command:
        raise ValueError(
            f"{clip(command)} contains {CUSTOM_PREFIX}, which starts a simulator's custom "
            f"command (a fault or a reset), not a {what} command: send faults with mfg-ctl "
            "simulate-fault"
        )
    return command


class ScpiStep(StepBase, ThresholdFields):
    """Send one SCPI command (``write``), or query one number and judge it by one threshold."""

    kind: ClassVar[str] = "scpi"
    query: Text | None = None
    write: Text | None = None

    @property
    def command(self) -> str:
        """The query or the command, as sent (stripped)."""
        command = self.query if self.query is not None else self.write
        assert command is not None, "validated SCPI steps always have a command"
        return command

    @property
    def action(self) -> Action:
        """``write`` or ``query``."""
        return "write" if self.write is not None else "query"

    @property
    def target(self) -> str:
        """The command, as sent."""
        return self.command

    @classmethod
    def check_device(cls, device: str, info: ValidationInfo) -> None:
        """ValueError unless ``device`` is declared ``scpi:`` in the plan."""
        scpi_device(info, device)

    @field_validator("query")
    @classmethod
    def _check_query(cls, value: str) -> str:
        command = command_line(value)
        if not command.endswith("?"):
            raise ValueError(
                f"{clip(command)} is not a query (no ? at the end): send a command with write:"
            )
        return command

    @field_validator("write")
    @classmethod
    def _check_write(cls, value: str) -> str:
        command = command_line(value)
        if command.endswith("?"):
            raise ValueError(
                f"{clip(command)} is a query (ends with ?): read it with query: and a threshold"
            )
        return command

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        if self.query is not None and self.write is not None:
            raise FieldError("write", "give query: or write:, not both; make them two steps")
        if self.write is not None:
            given = self.given_thresholds()
            if given:
                raise FieldError(
                    given[0], "a write step takes no threshold: judge the value in a query step"
                )
        elif self.query is None:
            raise FieldError("query", 'missing; give query: "MEAS:VOLT:DC?" or write: "VOLT 5"')
        else:
            self._threshold = self.build_threshold()
        return self


@dataclass(frozen=True, slots=True)
class ScpiAccess:
    """A SCPI step resolved once per run into what each attempt reads: plain fields."""

    device: str
    command: str
    is_write: bool
    timeout: float
    threshold: Threshold | None
    limits: Limits | None


def prepare(step: ScpiStep) -> ScpiAccess:
    """Resolve ``step`` for :func:`run`: its command and its limits."""
    threshold = step.threshold
    limits = None
    if threshold is not None:
        limits = Limits(threshold.low, threshold.high, getattr(threshold, "expected", None))
    return ScpiAccess(step.device, step.command, step.is_write, step.timeout, threshold, limits)


def run(step: ScpiAccess, context: StepContext) -> StepOutcome:
    """Send the command, or query the number and judge it by the step's threshold."""
    client = context.clients[step.device]
    if step.is_write:
        client.write(step.command, step.timeout)
        return StepOutcome("pass", f"sent {step.command}")
    value = float(client.query(step.command, step.timeout))
    assert step.threshold is not None  # a query step always has one
    judgement = judge(step.threshold, value)
    return StepOutcome(
        "pass" if judgement.passed else "fail", judgement.detail, value, step.limits
    )


def _claims(raw: Mapping[str, Any]) -> bool:
    return "query" in raw or isinstance(raw.get("write"), str)


KIND = StepKind("scpi", ScpiStep, _claims, run, prepare=prepare)
