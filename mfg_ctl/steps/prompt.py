"""The ``prompt`` step: ask the operator a question and judge the answer.

In a plan (no device: the operator is asked)::

    - name: check_led
      prompt: "Is the power LED green?"
      answers: [yes, no]          # the buttons offered, 1 to 6
      expect: yes                 # the answer that passes; by default the first
      timeout: 300                # seconds to wait for an answer (default 300)

The step passes when the operator gives ``expect``, fails with ``operator
answered no`` on another answer, and is an ``error`` when nobody can answer:
no operator (a batch, ``mfg-ctl run`` away from a terminal), no answer within
``timeout``, or the run was stopped while waiting. Who asks is the run's
``context.ask``: the web UI (:mod:`mfg_ctl.web.prompts`) or ``mfg-ctl run`` at
a terminal. The answer is the step's detail. YAML reads
unquoted ``yes``/``no`` (and ``true``/``false``, ``on``/``off``) as yes/no:
they are taken as the words ``yes`` and ``no``; quote other words.
A plan's ``defaults: timeout`` applies to prompts too: give a prompt its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Self

from pydantic import AfterValidator, ValidationInfo, field_validator, model_validator

from mfg_ctl.steps.contract import (
    DeviceError,
    OperatorPrompt,
    StepContext,
    StepKind,
    StepOutcome,
)
from mfg_ctl.steps.model import StepBase, Text
from mfg_ctl.steps.thresholds import FieldError, Number
from mfg_ctl.wording import clip

__all__ = ["KIND", "OPERATOR", "PromptStep", "prepare", "run", "unanswered"]

#: What a prompt step's ``device`` is: the person at the station.
OPERATOR = "operator"
DEFAULT_PROMPT_TIMEOUT = 300.0  # seconds an operator has to answer
MAX_PROMPT_TIMEOUT = 3600.0
MAX_TEXT = 300  # characters of a question
MAX_ANSWER = 40  # characters of one answer
MAX_ANSWERS = 6


def _prompt_timeout(value: float) -> float:
    if not 0 < value <= MAX_PROMPT_TIMEOUT:
        raise ValueError(
            f"{value:g} s is not a usable timeout for a prompt: give the seconds the operator "
            f"has to answer, above 0 and at most {MAX_PROMPT_TIMEOUT:g}"
        )
    return value


def _as_word(value: Any) -> Any:
    """YAML's yes/no as the words, so ``answers: [yes, no]`` means what it says."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def _answer(value: str) -> str:
    if not value.strip() or len(value) > MAX_ANSWER or not value.isprintable():
        raise ValueError(
            f"{clip(value)} is not a usable answer: give 1 to {MAX_ANSWER} printable characters"
        )
    return value


Answer = Annotated[Text, AfterValidator(_answer)]


class PromptStep(StepBase):
    """Ask the operator ``prompt``; pass when the answer is ``expect``."""

    kind: ClassVar[str] = "prompt"
    device: str = OPERATOR
    prompt: Text
    answers: tuple[Answer, ...] = ("yes", "no")
    expect: Answer | None = None
    timeout: Annotated[Number, AfterValidator(_prompt_timeout)] = DEFAULT_PROMPT_TIMEOUT

    @property
    def action(self) -> str:
        """``prompt``."""
        return "prompt"

    @property
    def target(self) -> str:
        """The question, as asked."""
        return self.prompt

    @property
    def devices(self) -> tuple[str, ...]:
        """None: the operator is no device to connect to."""
        return ()

    @property
    def expected_answer(self) -> str:
        """The answer that passes: ``expect``, else the first answer."""
        return self.expect if self.expect is not None else self.answers[0]

    @classmethod
    def check_device(cls, device: str, info: ValidationInfo) -> None:
        """ValueError unless ``device`` is the operator (a prompt talks to no device)."""
        if device != OPERATOR:
            raise ValueError(
                f"{clip(device)}: a prompt asks the operator, not a device; leave device: out"
            )

    @field_validator("answers", mode="before")
    @classmethod
    def _answers_listed(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple):
            raise ValueError(
                f"{clip(value)} is not a list: give the answers offered, e.g. answers: [yes, no]"
            )
        return [_as_word(answer) for answer in value]

    @field_validator("expect", mode="before")
    @classmethod
    def _expect_word(cls, value: Any) -> Any:
        return _as_word(value)

    @field_validator("prompt")
    @classmethod
    def _check_prompt(cls, value: str) -> str:
        if not value.strip() or len(value) > MAX_TEXT or not value.isprintable():
            raise ValueError(
                f"{clip(value)} is not a usable question: give 1 to {MAX_TEXT} printable "
                "characters on one line"
            )
        return value

    @model_validator(mode="after")
    def _check_answers(self) -> Self:
        if not 1 <= len(self.answers) <= MAX_ANSWERS:
            raise FieldError("answers", f"give 1 to {MAX_ANSWERS} answers, e.g. [yes, no]")
        if len(set(self.answers)) != len(self.answers):
            raise FieldError("answers", "an answer is offered twice: offer each once")
        if self.expect is not None and self.expect not in self.answers:
            raise FieldError(
                "expect",
                f"{clip(self.expect)} is not one of the answers offered "
                f"({', '.join(self.answers)})",
            )
        return self


@dataclass(frozen=True, slots=True)
class PromptAccess:
    """A prompt step resolved once per run: the question and the answer that passes."""

    question: OperatorPrompt
    expected: str


def prepare(step: PromptStep) -> PromptAccess:
    """Resolve ``step`` for :func:`run`."""
    question = OperatorPrompt(step.prompt, step.answers, step.timeout, step.number, step.name)
    return PromptAccess(question, step.expected_answer)


def run(step: PromptAccess, context: StepContext) -> StepOutcome:
    """Ask, wait for the answer, judge it (a DeviceError when nobody answers)."""
    answer = context.ask(step.question)
    if answer == step.expected:
        return StepOutcome("pass", f"operator answered {answer}")
    return StepOutcome("fail", f"operator answered {answer}")


def unanswered(prompt: OperatorPrompt) -> DeviceError:
    """What whoever asks raises when ``prompt`` got no answer within its timeout."""
    return DeviceError(f"no answer from the operator within {prompt.timeout:g} s")


def _claims(raw: Mapping[str, Any]) -> bool:
    return "prompt" in raw


KIND = StepKind("prompt", PromptStep, _claims, run, prepare=prepare)
