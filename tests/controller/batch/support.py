"""What the ``mfg-ctl batch`` tests share: running the CLI, reading a run folder and the store.

Figures are recounted here from ``events.jsonl`` with plain Python (never with
the analytics code), and the store is read with :mod:`sqlite3` read-only, so a
test compares the product against an independent count.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mfg_ctl.cli.main import main
from tests.controller.cli.support import ROOT, Result

PLAN = ROOT / "plans" / "dut_functional.yaml"
FILES = (
    "events.jsonl",
    "events.csv",
    "results_summary.json",
    "coverage_matrix.csv",
    "qualification_report.html",
)


def sns(count: int, prefix: str = "SN") -> str:
    """``SN0001,SN0002,...``: ``count`` serial numbers for ``--sns``."""
    return ",".join(f"{prefix}{number:04d}" for number in range(1, count + 1))


def run_main(*args: object) -> Result:
    """``mfg-ctl ARGS`` in this process, its output captured (usable outside a test's capsys)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main([str(arg) for arg in args])
    return Result(status, out.getvalue(), err.getvalue())


def batch_args(
    db: Path, root: Path, batch_id: str, units: str, *extra: object, plan: Path = PLAN
) -> list[object]:
    """The options of a new batch on station ST1, stage EVT."""
    return [
        "batch", "--plan", plan, "--batch-id", batch_id, "--station-id", "ST1", "--stage",
        "EVT", "--sns", units, "--db", db, "--artifacts", root, *extra,
    ]


def run_folder(root: Path) -> Path:
    """The one run folder under ``root``."""
    folders = [path for path in root.iterdir() if path.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


def read_rows(folder: Path) -> list[dict[str, Any]]:
    """The attempt rows of ``folder/events.jsonl``, parsed line by line."""
    text = (folder / "events.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@dataclass
class Recount:
    """Yield figures counted from attempt rows, the way doc/analytics.rst defines them."""

    tested: int = 0
    first_pass: int = 0
    flaky: int = 0
    passed: int = 0
    error_codes: Counter[str] = field(default_factory=Counter)
    status_by_sn: dict[str, str] = field(default_factory=dict)  # of the unit's last run
    codes_by_sn: dict[str, list[str]] = field(default_factory=dict)


def recount(rows: list[dict[str, Any]]) -> Recount:
    """Count units, first passes, retries and error codes from the rows alone."""
    runs: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(dict)
    for row in rows:
        runs[row["sn"]].setdefault(row["run_id"], []).append(row)
    counted = Recount()
    for sn, by_run in runs.items():
        ordered = sorted(by_run.values(), key=lambda run: (run[0]["run_started"], run[0]["run_id"]))
        first, last = ordered[0], ordered[-1]
        counted.tested += 1
        if first[0]["run_status"] == "passed":
            retried = any(row["attempt"] > 1 for row in first)
            counted.flaky += retried
            counted.first_pass += not retried
        counted.passed += last[0]["run_status"] == "passed"
        counted.status_by_sn[sn] = last[0]["run_status"]
        counted.codes_by_sn[sn] = [row["error_code"] for row in last if row["error_code"]]
    counted.error_codes.update(row["error_code"] for row in rows if row["error_code"])
    return counted


def query(db: Path, sql: str, *params: object) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the store file, opened read-only (a batch may be writing it)."""
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)) as conn:
        return list(conn.execute(sql, params))


def stored_runs(db: Path, batch_id: str) -> dict[str, str]:
    """Run id -> serial number of the ended runs of ``batch_id`` in the store."""
    rows = query(
        db, "SELECT id, sn FROM test_runs WHERE batch_id = ? AND status != 'running'", batch_id
    )
    return {str(run_id): str(sn) for run_id, sn in rows}


def batch_status(db: Path, batch_id: str) -> str:
    """The batch's status in the store: running, finished or stopped."""
    rows = query(db, "SELECT status FROM batches WHERE id = ?", batch_id)
    assert len(rows) == 1, rows
    return str(rows[0][0])


def nothing_stored(db: Path) -> bool:
    """True if the store file does not exist, or holds no batch and no run."""
    if not db.exists():
        return True
    tables = {name for (name,) in query(db, "SELECT name FROM sqlite_master WHERE type='table'")}
    if not tables:
        return True
    batches = query(db, "SELECT COUNT(*) FROM batches")[0][0] if "batches" in tables else 0
    runs = query(db, "SELECT COUNT(*) FROM test_runs")[0][0] if "test_runs" in tables else 0
    return batches == 0 and runs == 0
