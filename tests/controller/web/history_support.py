"""What the history tests share: runs recorded straight into the web app's store, as a
station (or a batch) would have recorded them, without running a plan."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask import Flask

from mfg_ctl.run.events import (
    DeviceInfo,
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    UnitIdentity,
)
from mfg_ctl.store import RunStore
from tests.controller.web.support import make_app

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
MARKUP = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@dataclass(frozen=True)
class Recorded:
    """One made-up run: who, when, and how its steps ended (``pass``/``fail``/``error``)."""

    run_id: str
    plan: str = "psu_check"
    sn: str = "SN0001"
    batch_id: str = ""
    station_id: str = "ST1"
    stage: str = "EVT"
    at: datetime = T0
    verdicts: tuple[str, ...] = ("pass", "pass")
    names: tuple[str, ...] = field(default=())
    aborted: bool = False

    def events(self) -> list[Event]:
        """RunStarted, one StepFinished per verdict, RunFinished."""
        identity = UnitIdentity(self.sn, self.batch_id, self.station_id, self.stage, "ana")
        started = RunStarted(
            run_id=self.run_id,
            plan_name=self.plan,
            plan_path=f"plans/{self.plan}.yaml",
            plan_text=f"name: {self.plan}\n",
            devices=(DeviceInfo("psu", "127.0.0.1", 5020, "mbap"),),
            framing="mbap",
            started_at=self.at,
            step_count=len(self.verdicts),
            identity=identity,
            plan_version="1.2",
        )
        steps = [self._step(number, verdict) for number, verdict in enumerate(self.verdicts, 1)]
        failed = [step for step in steps if step.verdict != "pass"]
        verdict = "pass" if not failed else failed[0].verdict
        finished = RunFinished(
            run_id=self.run_id,
            verdict=verdict,  # type: ignore[arg-type]
            passed=len(steps) - len(failed),
            failed=sum(step.verdict == "fail" for step in steps),
            errors=sum(step.verdict == "error" for step in steps),
            duration_s=12.5,
            finished_at=self.at + timedelta(seconds=12.5),
            first_failure=f"{failed[0].number} {failed[0].name}" if failed else None,
            aborted=self.aborted,
        )
        return [started, *steps, finished]

    def _step(self, number: int, verdict: str) -> StepFinished:
        names = self.names or tuple(f"check_{n}" for n in range(1, len(self.verdicts) + 1))
        return StepFinished(
            run_id=self.run_id,
            number=number,
            name=names[number - 1],
            device="psu",
            target="VOUT",
            action="read",
            verdict=verdict,  # type: ignore[arg-type]
            detail=f"measured {5000 + number}",
            measured=5000.0 + number,
            low=4950.0,
            high=5050.0,
            unit="mV",
            attempts=2 if verdict == "fail" else 1,
            finished_at=self.at + timedelta(seconds=number),
        )


def store_of(app: Flask) -> RunStore:
    """The run store the app reads."""
    store: RunStore = app.extensions["mfg_ctl"].store
    return store


def record(app: Flask, *runs: Recorded) -> None:
    """Record each run whole into the app's store."""
    for run in runs:
        store_of(app).record_run(run.events())


def app_with(tmp_path: Path, *runs: Recorded) -> Flask:
    """An app over a fresh store in ``tmp_path`` that holds ``runs``."""
    app = make_app(tmp_path)
    record(app, *runs)
    return app


def run_ids(page: str) -> list[str]:
    """The run ids a history page lists, in order."""
    marker = 'data-run-id="'
    return [part.split('"', 1)[0] for part in page.split(marker)[1:]]
