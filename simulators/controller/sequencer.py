"""Run a plan's steps in order, judge them, and tell the observers.

The sequencer performs every register operation through a
:class:`~simulators.controller.clients.RegisterClient`, retries what is worth
retrying, and emits one event per thing that happened — it never prints and
never writes files; observers do.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from simulators.controller.clients import (
    RefusedError,
    RegisterClient,
    ScpiCommands,
    TransientError,
    UnreachableError,
)
from simulators.controller.drivers import InstrumentError, ScpiChamber, ScpiDmm, ScpiPowerSupply
from simulators.controller.events import (
    DeviceInfo,
    Event,
    Observer,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    Verdict,
)
from simulators.controller.plan import Plan
from simulators.controller.tempco import run_sweep
from simulators.controller.thresholds import Threshold, judge, write_detail

__all__ = ["RunOutcome", "Sequencer", "select_only_failed"]


@dataclass(frozen=True, slots=True)
class _Step:
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
    source: Any  # the plan step, for kinds that need more (tempco)

    @classmethod
    def of(cls, step: Any) -> _Step:
        if step.kind == "register":
            spec = step.register_spec
            target, write, table, address = step.register, step.write, spec.table, spec.address
        else:
            target, write, table, address = getattr(step, "command", "vout"), None, "", 0
        return cls(
            step.kind, step.number, step.name, step.device, target, step.is_write, write,
            table, address, step.timeout, step.retries, step.threshold, step,
        )


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended, for the CLI's exit status."""

    finished: RunFinished
    unreachable: bool


