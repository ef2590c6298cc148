"""What the run store tests share: events to record, and SQL behind the store's back."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from mfg_ctl.run.events import (
    DeviceInfo,
    RunFinished,
    RunStarted,
    StepFinished,
)

ROOT = Path(__file__).resolve().parents[3]
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
DEVICES = (
    DeviceInfo("psu", "127.0.0.1", 5020, "mbap", unit=3, simulated=True),
    DeviceInfo("dmm", "10.0.0.7", 5025, "scpi", unit=1, simulated=False),
)


def started(
    run_id: str,
    plan: str = "psu_check",
    at: datetime = T0,
    parent: str | None = None,
    selected: tuple[int, ...] = (),
) -> RunStarted:
    return RunStarted(
        run_id=run_id,
        plan_name=plan,
        plan_path=f"plans/{plan}.yaml",
        plan_text=f"name: {plan}\nsteps:\n  - read: V  # ünïcode\n",
        devices=DEVICES,
        framing="mbap",
        started_at=at,
        step_count=3,
        parent_run_id=parent,
        selected_steps=selected,
    )


def step(run_id: str, number: int, verdict: str = "pass", **extra: object) -> StepFinished:
    fields: dict[str, object] = {
        "run_id": run_id,
        "number": number,
        "name": f"step_{number}",
        "device": "psu",
        "target": "VOUT",
        "action": "read",
        "verdict": verdict,
        "detail": f"detail {number}",
        "measured": 5.01,
        "finished_at": T0 + timedelta(seconds=number),
    }
    fields.update(extra)
    return StepFinished(**fields)  # type: ignore[arg-type]


def finished(run_id: str, verdict: str = "pass", aborted: bool = False) -> RunFinished:
    return RunFinished(
        run_id=run_id,
        verdict=verdict,  # type: ignore[arg-type]
        passed=2,
        failed=1,
        errors=0,
        duration_s=12.5,
        finished_at=T0 + timedelta(seconds=12.5),
        first_failure="2 step_2",
        aborted=aborted,
    )


def url_of(path: Path) -> str:
    return f"sqlite:///{path}"


def raw(db: Path, sql: str, *args: object) -> list[tuple[object, ...]]:
    """Run SQL behind the store's back, as another tool (or an older process) would."""
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
