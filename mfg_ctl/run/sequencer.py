"""Run a plan's steps in order, judge them, and tell the observers.

The sequencer orders the steps, has each performed by its kind
(:mod:`mfg_ctl.run.step_runner`: retries, the outcome as an event), runs the
teardown and emits one event per thing that happened — it never prints and
never writes files; observers do. It knows no step kind, driver or
instrument: the kinds are plug-ins (:mod:`mfg_ctl.steps`).

How a run ends, whatever happens:

* the main steps run in order until the last, an unreachable device (or one
  speaking the other Modbus framing), Ctrl-C / SIGTERM, :meth:`Sequencer.request_stop`
  (a web UI's stop button), an observer that fails (the run store cannot
  write), or a step that did not pass after all
  its attempts and whose ``on_exhausted`` says to stop: ``skip-rest`` records
  the remaining main steps as ``skipped`` (the run fails), ``abort-unit`` and
  ``abort-batch`` end the run as aborted (``RunFinished.stopped_by`` says which;
  a batch stops starting units on ``abort-batch``);
* the plan's ``teardown:`` steps then always run, each on its own (a failing
  one does not stop the next), so a supply left on is switched off;
* ``RunFinished`` goes to every observer that still works;
* an interrupt is raised again; else an observer's failure is raised as
  :class:`ObserverError`; else the :class:`RunOutcome` is returned.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mfg_ctl.plan import Plan
from mfg_ctl.run.events import (
    NO_UNIT,
    DeviceInfo,
    Event,
    Observer,
    RunFinished,
    RunStarted,
    StepAttempt,
    StepFinished,
    StepProgress,
    StepStarted,
    UnitIdentity,
    Verdict,
)
from mfg_ctl.run.step_runner import ResolvedStep, perform_step
from mfg_ctl.steps.contract import OperatorPrompt, Progress, StepContext, no_operator

__all__ = ["ObserverError", "RunOutcome", "Sequencer", "Terminated", "select_only_failed"]


class Terminated(BaseException):
    """The process was asked to terminate (SIGTERM): handled like Ctrl-C, exit status 143."""


class ObserverError(Exception):
    """An observer failed during a run: the run was stopped, torn down and ended as aborted.

    ``error`` is what the observer raised (a ``StoreError`` when the run store
    could not write); ``run_id`` names the run.
    """

    def __init__(self, run_id: str, observer: Observer, error: Exception) -> None:
        super().__init__(f"{type(error).__name__}: {error}")
        self.run_id = run_id
        self.observer = observer
        self.error = error


@dataclass(frozen=True)
class RunOutcome:
    """How a run ended, for the CLI's exit status.

    ``ended_because`` says why an unreachable device ended the run ("" if none did).
    """

    finished: RunFinished
    unreachable: bool
    ended_because: str = ""


class Sequencer:
    """Runs one plan against connected devices and emits its events."""

    def __init__(
        self,
        plan: Plan,
        clients: Mapping[str, Any],
        devices: Sequence[DeviceInfo],
        observers: Iterable[Observer],
        framing: str,
        *,
        selected: Sequence[int] = (),
        parent_run_id: str | None = None,
        run_id: str | None = None,
        clock_speed: float = 1.0,
        devices_from: str = "",
        identity: UnitIdentity = NO_UNIT,
        sleep: Callable[[float], None] = time.sleep,
        ask: Callable[[OperatorPrompt], str] = no_operator,
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
        self.devices_from = devices_from  # where the devices are, for the report
        self.identity = identity  # which unit this run tests
        self.sleep = sleep  # waits a step's retry_delay (tests pass their own)
        self._steps = [ResolvedStep.of(step) for step in plan.steps]
        self._teardown = [ResolvedStep.of(step) for step in plan.teardown]
        self._failure: ObserverError | None = None
        # ask: who answers prompt steps (the web UI's operator); by default nobody, an error step
        self._context = StepContext(clients, self.run_id, clock_speed, self._progress, ask)
        self._current: ResolvedStep | None = None
        self._stop_asked = threading.Event()

    def request_stop(self) -> None:
        """Ask the run to stop at the next step boundary (thread-safe): the teardown still
        runs and the run ends as aborted. What a web UI's stop button does."""
        self._stop_asked.set()

    def emit(self, event: Event) -> None:
        """Give ``event`` to every working observer, in order.

        An observer that raises is dropped (it gets nothing more) and the run
        stops at the next step boundary; the others keep hearing everything.
        """
        for observer in list(self.observers):
            try:
                observer(event)
            except Exception as error:  # any observer failure stops the run
                self.observers.remove(observer)
                if self._failure is None:
                    self._failure = ObserverError(self.run_id, observer, error)

    def run(self) -> RunOutcome:
        """Run the selected steps (all by default), then the teardown; return how it ended."""
        steps = [s for s in self._steps if not self.selected or s.number in self.selected]
        planned = len(steps) + len(self._teardown)
        start = time.perf_counter()
        results: list[StepFinished] = []
        ended_because = ""
        stopped_by = ""
        interrupt: BaseException | None = None
        try:
            self.emit(self._started(planned))
            for place, step in enumerate(steps):
                if self._failure is not None or self._stop_asked.is_set():
                    break
                result, ends_run = self._step(step)
                results.append(result)
                if ends_run is not None:
                    ended_because = ends_run
                    break
                if result.verdict != "pass" and step.on_exhausted != "continue":
                    if step.on_exhausted == "skip-rest":
                        results += [self._skip(rest, step) for rest in steps[place + 1 :]]
                    else:
                        stopped_by = step.on_exhausted
                    break
        except (KeyboardInterrupt, Terminated) as stop:
            interrupt = stop
        interrupt = self._tear_down(results) or interrupt
        aborted = (
            bool(ended_because)
            or interrupt is not None
            or self._failure is not None
            or self._stop_asked.is_set()
        )
        finished = self._finished(results, planned, start, aborted=aborted, stopped_by=stopped_by)
        self.emit(finished)
        if interrupt is not None:
            raise interrupt
        if self._failure is not None:
            raise self._failure
        return RunOutcome(finished, bool(ended_because), ended_because)

    def _started(self, planned: int) -> RunStarted:
        return RunStarted(
            run_id=self.run_id,
            plan_name=self.plan.name,
            plan_path=str(self.plan.path),
            plan_text=self.plan.text,
            devices=self.devices,
            framing=self.framing,
            started_at=datetime.now(UTC),
            step_count=planned,
            parent_run_id=self.parent_run_id,
            selected_steps=self.selected,
            devices_from=self.devices_from,
            identity=self.identity,
            plan_version=self.plan.version,
        )

    def _step(self, step: ResolvedStep) -> tuple[StepFinished, str | None]:
        """Perform one step between its two events: its event, and why the run ends if it must."""
        self.emit(StepStarted(self.run_id, step.number, step.name, step.device, datetime.now(UTC)))
        self._current = step
        finished, ends_run = perform_step(step, self._context, self.emit, self.sleep)
        self.emit(finished)
        return finished, ends_run

    def _skip(self, step: ResolvedStep, cause: ResolvedStep) -> StepFinished:
        """Record a main step that ``cause``'s ``on_exhausted: skip-rest`` keeps from running."""
        reason = (
            f"skipped: step {cause.number} ({cause.name}) did not pass (on_exhausted: skip-rest)"
        )
        self.emit(StepAttempt(self.run_id, step.number, step.name, 0, "skipped", reason))
        finished = StepFinished(
            run_id=self.run_id,
            number=step.number,
            name=step.name,
            device=step.device,
            target=step.target,
            action=step.action,
            verdict="skipped",
            detail=reason,
            measured=None,
            attempts=0,
            requirements=step.requirements,
        )
        self.emit(finished)
        return finished

    def _progress(self, progress: Progress) -> None:
        """A running step measured part of what it judges: tell the observers."""
        step = self._current
        if step is not None:
            self.emit(
                StepProgress(
                    self.run_id,
                    step.number,
                    step.name,
                    progress.part,
                    progress.reason,
                    progress.value,
                    progress.unit,
                    progress.readings,
                )
            )

    def _tear_down(self, results: list[StepFinished]) -> BaseException | None:
        """Run every teardown step; a second interrupt stops them (and is returned)."""
        for step in self._teardown:
            try:
                results.append(self._step(step)[0])
            except (KeyboardInterrupt, Terminated) as stop:
                return stop
        return None

    def _finished(
        self,
        results: list[StepFinished],
        planned: int,
        start: float,
        aborted: bool,
        stopped_by: str = "",
    ) -> RunFinished:
        failures = [r for r in results if r.verdict not in ("pass", "skipped")]
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
            aborted=aborted or bool(stopped_by) or len(results) < planned,
            skipped=sum(r.verdict == "skipped" for r in results),
            stopped_by=stopped_by,
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
