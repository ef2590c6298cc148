"""The checks of bench/line_load.py: what the store and the stations' run folders hold.

Plain SQL on the store and the ``events.jsonl`` rows of every station's run
folders, never the product's own counts; each check returns its findings as
``{name: "ok" | what is wrong}``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from mfg_ctl.store.schema import driver_url

__all__ = ["ENDED", "check_events", "check_steps", "read_logs", "read_store"]

#: How a stored run may end.
ENDED = {"passed", "failed", "error", "aborted"}


def read_store(url: str, line_id: str) -> dict[str, list[dict[str, Any]]]:
    """The line's runs, step rows and batches, read from the store with plain SQL."""
    pattern = {"pattern": f"{line_id}-%"}
    queries = {
        "runs": "SELECT id, sn, status, step_count, passed, failed, errors, skipped"
                " FROM test_runs WHERE batch_id LIKE :pattern",
        "steps": "SELECT s.run_id, s.number, s.verdict, s.attempts FROM step_results s"
                 " JOIN test_runs r ON r.id = s.run_id WHERE r.batch_id LIKE :pattern",
        "batches": "SELECT id, status FROM batches WHERE id LIKE :pattern",
    }
    engine = create_engine(driver_url(url))
    try:
        with engine.connect() as connection:
            return {
                name: [dict(row._mapping) for row in connection.execute(text(query), pattern)]
                for name, query in queries.items()
            }
    finally:
        engine.dispose()


def read_logs(folder: Path, line_id: str) -> list[dict[str, Any]]:
    """Every attempt row of every station's run folder (``events.jsonl``) of the line."""
    rows = []
    for log in sorted((folder / "runs" / line_id).glob("*/*/events.jsonl")):
        rows += [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    return rows


def check_steps(stored: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """The checks of every run's end and step rows."""
    steps_of: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for step in stored["steps"]:
        steps_of[step["run_id"]].append(step)
    not_ended = [run["id"] for run in stored["runs"] if run["status"] not in ENDED]
    gaps, miscounted = [], []
    for run in stored["runs"]:
        steps = steps_of[run["id"]]
        if sorted(step["number"] for step in steps) != list(range(1, run["step_count"] + 1)):
            gaps.append(run["id"])
        verdicts = Counter(step["verdict"] for step in steps)
        counters = (run["passed"], run["failed"], run["errors"], run["skipped"] or 0)
        if counters != tuple(verdicts[v] for v in ("pass", "fail", "error", "skipped")):
            miscounted.append(run["id"])
    return {
        "every run ended": "" if not not_ended else f"{len(not_ended)} still running",
        "steps 1..n, n == step_count": "" if not gaps else f"{len(gaps)} runs, e.g. {gaps[0]}",
        "counters == step verdicts": "" if not miscounted
        else f"{len(miscounted)} runs, e.g. {miscounted[0]}",
    }


def check_events(
    stored: dict[str, list[dict[str, Any]]], logged: list[dict[str, Any]]
) -> tuple[dict[str, str], dict[str, int]]:
    """The checks of the logged events against the stored rows, and the counts of lost and
    duplicated step events."""
    attempts = Counter((row["run_id"], row["step_index"], row["attempt"]) for row in logged)
    duplicated = sum(count - 1 for count in attempts.values())
    logged_steps: dict[tuple[str, int], list[int]] = defaultdict(list)
    for run_id, number, attempt in attempts:
        logged_steps[run_id, number].append(attempt)
    stored_steps = {(step["run_id"], step["number"]): step["attempts"] for step in stored["steps"]}
    lost = len(stored_steps.keys() - logged_steps.keys())
    unstored = len(logged_steps.keys() - stored_steps.keys())
    wrong_attempts = sum(
        1 for key, count in stored_steps.items()
        if key in logged_steps
        and sorted(logged_steps[key]) != (list(range(1, count + 1)) if count else [0])
    )
    status = {run["id"]: run["status"] for run in stored["runs"]}
    ends: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for row in logged:
        ends[row["run_id"]].add((row["run_started"], row["run_status"]))
    wrong_runs = sum(
        1 for run_id in status.keys() | ends.keys()
        if len(ends.get(run_id, ())) != 1 or next(iter(ends[run_id]))[1] != status.get(run_id)
    )
    checks = {
        "step events logged == stored, 1:1": "" if not (lost or duplicated or unstored)
        else f"{lost} lost, {duplicated} duplicated, {unstored} logged but not stored",
        "attempts logged 1..attempts": "" if not wrong_attempts else f"{wrong_attempts} steps",
        "one start, one end a run": "" if not wrong_runs else f"{wrong_runs} runs",
    }
    return checks, {"lost": lost, "duplicated": duplicated, "logged_not_stored": unstored}
