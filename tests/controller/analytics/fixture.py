"""Hand-made runs for the yield tests, and the attempt rows a batch would write for them.

Every run is of one four-step plan: ``power``, ``voltage``, ``current``,
``ripple``. A step not named passes first time, except that the steps after
a failing (or error) step are skipped, as the sequencer does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from mfg_ctl.analytics.records import StepRecord, UnitRun

PLAN_STEPS = ("power", "voltage", "current", "ripple")
DAY = "2026-11-02"


def step(name: str, status: str, attempts: int = 1, codes: tuple[str, ...] = ()) -> StepRecord:
    """A step that did not simply pass first time (its index comes from the plan)."""
    return StepRecord(PLAN_STEPS.index(name) + 1, name, status, attempts, codes)


def run(  # noqa: PLR0917 - tables of runs read best one run a line, positionally
    run_id: str,
    stage: str,
    sn: str,
    batch: str,
    station: str,
    operator: str,
    when: str | datetime,
    status: str = "passed",
    *special: StepRecord,
) -> UnitRun:
    """One run; ``when`` is ``HH:MM`` on :data:`DAY` in UTC, or a datetime."""
    started = when if isinstance(when, datetime) else datetime.fromisoformat(f"{DAY}T{when}+00:00")
    named = {record.name: record for record in special}
    steps = []
    stopped = False
    for index, name in enumerate(PLAN_STEPS, 1):
        if stopped:
            steps.append(StepRecord(index, name, "skipped", 0))
            continue
        record = named.get(name, StepRecord(index, name, "pass", 1))
        stopped = record.status in ("fail", "error")
        steps.append(record)
    return UnitRun(
        run_id=run_id,
        sn=sn,
        batch_id=batch,
        station_id=station,
        stage=stage,
        operator=operator,
        plan_name="board_test",
        plan_version="1.0",
        plan_hash="abc123",
        started=started,
        status=status,
        steps=tuple(steps),
    )


def twenty_units() -> list[UnitRun]:
    """20 units (10 EVT, 10 DVT), 24 runs; the tests work their figures out by hand.

    ``#n`` numbers the units as the tests' comments count them. A unit belongs,
    in the strata, to the station, operator, batch and hour of its FIRST run.
    """
    evt, dvt = "EVT", "DVT"
    # DVT SN13 starts at 11:20 in UTC+1: hour 10 in UTC
    plus_one = datetime(2026, 11, 2, 11, 20, tzinfo=timezone(timedelta(hours=1)))
    return [
        # EVT, batch E1
        run("r01", evt, "SN01", "E1", "ST1", "alice", "09:00"),  # 1 first pass
        run("r02", evt, "SN02", "E1", "ST1", "alice", "09:05"),  # 2 first pass
        run("r03", evt, "SN03", "E1", "ST2", "bob", "09:10"),  # 3 first pass
        run("r04", evt, "SN04", "E1", "ST2", "bob", "10:20"),  # 4 first pass
        run("r05", evt, "SN05", "E1", "ST1", "alice", "10:00"),  # 5 first pass
        # 6 flaky: current passed on its 2nd attempt, the 1st carried E31
        run("r06", evt, "SN06", "E1", "ST2", "bob", "10:05", "passed",
            step("current", "pass", 2, ("E31",))),
        # 7 first run failed voltage (E21); re-tested on ST1 by alice at 10:30: passed
        run("r07", evt, "SN07", "E1", "ST2", "bob", "09:20", "failed",
            step("voltage", "fail", 1, ("E21",))),
        run("r08", evt, "SN07", "E1", "ST1", "alice", "10:30"),
        # 8 failed ripple twice in its first run (E41, E41), and again (E41) in its re-test
        run("r09", evt, "SN08", "E1", "ST1", "alice", "09:25", "failed",
            step("ripple", "fail", 2, ("E41", "E41"))),
        run("r10", evt, "SN08", "E1", "ST2", "bob", "10:40", "failed",
            step("ripple", "fail", 1, ("E41",))),
        # 9 power in error (E01), never re-tested
        run("r11", evt, "SN09", "E1", "ST2", "bob", "10:10", "error",
            step("power", "error", 1, ("E01",))),
        run("r12", evt, "SN10", "E1", "ST1", "alice", "10:15"),  # 10 first pass
        # DVT, batches D1 and D2; SN01 and SN02 are new units here (key: stage, sn)
        run("r13", dvt, "SN01", "D1", "ST1", "alice", "09:30"),  # 11 first pass
        # 12 first run failed current (E31); its re-test passed current on a retry (E31)
        run("r14", dvt, "SN02", "D1", "ST1", "alice", "09:35", "failed",
            step("current", "fail", 1, ("E31",))),
        run("r15", dvt, "SN02", "D1", "ST1", "alice", "09:50", "passed",
            step("current", "pass", 2, ("E31",))),
        run("r16", dvt, "SN11", "D1", "ST2", "bob", "09:40"),  # 13 first pass
        # 14 flaky: voltage passed on its 3rd attempt (E21, E22 before)
        run("r17", dvt, "SN12", "D1", "ST2", "bob", "09:45", "passed",
            step("voltage", "pass", 3, ("E21", "E22"))),
        run("r18", dvt, "SN13", "D1", "ST1", "alice", plus_one),  # 15 first pass
        # 16 failed voltage on both attempts (E21, E21), never re-tested
        run("r19", dvt, "SN14", "D2", "ST2", "bob", "10:25", "failed",
            step("voltage", "fail", 2, ("E21", "E21"))),
        run("r20", dvt, "SN15", "D2", "ST2", "alice", "10:30"),  # 17 first pass
        # 18 flaky: power passed on its 2nd attempt, no error code
        run("r21", dvt, "SN16", "D2", "ST1", "bob", "10:35", "passed", step("power", "pass", 2)),
        # 19 ripple in error (E41); re-tested on ST2 by alice: passed
        run("r22", dvt, "SN17", "D2", "ST1", "bob", "10:45", "error",
            step("ripple", "error", 1, ("E41",))),
        run("r23", dvt, "SN17", "D2", "ST2", "alice", "10:50"),
        # 20 first pass, with ripple skipped by the plan (a skip is no failure)
        run("r24", dvt, "SN18", "D2", "ST2", "bob", "10:55", "passed",
            step("ripple", "skipped", 0)),
    ]  # fmt: skip


def attempt_rows(runs: Iterable[UnitRun]) -> list[dict[str, Any]]:
    """The ``events.jsonl`` rows of ``runs``: one per attempt (a skipped step: attempt 0).

    A step's error codes go to its first attempts; attempts before the last fail.
    """
    rows: list[dict[str, Any]] = []
    for unit_run in runs:
        head = {
            "run_id": unit_run.run_id,
            "batch_id": unit_run.batch_id,
            "station_id": unit_run.station_id,
            "stage": unit_run.stage,
            "sn": unit_run.sn,
            "operator": unit_run.operator,
            "plan": unit_run.plan_name,
            "plan_version": unit_run.plan_version,
            "plan_hash": unit_run.plan_hash,
            "run_status": unit_run.status,
            "run_started": unit_run.started.astimezone(UTC).isoformat(),
        }
        for record in unit_run.steps:
            for attempt in range(1, record.attempts + 1) if record.attempts else [0]:
                last = attempt == record.attempts
                code_index = attempt - 1
                rows.append(
                    {
                        **head,
                        "step": record.name,
                        "step_index": record.index,
                        "attempt": attempt,
                        "status": record.status if last else "fail",
                        "value": None,
                        "low": None,
                        "high": None,
                        "unit": "",
                        "error_code": record.error_codes[code_index]
                        if 0 <= code_index < len(record.error_codes)
                        else None,
                        "reason": "",
                        "requirements": [],
                        "started": head["run_started"],
                        "finished": head["run_started"],
                    }
                )
    return rows


def worked_example() -> list[UnitRun]:
    """The ten DVT units of doc/analytics.rst's worked example (its run directory's runs).

    FPY 6/10 (U01-U06), flaky 1/10 (U07), final 8/10 (all but U09, U10).
    """
    dvt = "DVT"
    return [
        run("w01", dvt, "U01", "B7", "ST1", "alice", "09:00"),
        run("w02", dvt, "U02", "B7", "ST1", "alice", "09:05"),
        run("w03", dvt, "U03", "B7", "ST1", "alice", "09:10"),
        run("w04", dvt, "U04", "B7", "ST1", "alice", "09:15"),
        run("w05", dvt, "U05", "B7", "ST2", "bob", "09:20"),
        run("w06", dvt, "U06", "B7", "ST2", "bob", "09:25"),
        run("w07", dvt, "U07", "B7", "ST1", "alice", "09:30", "passed",
            step("voltage", "pass", 2, ("E21",))),
        run("w08", dvt, "U08", "B7", "ST1", "alice", "09:35", "failed",
            step("voltage", "fail", 1, ("E21",))),
        run("w09", dvt, "U09", "B7", "ST2", "bob", "09:40", "failed", step("ripple", "fail")),
        run("w10", dvt, "U10", "B7", "ST2", "bob", "09:45", "error",
            step("power", "error", 1, ("E01",))),
        run("w11", dvt, "U08", "B7", "ST2", "bob", "10:05"),
        run("w12", dvt, "U09", "B7", "ST2", "bob", "10:10", "failed", step("ripple", "fail")),
    ]  # fmt: skip
