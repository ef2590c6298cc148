"""What the trends tests share: runs recorded from events, with chosen measured values."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from mfg_ctl.run.events import RunFinished, RunStarted, StepFinished, UnitIdentity
from mfg_ctl.store import RunStore

#: When the first recorded run started; each later run starts a minute after the one before.
EPOCH = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Step:
    """One measured step of the runs to record: its values, one per run (None: not measured)."""

    name: str
    values: Sequence[float | None]
    low: float | None = 4950.0
    high: float | None = 5050.0
    register: str = "dc_voltage"


def record_runs(
    db: Path,
    steps: Sequence[Step],
    *,
    plan: str = "drift_plan",
    station_id: str = "ST1",
    sn: str = "SN1",
    first: int = 0,
) -> list[str]:
    """Record one run per value of the steps (as ``mfg-ctl run`` would); their run ids."""
    count = len(steps[0].values)
    run_ids = []
    with RunStore(f"sqlite:///{db}") as store:
        for run in range(count):
            run_id = f"{plan}-{station_id}-{first + run:05d}"
            started = EPOCH + timedelta(minutes=first + run)
            events: list[RunStarted | StepFinished | RunFinished] = [
                RunStarted(
                    run_id=run_id, plan_name=plan, plan_path=f"plans/{plan}.yaml", plan_text="",
                    devices=(), framing="custom", started_at=started, step_count=len(steps),
                    identity=UnitIdentity(sn=sn, station_id=station_id),
                )
            ]
            for number, step in enumerate(steps, start=1):
                value = step.values[run]
                events.append(
                    StepFinished(
                        run_id=run_id, number=number, name=step.name, device="dmm",
                        target=step.register, action="read", verdict="pass", detail="",
                        measured=value, low=step.low, high=step.high, finished_at=started,
                    )
                )
            events.append(RunFinished(run_id, "pass", len(steps), 0, 0, 0.1, started))
            store.record_run(events)
            run_ids.append(run_id)
    return run_ids


def drifting(count: int, slope: float, *, start: float = 5000.0, noise: float = 2.0,
             seed: int = 11) -> list[float]:
    """``start + slope * run + noise``, reproducible from ``seed``."""
    rng = np.random.default_rng(seed)
    return [float(v) for v in start + slope * np.arange(count) + rng.normal(0, noise, count)]


def flat(count: int, *, level: float = 5000.0, noise: float = 2.0, seed: int = 5) -> list[float]:
    """Noise about ``level``, no drift."""
    return drifting(count, 0.0, start=level, noise=noise, seed=seed)
