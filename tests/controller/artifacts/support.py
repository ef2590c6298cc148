"""What the artifact tests share: attempt rows, unit runs and a summary, built by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mfg_ctl.analytics.records import ATTEMPT_FIELDS, StepRecord, UnitRun

STARTED = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)


def attempt_row(run_id: str = "run-1", step_index: int = 1, **fields: Any) -> dict[str, Any]:
    """One attempt row with every ATTEMPT_FIELDS key; ``fields`` override the defaults."""
    row: dict[str, Any] = {
        "run_id": run_id,
        "batch_id": "B-7",
        "station_id": "st-1",
        "stage": "final",
        "sn": f"SN-{run_id}",
        "operator": "ana",
        "plan": "dut_functional",
        "plan_version": "1.2",
        "plan_hash": "ab" * 32,
        "run_status": "passed",
        "run_started": STARTED.isoformat(),
        "step": f"step_{step_index}",
        "step_index": step_index,
        "attempt": 1,
        "status": "pass",
        "value": 4.98,
        "low": 4.94,
        "high": 5.06,
        "unit": "V",
        "error_code": None,
        "reason": "",
        "requirements": ["REQ-VOUT-001"],
        "started": STARTED.isoformat(),
        "finished": STARTED.isoformat(),
    }
    row.update(fields)
    assert set(row) == set(ATTEMPT_FIELDS)
    return row


def unit_run(run_id: str, *steps: tuple[int, str], status: str = "passed") -> UnitRun:
    """A run whose steps (index, final status) are given; names are ``step_<index>``."""
    return UnitRun(
        run_id=run_id,
        sn=f"SN-{run_id}",
        batch_id="B-7",
        station_id="st-1",
        stage="final",
        operator="ana",
        plan_name="dut_functional",
        plan_version="1.2",
        plan_hash="ab" * 32,
        started=STARTED,
        status=status,
        steps=tuple(
            StepRecord(index, f"step_{index}", final, 0 if final == "skipped" else 1)
            for index, final in steps
        ),
    )


def summary(**sections: Any) -> dict[str, Any]:
    """A results summary of the documented shape; ``sections`` replace whole top-level keys."""
    built: dict[str, Any] = {
        "batch": {
            "batch_id": "B-7",
            "station_id": "st-1",
            "stage": "final",
            "operators": ["ana", "ben"],
            "plan": "dut_functional",
            "plan_version": "1.2",
            "plan_hash": "0123456789abcdef" * 4,
            "started": "2026-03-02T08:30:00+00:00",
            "finished": "2026-03-02T09:10:00+00:00",
            "run_dir": "artifacts/B-7",
        },
        "units": {"tested": 4, "passed": 3, "failed": 1, "not_tested": 1},
        "yield": {
            "fpy": 0.5,
            "final_yield": 0.75,
            "flaky_rate": 0.25,
            "rty": None,
            "stages": [{"stage": "final", "tested": 4, "fpy": 0.5}],
        },
        "pareto": {
            "steps": [
                {"name": "check_vout", "count": 3, "percent": 60.0, "cumulative_percent": 60.0},
                {"name": "check_temp", "count": 2, "percent": 40.0, "cumulative_percent": 100.0},
            ],
            "error_codes": [
                {"name": "E-LIMIT", "count": 4, "percent": 80.0, "cumulative_percent": 80.0},
                {"name": "E-TIMEOUT", "count": 1, "percent": 20.0, "cumulative_percent": 100.0},
            ],
        },
        "stratification": {
            "operator": [
                {"key": "ana", "tested": 2, "first_pass": 1, "passed": 2, "fpy": 0.5,
                 "final_yield": 1.0},
            ],
            "hour": [
                {"key": "2026-03-02T08", "tested": 4, "first_pass": 2, "passed": 3, "fpy": 0.5,
                 "final_yield": 0.75},
            ],
        },
        "unit_outcomes": [
            {"sn": "SN-1", "run_id": "0123456789abcdef", "status": "passed",
             "first_failure": None, "retried": True, "error_codes": ["E-LIMIT"]},
            {"sn": "SN-2", "run_id": "fedcba9876543210", "status": "failed",
             "first_failure": "3 check_vout", "retried": False, "error_codes": ["E-LIMIT"]},
        ],
        "not_tested": ["SN-9"],
    }
    built.update(sections)
    return built
