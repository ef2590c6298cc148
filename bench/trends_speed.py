"""Trends speed benchmark: ``mfg-ctl trends`` over 100,000 stored step results.

The issue's target: the command answers in under 2 s on this machine. The benchmark
fills a fresh SQLite run store in a temporary folder with ``--runs`` runs (10,000) of
``--steps`` measured steps each (10), inserted directly with SQLAlchemy Core; one step
drifts by a small amount per run, the others are noise about their nominal value.
Then it times, end to end:

* ``library``: what the command does in-process: open the store, the one query, the
  analysis of every step and the table (the median of ``--repeat`` calls);
* ``cli``: ``mfg-ctl trends --db FILE`` in a subprocess, start-up included (median);
* ``cli_start``: ``mfg-ctl --version`` in a subprocess, the start-up alone, for scale.

    python bench/trends_speed.py [--runs N] [--steps N] [--repeat N] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from benchlib import OUT, guarded, positive, write_result

from mfg_ctl.analytics.trends import analyse_steps
from mfg_ctl.cli.trends import render_table
from mfg_ctl.store import RunStore
from mfg_ctl.store.models import StepResult, TestRun
from mfg_ctl.store.rows import insert_into

PLAN = "speed_plan"
DRIFTING = "step_00"
#: The drifting step: nominal 5000, threshold [4900, 5100], +0.005 per run, noise sigma 5.
NOMINAL, TOLERANCE, DRIFT, NOISE = 5000.0, 100.0, 0.005, 5.0
TARGET_S = 2.0


def _run_row(index: int, started: datetime) -> dict[str, Any]:
    return {
        "id": f"run{index:08d}",
        "plan_name": PLAN,
        "plan_path": "plans/speed_plan.yaml",
        "plan_text": "",
        "plan_hash": None,
        "framing": "custom",
        "status": "passed",
        "started_at": started,
        "finished_at": started,
        "duration_s": 0.1,
        "step_count": 0,
        "passed": 0,
        "failed": 0,
        "errors": 0,
        "selected_steps": [],
        "host": "bench",
        "pid": 1,
        "station_id": "ST1",
        "sn": f"SN{index:06d}",
    }


def fill(url: str, runs: int, steps: int, seed: int = 7) -> int:
    """Record ``runs`` runs of ``steps`` measured steps (step_00 drifting); return the results."""
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, NOISE, size=(runs, steps))
    drift = DRIFT * np.arange(runs)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with RunStore(url) as store:
        engine = store._write_engine
        with engine.begin() as connection:
            connection.execute(
                insert_into(TestRun),
                [_run_row(run, start + timedelta(seconds=run)) for run in range(runs)],
            )
            rows = [
                {
                    "run_id": f"run{run:08d}",
                    "number": step + 1,
                    "name": f"step_{step:02d}",
                    "device": "dmm",
                    "register": f"reg_{step:02d}",
                    "action": "read",
                    "verdict": "pass",
                    "detail": "",
                    "measured": float(NOMINAL + noise[run, step] + (step == 0) * drift[run]),
                    "expected": NOMINAL,
                    "low": NOMINAL - TOLERANCE,
                    "high": NOMINAL + TOLERANCE,
                    "attempts": 1,
                    "duration_s": 0.01,
                    "finished_at": start,
                    "teardown": False,
                }
                for run in range(runs)
                for step in range(steps)
            ]
            connection.execute(insert_into(StepResult), rows)
    return runs * steps


def library_once(url: str) -> tuple[float, dict[str, str]]:
    """One in-process answer: seconds taken, and each step's classification."""
    began = time.perf_counter()
    with RunStore(url) as store:
        columns = store.measured_columns()
    found = analyse_steps(columns)
    render_table(found, "we")
    taken = time.perf_counter() - began
    return taken, {trend.series.step: trend.classification for trend in found}


def command_once(*args: str) -> float:
    """Seconds ``mfg-ctl ARGS`` takes in a subprocess (it must exit 0)."""
    mfg_ctl = shutil.which("mfg-ctl", path=str(Path(sys.executable).parent)) or "mfg-ctl"
    began = time.perf_counter()
    subprocess.run([mfg_ctl, *args], check=True, capture_output=True, timeout=300)
    return time.perf_counter() - began


def measure(runs: int, steps: int, repeat: int) -> dict[str, Any]:
    """Fill a temporary store and time the trends over it."""
    with tempfile.TemporaryDirectory(prefix="trends-speed-") as folder:
        database = Path(folder) / "runs.db"
        url = f"sqlite:///{database}"
        began = time.perf_counter()
        results = fill(url, runs, steps)
        fill_s = time.perf_counter() - began
        library = [library_once(url) for _ in range(repeat)]
        cli = [command_once("trends", "--db", str(database)) for _ in range(repeat)]
        start = [command_once("--version") for _ in range(repeat)]
    return {
        "runs": runs,
        "steps": steps,
        "results": results,
        "fill_s": round(fill_s, 3),
        "library_s": round(statistics.median(taken for taken, _ in library), 3),
        "cli_s": round(statistics.median(cli), 3),
        "cli_start_s": round(statistics.median(start), 3),
        "target_s": TARGET_S,
        "classifications": library[-1][1],
    }


def arguments() -> argparse.ArgumentParser:
    """The command line; ``--json-out`` defaults to the untracked bench/out/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=positive, default=10000, help="runs stored")
    parser.add_argument("--steps", type=positive, default=10, help="measured steps per run")
    parser.add_argument("--repeat", type=positive, default=3, help="timings of each (median)")
    parser.add_argument("--json-out", type=Path, default=OUT / "trends_speed.json")
    return parser


def main() -> int:
    """Measure, print the figures and write them as JSON."""
    options = arguments().parse_args()
    result = measure(options.runs, options.steps, options.repeat)
    print(
        f"{result['results']} step results ({result['runs']} runs x {result['steps']} steps), "
        f"stored in {result['fill_s']:.2f} s"
    )
    print(f"  trends in-process (query, analysis, table): {result['library_s']:.3f} s")
    print(f"  mfg-ctl trends in a subprocess:             {result['cli_s']:.3f} s")
    print(f"  mfg-ctl --version (start-up alone):         {result['cli_start_s']:.3f} s")
    print(f"  target: under {TARGET_S:g} s; {DRIFTING}: {result['classifications'][DRIFTING]}")
    write_result(result, options.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(guarded(main))
