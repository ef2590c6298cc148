"""Perform one plan step through its kind and turn the outcome into one event.

The sequencer's inner loop, for every kind alike: the step's kind (found in
:mod:`mfg_ctl.steps.registry`) runs it and returns a
:class:`~mfg_ctl.steps.contract.StepOutcome`; a
:class:`~mfg_ctl.steps.contract.TransientError` closes the step's devices and
runs it again, up to the step's ``retries``; any other
:class:`~mfg_ctl.steps.contract.DeviceError` makes it an ``error`` (and an
unreachable device ends the run). Nothing here knows a step kind, a driver or
an instrument, and nothing here emits events.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mfg_ctl.run.events import StepFinished
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
        )


#: Why the run ended when a kind says so in its outcome.
UNREACHABLE = "a device could not be reached"


def perform_step(step: ResolvedStep, context: StepContext) -> tuple[StepFinished, str | None]:
    """Run ``step`` (retrying what is worth it): its event, and why the run ends if it must.

    The run ends when the step's device could not be reached (an
    :class:`~mfg_ctl.steps.contract.UnreachableError`, or an outcome saying
    ``unreachable``): nothing after it can be trusted to reach that device.
    """
    start = time.perf_counter()
    attempts = 0
    ends_run: str | None = None
    while True:
        attempts += 1
        try:
            outcome = step.run(step.step, context)
            break
        except TransientError as error:
            for device in step.devices:  # reconnect on the next attempt
                context.clients[device].close()
            if attempts > step.retries:
                plural = "s" * (attempts > 1)
                outcome = StepOutcome("error", f"{error.reason} (after {attempts} attempt{plural})")
                break
        except UnreachableError as error:
            outcome = StepOutcome("error", error.reason, unreachable=True)
            ends_run = error.why_the_run_ended(step.device)
            break
        except DeviceError as error:
            outcome = StepOutcome("error", error.reason)
            break
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
    )
    return finished, ends_run
