"""Perform one plan step through its kind and turn the outcome into one event.

The sequencer's inner loop, for every kind alike: the step's kind (found in
:mod:`mfg_ctl.steps.registry`) runs it and returns a
:class:`~mfg_ctl.steps.contract.StepOutcome`; a
:class:`~mfg_ctl.steps.contract.TransientError` closes the step's devices and
runs it again after the step's ``retry_delay``, up to its ``retries``; any
other :class:`~mfg_ctl.steps.contract.DeviceError` makes it an ``error`` (and
an unreachable device ends the run). Each attempt is handed to the caller as
a :class:`~mfg_ctl.run.events.StepAttempt` as it ends. Nothing here knows a
step kind, a driver or an instrument, and nothing here emits events itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mfg_ctl.run.events import StepAttempt, StepFinished
from mfg_ctl.steps.contract import (
    DeviceError,
    StepContext,
    StepOutcome,
    TransientError,
    UnreachableError,
)
from mfg_ctl.steps.model import StepBase
from mfg_ctl.steps.registry import step_kinds

__all__ = ["ResolvedStep", "perform_step"]


@dataclass(frozen=True, slots=True)
class ResolvedStep:
    """A plan step and its kind's ``run``, with what every event needs read once."""

    number: int
    name: str
    device: str
    devices: tuple[str, ...]
    target: str
    action: str
    retries: int
    teardown: bool
    step: Any  # what the kind's run takes: the plan step, as its kind prepared it
    run: Callable[[Any, StepContext], StepOutcome]
    retry_delay: float = 0.0
    on_exhausted: str = "continue"
    requirements: tuple[str, ...] = ()

    @classmethod
    def of(cls, step: StepBase) -> ResolvedStep:
        """Resolve a validated plan step (KeyError if its kind is not registered)."""
        kind = step_kinds()[step.kind]
        return cls(
            step.number,
            step.name,
            step.device,
            step.devices,
            step.target,
            step.action,
            step.retries,
            step.teardown,
            kind.prepare(step),
            kind.run,
            step.retry_delay,
            step.on_exhausted,
            tuple(step.requirements),
        )


#: Why the run ended when a kind says so in its outcome.
UNREACHABLE = "a device could not be reached"


def _ignore(attempt: StepAttempt) -> None:
    """Nobody listens."""


def perform_step(
    step: ResolvedStep,
    context: StepContext,
    on_attempt: Callable[[StepAttempt], None] = _ignore,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[StepFinished, str | None]:
    """Run ``step`` (retrying what is worth it): its event, and why the run ends if it must.

    The run ends when the step's device could not be reached (an
    :class:`~mfg_ctl.steps.contract.UnreachableError`, or an outcome saying
    ``unreachable``): nothing after it can be trusted to reach that device.
    ``on_attempt`` hears every attempt as it ends; ``sleep`` waits the
    ``retry_delay`` between two attempts.
    """
    start = time.perf_counter()
    attempts = 0
    codes: list[str] = []
    ends_run: str | None = None
    while True:
        attempts += 1
        began = datetime.now(UTC)
        retry = False
        try:
            outcome = step.run(step.step, context)
        except TransientError as error:
            for device in step.devices:  # reconnect on the next attempt
                context.clients[device].close()
            retry = attempts <= step.retries
            reason = error.reason
            if not retry:
                reason = f"{reason} (after {attempts} attempt{'s' * (attempts > 1)})"
            outcome = StepOutcome("error", reason, error_code=error.code)
        except UnreachableError as error:
            outcome = StepOutcome("error", error.reason, unreachable=True, error_code=error.code)
            ends_run = error.why_the_run_ended(step.device)
        except DeviceError as error:
            outcome = StepOutcome("error", error.reason, error_code=error.code)
        if outcome.error_code:
            codes.append(outcome.error_code)
        on_attempt(_attempt(step, context.run_id, attempts, outcome, began))
        if not retry:
            break
        if step.retry_delay:
            sleep(step.retry_delay)
    if outcome.unreachable and ends_run is None:
        ends_run = UNREACHABLE
    limits = outcome.limits
    finished = StepFinished(
        run_id=context.run_id,
        number=step.number,
        name=step.name,
        device=step.device,
        target=step.target,
        action=step.action,
        verdict=outcome.status,
        detail=outcome.reason,
        measured=outcome.value,
        expected=None if limits is None else limits.expected,
        low=None if limits is None else limits.low,
        high=None if limits is None else limits.high,
        attempts=attempts,
        duration_s=time.perf_counter() - start,
        teardown=step.teardown,
        unit=outcome.unit,
        error_code=outcome.error_code,
        error_codes=tuple(codes),
        requirements=step.requirements,
    )
    return finished, ends_run


def _attempt(
    step: ResolvedStep, run_id: str, attempt: int, outcome: StepOutcome, began: datetime
) -> StepAttempt:
    limits = outcome.limits
    return StepAttempt(
        run_id=run_id,
        number=step.number,
        name=step.name,
        attempt=attempt,
        status=outcome.status,
        reason=outcome.reason,
        value=outcome.value,
        low=None if limits is None else limits.low,
        high=None if limits is None else limits.high,
        unit=outcome.unit,
        error_code=outcome.error_code,
        started_at=began,
        finished_at=datetime.now(UTC),
    )