class Sequencer:
    """Runs one plan against connected devices and emits its events."""

    def __init__(
        self,
        plan: Plan,
        clients: Mapping[str, RegisterClient | ScpiCommands],
        devices: Sequence[DeviceInfo],
        observers: Iterable[Observer],
        framing: str,
        *,
        selected: Sequence[int] = (),
        parent_run_id: str | None = None,
        run_id: str | None = None,
        clock_speed: float = 1.0,
    ) -> None:
        self.plan = plan
        self.clients = clients
        self.devices = tuple(devices)
        self.observers = list(observers)
        self.framing = framing
        self.selected = tuple(selected)
        self.parent_run_id = parent_run_id
        self.run_id = run_id or uuid.uuid4().hex
        self.clock_speed = clock_speed  # simulated instruments run this much faster (TempCo waits)
        self._steps = [_Step.of(step) for step in plan.steps]

    def emit(self, event: Event) -> None:
        """Give ``event`` to every observer, in order."""
        for observer in self.observers:
            observer(event)

    def run(self) -> RunOutcome:
        """Run the selected steps (all by default) and return how it ended."""
        steps = [s for s in self._steps if not self.selected or s.number in self.selected]
        start = time.perf_counter()
        self.emit(
            RunStarted(
                run_id=self.run_id,
                plan_name=self.plan.name,
                plan_path=str(self.plan.path),
                plan_text=self.plan.text,
                devices=self.devices,
                framing=self.framing,
                started_at=datetime.now(UTC),
                step_count=len(steps),
                parent_run_id=self.parent_run_id,
                selected_steps=self.selected,
            )
        )
        results: list[StepFinished] = []
        unreachable = False
        try:
            for step in steps:
                result = self._run_step(step)
                results.append(result)
                self.emit(result)
                if result.verdict == "error" and result.detail.startswith("unreachable:"):
                    unreachable = True
                    break
        except KeyboardInterrupt:
            self.emit(self._finished(results, len(steps), start, aborted=True))
            raise
        finished = self._finished(results, len(steps), start, aborted=unreachable)
        self.emit(finished)
        return RunOutcome(finished, unreachable)

    def _finished(
        self, results: list[StepFinished], planned: int, start: float, aborted: bool
    ) -> RunFinished:
        failures = [r for r in results if r.verdict != "pass"]
        verdict: Verdict = "pass"
        if any(r.verdict == "error" for r in results) or (aborted and not failures):
            verdict = "error"
        if any(r.verdict == "fail" for r in results):
            verdict = "fail"
        return RunFinished(
            run_id=self.run_id,
            verdict=verdict,
            passed=sum(r.verdict == "pass" for r in results),
            failed=sum(r.verdict == "fail" for r in results),
            errors=sum(r.verdict == "error" for r in results),
            duration_s=time.perf_counter() - start,
            finished_at=datetime.now(UTC),
            first_failure=f"{failures[0].number} {failures[0].name}" if failures else None,
            aborted=aborted or len(results) < planned,
        )

    def _run_step(self, step: _Step) -> StepFinished:
        self.emit(StepStarted(self.run_id, step.number, step.name, step.device, datetime.now(UTC)))
        client = self.clients[step.device]
        start = time.perf_counter()
        attempts = 0
        common: dict[str, Any] = {
            "run_id": self.run_id,
            "number": step.number,
            "name": step.name,
            "device": step.device,
            "register": step.target,
            "action": step.source.action if step.kind != "register" else (
                "write" if step.is_write else "read"
            ),
        }
        if step.kind == "tempco":
            return self._tempco(step, common, start)
        while True:
            attempts += 1
            try:
                value = self._perform(step, client)
                break
            except TransientError as error:
                client.close()  # reconnect on the next attempt
                if attempts > step.retries:
                    return StepFinished(
                        **common,
                        verdict="error",
                        detail=f"{error} (after {attempts} attempt{'s' * (attempts > 1)})",
                        measured=None,
                        attempts=attempts,
                        duration_s=time.perf_counter() - start,
                    )
            except (RefusedError, UnreachableError) as error:
                kind = "unreachable" if isinstance(error, UnreachableError) else "refused"
                return StepFinished(
                    **common,
                    verdict="error",
                    detail=f"{kind}: {error}",
                    measured=None,
                    attempts=attempts,
                    duration_s=time.perf_counter() - start,
                )
        duration = time.perf_counter() - start
        if step.is_write:
            detail = f"sent {step.target}" if value is None else write_detail(value, step.target)
            return StepFinished(
                **common,
                verdict="pass",
                detail=detail,
                measured=None,
                attempts=attempts,
                duration_s=duration,
            )
        threshold = step.threshold
        assert threshold is not None  # a read step always has one
        assert value is not None
        judgement = judge(threshold, value)
        return StepFinished(
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

    @staticmethod
    def _perform(step: _Step, client: Any) -> float | None:
        if step.kind == "scpi":
            if step.is_write:
                client.write(step.target, step.timeout)
                return None
            return float(client.query(step.target, step.timeout))
        if step.write is not None:
            client.write(step.address, step.write, step.timeout)
            return step.write
        return int(client.read(step.table, step.address, step.timeout))

    def _tempco(self, step: _Step, common: dict[str, Any], start: float) -> StepFinished:
        """A TempCo sweep over the three instruments the step names, as one step."""
        plan_step = step.source
        links: list[ScpiCommands] = []
        for name in (plan_step.chamber, plan_step.supply, plan_step.meter):
            link = self.clients[name]
            if not isinstance(link, ScpiCommands):  # the plan checks this at load
                raise TypeError(f"{name} is not a SCPI instrument")
            links.append(link)
        try:
            result = run_sweep(
                ScpiChamber(links[0].transport),
                ScpiPowerSupply(links[1].transport),
                ScpiDmm(links[2].transport),
                plan_step.settings(clock_speed=self.clock_speed),
            )
        except InstrumentError as error:
            return StepFinished(
                **common, verdict="error", detail=f"instrument error: {error}", measured=None,
                duration_s=time.perf_counter() - start,
            )
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


def select_only_failed(plan: Plan, failed_numbers: Iterable[int]) -> list[int]:
    """The steps an ``--only-failed`` re-run executes, in plan order.

    The rule: every step that did not pass last time, plus every write step
    that comes before one of them on the same device (the state it reads or
    writes depends on those writes). Reads that passed are not repeated.
    """
    failed = set(failed_numbers)
    selected = set(failed)
    for step in plan.steps:
        if step.number in failed:
            selected.update(
                earlier.number
                for earlier in plan.steps[: step.number - 1]
                if earlier.is_write and earlier.device == step.device
            )
    return sorted(selected)
