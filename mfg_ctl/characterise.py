"""A TempCo characterisation recorded like any other run: the same events, store and reports.

Each settled temperature is a step (its mean output voltage), and the fit is
the last step, judged against the limits. The observers cannot tell it from a
plan run, so ``runs``, ``report`` and the exports work unchanged.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime

import yaml

from mfg_ctl.drivers import Chamber, Dmm, InstrumentError, PowerSupply
from mfg_ctl.events import (
    DeviceInfo,
    Event,
    Observer,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    Verdict,
)
from mfg_ctl.sequencer import Terminated
from mfg_ctl.tempco import TempcoPoint, TempcoResult, TempcoSettings, run_sweep

__all__ = ["PLAN_NAME", "characterise"]

PLAN_NAME = "tempco"
#: How the steps name what they measured: the chamber drives, the DMM reads.
DEVICE = "chamber+dmm"


def characterise(
    chamber: Chamber,
    psu: PowerSupply,
    dmm: Dmm,
    settings: TempcoSettings,
    *,
    observers: Iterable[Observer],
    devices: Sequence[DeviceInfo],
    framing: str = "scpi",
    run_id: str | None = None,
    devices_from: str = "",
) -> TempcoResult | None:
    """Run the sweep, emitting one step per temperature and one for the fit.

    Returns the result, or None when an instrument failed (the failure is the
    last step, an ``error`` with the reason, and the run is recorded). Ctrl-C
    or SIGTERM end the run as aborted and are raised again.
    """
    listeners = list(observers)
    run_id = run_id or uuid.uuid4().hex
    steps = len(settings.temperatures_c) + 1
    start = time.perf_counter()

    def emit(event: Event) -> None:
        for observer in listeners:
            observer(event)

    text = yaml.safe_dump({"tempco": asdict(settings)}, sort_keys=False)
    emit(
        RunStarted(
            run_id,
            PLAN_NAME,
            "<mfg-ctl tempco>",
            text,
            tuple(devices),
            framing,
            datetime.now(UTC),
            steps,
            devices_from=devices_from,
        )
    )
    finished: list[StepFinished] = []
    step_start = [time.perf_counter()]

    def step(
        number: int,
        name: str,
        verdict: Verdict,
        detail: str,
        *,
        measured: float | None = None,
        limits: tuple[float, float, float] | None = None,
    ) -> None:
        expected, low, high = limits if limits is not None else (None, None, None)
        result = StepFinished(
            run_id=run_id,
            number=number,
            name=name,
            device=DEVICE,
            register="vout",
            action="sweep",
            verdict=verdict,
            detail=detail,
            measured=measured,
            expected=expected,
            low=low,
            high=high,
            duration_s=time.perf_counter() - step_start[0],
        )
        finished.append(result)
        emit(result)
        step_start[0] = time.perf_counter()
        done = len(finished)
        if done < steps:
            points = settings.temperatures_c
            next_name = _point_name(points[done]) if done < len(points) else "tempco"
            emit(StepStarted(run_id, done + 1, next_name, DEVICE, datetime.now(UTC)))

    def on_point(point: TempcoPoint) -> None:
        detail = (
            f"measured {point.vout_v:.6g} V at {point.temperature_c:.4g} C "
            f"(setpoint {point.setpoint_c:g} C)"
        )
        name = _point_name(point.setpoint_c)
        step(len(finished) + 1, name, "pass", detail, measured=point.vout_v)

    emit(StepStarted(run_id, 1, _point_name(settings.temperatures_c[0]), DEVICE, datetime.now(UTC)))
    result: TempcoResult | None = None
    try:
        result = run_sweep(chamber, psu, dmm, settings, on_point=on_point)
    except InstrumentError as error:
        step(len(finished) + 1, "instrument", "error", f"instrument error: {error}")
    except (KeyboardInterrupt, Terminated):
        emit(_finished(run_id, finished, start, aborted=True))
        raise
    if result is not None:
        expected, band = settings.expected_ppm_per_c, settings.tolerance_ppm_per_c
        step(
            steps,
            "tempco",
            result.verdict,
            result.detail,
            measured=result.ppm_per_c,
            limits=(expected, expected - band, expected + band),
        )
    emit(_finished(run_id, finished, start, aborted=result is None))
    return result


def _point_name(setpoint_c: float) -> str:
    return f"point_{setpoint_c:g}C"


def _finished(run_id: str, steps: list[StepFinished], start: float, aborted: bool) -> RunFinished:
    failures = [s for s in steps if s.verdict != "pass"]
    verdict: Verdict = "pass"
    if any(s.verdict == "error" for s in steps) or aborted:
        verdict = "error"
    if any(s.verdict == "fail" for s in steps):
        verdict = "fail"
    return RunFinished(
        run_id,
        verdict,
        passed=sum(s.verdict == "pass" for s in steps),
        failed=sum(s.verdict == "fail" for s in steps),
        errors=sum(s.verdict == "error" for s in steps),
        duration_s=time.perf_counter() - start,
        finished_at=datetime.now(UTC),
        first_failure=f"{failures[0].number} {failures[0].name}" if failures else None,
        aborted=aborted,
    )
