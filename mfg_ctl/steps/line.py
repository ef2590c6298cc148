"""The ``line`` step: send one command line to a line device (the dut), or ask and judge its reply.

In a plan, against a device declared ``line: dut``::

    - name: power_on
      device: dut
      send: "POWER ON"           # the reply must be OK
    - name: identify
      device: dut
      ask: "*IDN?"
      match: "DUT-1000"          # the reply must contain this text
    - name: output_voltage
      device: dut
      ask: "MEAS:VOLT?"
      expected: 5.0
      tolerance: 0.06
      unit: V

A reply ``ERR E<nnn> text`` makes the attempt an error carrying the code
``E<nnn>``; ``E2xx`` (the unit faulted) is retried up to the step's
``retries``, other codes are not (:func:`mfg_ctl.clients.line_error`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import ValidationInfo, field_validator, model_validator

from mfg_ctl.steps.contract import Limits, StepContext, StepKind, StepOutcome, TransientError
from mfg_ctl.steps.model import Action, StepBase, Text, catalog_of
from mfg_ctl.steps.scpi import command_line
from mfg_ctl.steps.thresholds import FieldError, Threshold, ThresholdFields, judge
from mfg_ctl.wording import clip

__all__ = ["KIND", "LineAccess", "LineStep", "prepare", "run"]

#: The longest text a ``match:`` may look for, and a ``unit:``.
MAX_MATCH = 200
MAX_UNIT = 16


class LineStep(StepBase, ThresholdFields):
    """Send a command line (``send``), or ``ask`` and judge its reply (threshold or ``match``)."""

    kind: ClassVar[str] = "line"
    send: Text | None = None
    ask: Text | None = None
    match: Text | None = None
    unit: Text = ""

    @property
    def command(self) -> str:
        """The command line, as sent."""
        command = self.ask if self.ask is not None else self.send
        assert command is not None, "validated line steps always have a command"
        return command

    @property
    def action(self) -> Action:
        """``send`` or ``ask``."""
        return "send" if self.send is not None else "ask"

    @property
    def target(self) -> str:
        """The command line, as sent."""
        return self.command

    @classmethod
    def check_device(cls, device: str, info: ValidationInfo) -> None:
        """ValueError unless ``device`` is declared ``line:`` in the plan."""
        catalog = catalog_of(info)
        if info.context:
            catalog.line_kind(device)

    @field_validator("send", "ask", "match", "unit", mode="before")
    @classmethod
    def _not_a_yaml_boolean(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, bool):  # match: ON is read by YAML as true
            raise ValueError(
                f"{str(value).lower()}: YAML reads ON, OFF, yes, no, true and false unquoted as "
                f'yes/no; quote the text, e.g. {info.field_name}: "ON"'
            )
        return value

    @field_validator("send", "ask")
    @classmethod
    def _check_line(cls, value: str) -> str:
        return command_line(value, 'ask: "MEAS:VOLT?"', "device")

    @field_validator("match")
    @classmethod
    def _check_match(cls, value: str) -> str:
        if not value or len(value) > MAX_MATCH:
            raise ValueError(f"give the text the reply must contain, 1 to {MAX_MATCH} characters")
        return value

    @field_validator("unit")
    @classmethod
    def _check_unit(cls, value: str) -> str:
        if len(value) > MAX_UNIT or not value.isprintable():
            raise ValueError(f"{clip(value)} is not a unit: give at most {MAX_UNIT} characters")
        return value

    @model_validator(mode="after")
    def _resolve(self) -> Self:
        given = self.given_thresholds()
        if self.send is not None and self.ask is not None:
            raise FieldError("ask", "give send: or ask:, not both; make them two steps")
        if self.send is not None:
            if given or self.match is not None:
                field = given[0] if given else "match"
                raise FieldError(field, "a send step takes no threshold: judge a reply with ask:")
        elif self.ask is None:
            raise FieldError("ask", 'missing; give ask: "MEAS:VOLT?" or send: "POWER ON"')
        elif self.match is not None and given:
            raise FieldError(given[0], "give match: or a threshold, not both")
        elif self.match is None:
            if not given:
                raise FieldError(
                    "expected",
                    "missing; judge the reply by expected + tolerance, range: [low, high] or "
                    "match: TEXT",
                )
            self._threshold = self.build_threshold()
        return self


@dataclass(frozen=True, slots=True)
class LineAccess:
    """A line step resolved once per run into what each attempt reads."""

    device: str
    command: str
    is_send: bool
    timeout: float
    match: str | None
    threshold: Threshold | None
    limits: Limits | None
    unit: str


def prepare(step: LineStep) -> LineAccess:
    """Resolve ``step`` for :func:`run`."""
    threshold = step.threshold
    limits = None
    if threshold is not None:
        limits = Limits(threshold.low, threshold.high, getattr(threshold, "expected", None))
    return LineAccess(
        step.device, step.command, step.send is not None, step.timeout, step.match, threshold,
        limits, step.unit,
    )


def run(step: LineAccess, context: StepContext) -> StepOutcome:
    """Send the line; judge the reply of an ``ask`` by its threshold or its ``match``."""
    reply = context.clients[step.device].ask(step.command, step.timeout)
    shown = clip(reply)
    if step.is_send:
        if reply.strip() != "OK":
            return StepOutcome("fail", f"sent {step.command}, replied {shown} instead of OK")
        return StepOutcome("pass", f"sent {step.command}")
    if step.match is not None:
        found = step.match in reply
        verb = "contains" if found else "does not contain"
        detail = f"replied {shown}, which {verb} {step.match!r}"
        return StepOutcome("pass" if found else "fail", detail)
    try:
        value = float(reply)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise TransientError(f"{step.command} replied {shown}, not a number")
    assert step.threshold is not None  # an ask step without match has one
    judgement = judge(step.threshold, value)
    return StepOutcome(
        "pass" if judgement.passed else "fail", judgement.detail, value, step.limits, step.unit
    )


def _claims(raw: Mapping[str, Any]) -> bool:
    return "send" in raw or "ask" in raw


KIND = StepKind("line", LineStep, _claims, run, prepare=prepare)
