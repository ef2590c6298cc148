"""Perform one plan step on its device(s) and judge it: the sequencer's inner loop.

A step becomes exactly one :class:`~mfg_ctl.events.StepFinished`:
the reading judged by its threshold, the write confirmed, or an ``error``
saying why no trustworthy measurement was made. Retries happen here (after a
reconnect), bounded by the step's ``retries``; nothing here emits events.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mfg_ctl.clients import (
    FramingMismatchError,
    RefusedError,
    RegisterClient,
    ScpiCommands,
    TransientError,
    UnreachableError,
)
from mfg_ctl.drivers import InstrumentError, ScpiChamber, ScpiDmm, ScpiPowerSupply
from mfg_ctl.events import StepFinished
from mfg_ctl.tempco import run_sweep
from mfg_ctl.thresholds import Threshold, judge, write_detail

__all__ = ["ResolvedStep", "StepOutcome", "perform_step"]


@dataclass(frozen=True, slots=True)
class ResolvedStep:
    """A plan step resolved once into plain fields: the hot loop reads no pydantic model."""

    kind: str  # "register", "scpi" or "tempco"
    number: int
    name: str
    device: str
    target: str  # the register, or the SCPI command
    is_write: bool
    write: int | None
    table: str
    address: int
    timeout: float
    retries: int
    threshold: Threshold | None
    teardown: bool
    source: Any  # the plan step, for kinds that need more (tempco)

    @classmethod
    def of(cls, step: Any) -> ResolvedStep:
        """Resolve a validated plan step."""
        if step.kind == "register":
            spec = step.register_spec
            target, write, table, address = step.register, step.write, spec.table, spec.address
        else:
            target, write, table, address = getattr(step, "command", "vout"), None, "", 0
        return cls(
            step.kind,
            step.number,
            step.name,
            step.device,
            target,
            step.is_write,
            write,
            table,
            address,
            step.timeout,
            step.retries,
            step.threshold,
            step.teardown,
            step,
        )


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """A finished step, and whether it ends the run (its device is not there to talk to)."""

    finished: StepFinished
    aborts: bool = False


def perform_step(
    step: ResolvedStep,
    clients: Mapping[str, RegisterClient | ScpiCommands],
    run_id: str,
    clock_speed: float = 1.0,
) -> StepOutcome:
    """Run ``step`` against its client (retrying what is worth it) and judge the outcome.

    An unreachable device, or one that answers only in the other Modbus framing,
    aborts the run: nothing after it can be trusted to reach that device.
    """
    client = clients[step.device]
    start = time.perf_counter()
    common: dict[str, Any] = {
        "run_id": run_id,
        "number": step.number,
        "name": step.name,
        "device": step.device,
        "register": step.target,
        "action": step.source.action
        if step.kind != "register"
        else ("write" if step.is_write else "read"),
        "teardown": step.teardown,
    }
    if step.kind == "tempco":
        return StepOutcome(_tempco(step, clients, common, start, clock_speed))
    attempts = 0
    while True:
        attempts += 1
        try:
            value = _perform(step, client)
            break
        except TransientError as error:
            client.close()  # reconnect on the next attempt
            if attempts > step.retries:
                plural = "s" * (attempts > 1)
                detail = f"{error} (after {attempts} attempt{plural})"
                return StepOutcome(_error(common, detail, attempts, start))
        except (RefusedError, UnreachableError) as error:
            return _not_performed(error, common, attempts, start)
    duration = time.perf_counter() - start
    if step.is_write:
        detail = f"sent {step.target}" if value is None else write_detail(value, step.target)
        return StepOutcome(
            StepFinished(
                **common,
                verdict="pass",
                detail=detail,
                measured=None,
                attempts=attempts,
                duration_s=duration,
            )
        )
    threshold = step.threshold
    assert threshold is not None  # a read step always has one
    assert value is not None
    judgement = judge(threshold, value)
    return StepOutcome(
        StepFinished(
            **common,
            verdict="pass" if judgement.passed else "fail",
            detail=judgement.detail,
            measured=value,
            expected=getattr(threshold, "expected", None),
            low=threshold.low,
            high=threshold.high,
            attempts=attempts,
            duration_s=duration,
        )
    )


def _not_performed(
    error: RefusedError | UnreachableError, common: dict[str, Any], attempts: int, start: float
) -> StepOutcome:
    """A refusal (the step is an error), or no device to talk to (the run ends)."""
    if isinstance(error, FramingMismatchError):  # found out on the first failure: no retry
        return StepOutcome(_error(common, str(error), attempts, start), aborts=True)
    if isinstance(error, UnreachableError):
        return StepOutcome(_error(common, f"unreachable: {error}", attempts, start), aborts=True)
    return StepOutcome(_error(common, f"refused: {error}", attempts, start))


def _error(common: dict[str, Any], detail: str, attempts: int, start: float) -> StepFinished:
    return StepFinished(
        **common,
        verdict="error",
        detail=detail,
        measured=None,
        attempts=attempts,
        duration_s=time.perf_counter() - start,
    )


def _perform(step: ResolvedStep, client: Any) -> float | None:
    if step.kind == "scpi":
        if step.is_write:
            client.write(step.target, step.timeout)
            return None
        return float(client.query(step.target, step.timeout))
    if step.write is not None:
        client.write(step.address, step.write, step.timeout)
        return step.write
    return int(client.read(step.table, step.address, step.timeout))


def _tempco(
    step: ResolvedStep,
    clients: Mapping[str, RegisterClient | ScpiCommands],
    common: dict[str, Any],
    start: float,
    clock_speed: float,
) -> StepFinished:
    """A TempCo sweep over the three instruments the step names, as one step."""
    plan_step = step.source
    links: list[ScpiCommands] = []
    for name in (plan_step.chamber, plan_step.supply, plan_step.meter):
        link = clients[name]
        if not isinstance(link, ScpiCommands):  # the plan checks this at load
            raise TypeError(f"{name} is not a SCPI instrument")
        links.append(link)
    try:
        result = run_sweep(
            ScpiChamber(links[0].transport),
            ScpiPowerSupply(links[1].transport),
            ScpiDmm(links[2].transport),
            plan_step.settings(clock_speed=clock_speed),
        )
    except InstrumentError as error:
        return _error(common, f"instrument error: {error}", 1, start)
    settings = result.settings
    return StepFinished(
        **common,
        verdict=result.verdict,
        detail=result.detail,
        measured=result.ppm_per_c,
        expected=settings.expected_ppm_per_c,
        low=settings.expected_ppm_per_c - settings.tolerance_ppm_per_c,
        high=settings.expected_ppm_per_c + settings.tolerance_ppm_per_c,
        duration_s=time.perf_counter() - start,
    )
