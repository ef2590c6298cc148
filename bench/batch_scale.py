"""Batch scale benchmark: 1,000 units of the dut plan, with the run store and folder and without.

The issue's target: storage and artifacts together should cost at most 1.3
times the same batch with both turned off. So one process runs the same batch
(``plans/dut_functional.yaml``, simulated duts with the ``factory-flaky``
profile and a fixed seed, ``--parallel`` slots) four ways, in turns:

* ``off``: no store, no run folder (the baseline);
* ``store``: the SQLite run store only, a fresh file in a temporary folder;
* ``artifacts``: the run folder only (events, summary, coverage, report);
* ``both``: the store and the run folder, as ``mfg-ctl batch`` runs.

Each batch is timed from opening the store and creating the folder until the
summary files are written and the store closed. Two figures per batch: units
per second (wall clock, swings with the machine's load) and the process's CPU
time per unit (``time.process_time``, all threads: the controller, the slots'
simulated devices and the writing), which barely moves with load. Every round
runs the four in a rotated order; each figure is the median over the rounds,
and each ratio the median of the per-round ratios to that round's ``off``.

    python bench/batch_scale.py [--units N] [--parallel N] [--rounds N] [--seed N]
                                [--cpu CPU|any] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import gc
import json
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchlib import OUT, cpu_choice, guarded, pin, positive, ratio, write_result

from mfg_ctl.artifacts.writer import RunArtifacts
from mfg_ctl.batch.runner import BatchRunner, BatchSetup
from mfg_ctl.plan import Plan, load_plan
from mfg_ctl.run.events import UnitIdentity
from mfg_ctl.store import RunStore

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "plans" / "dut_functional.yaml"
DUT_PROFILE = "factory-flaky"
#: The batch four ways: (the run store on, the run folder on).
CONFIGS = {
    "off": (False, False),
    "store": (True, False),
    "artifacts": (False, True),
    "both": (True, True),
}
#: The issue's target: the batch with store and run folder over the batch without them.
TARGET = 1.3
#: Units in the unmeasured warm-up batch (imports, first connections, compiled templates).
WARM_UP_UNITS = 24
#: The most slots, as ``mfg-ctl batch --parallel`` allows.
MAX_PARALLEL = 64


@dataclass(frozen=True)
class Batch:
    """One batch measured: its wall and CPU seconds and how its units ended."""

    config: str
    wall_s: float
    cpu_s: float
    outcomes: dict[str, int]  # passed / failed / error / aborted: units


def identity() -> UnitIdentity:
    """The batch's identity (each unit adds its serial number)."""
    return UnitIdentity(batch_id="BENCH", station_id="BENCH-ST", stage="EVT", operator="bench")


def run_folder(folder: Path, plan: Plan) -> RunArtifacts:
    """The run folder as ``mfg-ctl batch`` makes it, in ``folder``."""
    header = {
        "batch_id": "BENCH",
        "station_id": "BENCH-ST",
        "stage": "EVT",
        "plan": plan.name,
        "plan_version": plan.version,
        "plan_hash": plan.hash,
        "started": datetime.now(UTC).isoformat(),
        "run_dir": str(folder),
    }
    return RunArtifacts(folder, plan, header)


def run_batch(config: str, setup: BatchSetup) -> Batch:
    """Run the batch once as ``config`` says, in a fresh temporary folder; its figures.

    RuntimeError if a unit was not tested or the store or folder misses one:
    a benchmark of a batch that did not record what it should measures nothing.
    """
    store_on, artifacts_on = CONFIGS[config]
    gc.collect()
    with tempfile.TemporaryDirectory(prefix="bench-batch-") as temp:
        database, folder = Path(temp) / "runs.db", Path(temp) / "run"
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        store = RunStore(f"sqlite:///{database}") if store_on else None
        artifacts = run_folder(folder, setup.plan) if artifacts_on else None
        try:
            if artifacts is not None:
                artifacts.create()
            outcome = BatchRunner(setup, store, artifacts).run()
            if artifacts is not None:
                artifacts.finish(outcome.not_tested, datetime.now(UTC).isoformat())
        finally:
            if store is not None:
                store.close()
        wall_s, cpu_s = time.perf_counter() - start_wall, time.process_time() - start_cpu
        if outcome.failure is not None or outcome.not_tested or outcome.unreachable:
            reason = outcome.failure or outcome.unreachable or "units were not tested"
            raise RuntimeError(f"the {config} batch did not test every unit: {reason}")
        units = len(setup.sns)
        if store_on:
            check_count(f"runs in the {config} batch's store", stored_runs(database), units)
        if artifacts_on:
            summary = json.loads((folder / "results_summary.json").read_text())
            check_count(f"units in the {config} batch's summary", summary["units"]["tested"], units)
    outcomes = Counter(done.finished.status for done in outcome.tested)
    return Batch(config, wall_s, cpu_s, dict(sorted(outcomes.items())))


def stored_runs(database: Path) -> int:
    """How many runs a run store file holds."""
    with sqlite3.connect(database) as connection:
        (count,) = connection.execute("SELECT count(*) FROM test_runs").fetchone()
    return int(count)


def check_count(what: str, found: int, expected: int) -> None:
    """RuntimeError unless ``found`` is ``expected``."""
    if found != expected:
        raise RuntimeError(f"{what}: {found}, expected {expected}")


def rotated(names: list[str], turn: int) -> list[str]:
    """``names`` starting at ``turn`` (mod its length): no config always follows the same one."""
    shift = turn % len(names)
    return names[shift:] + names[:shift]


def measure(units: int, parallel: int, rounds: int, seed: int) -> dict[str, Any]:
    """Run ``rounds`` rounds of the four batches (after a warm-up); the benchmark's result."""
    plan = load_plan(PLAN)
    sns = tuple(f"BENCH{number:06d}" for number in range(1, units + 1))
    setup = BatchSetup(plan, identity(), sns, parallel, None, None, DUT_PROFILE, seed)
    warm_up = BatchSetup(
        plan, identity(), sns[:WARM_UP_UNITS], parallel, None, None, DUT_PROFILE, seed
    )
    run_batch("both", warm_up)
    batches: dict[str, list[Batch]] = {name: [] for name in CONFIGS}
    for turn in range(rounds):
        for name in rotated(list(CONFIGS), turn):
            batches[name].append(run_batch(name, setup))
    outcomes = [batch.outcomes for runs in batches.values() for batch in runs]
    return {
        "plan": f"{plan.name} ({len(plan.steps)} steps)",
        "units": units,
        "parallel": parallel,
        "dut_profile": DUT_PROFILE,
        "seed": seed,
        "rounds": rounds,
        "batches": {name: figures(runs, units) for name, runs in batches.items()},
        "ratios_to_off": ratios(batches),
        "outcomes": outcomes[0],
        "outcomes_identical": all(outcome == outcomes[0] for outcome in outcomes),
    }


def figures(runs: list[Batch], units: int) -> dict[str, Any]:
    """The medians of one config's batches, and each batch's own figures."""
    return {
        "units_per_s": round(units / statistics.median(run.wall_s for run in runs), 1),
        "wall_s": round(statistics.median(run.wall_s for run in runs), 3),
        "cpu_ms_per_unit": round(statistics.median(run.cpu_s for run in runs) / units * 1e3, 3),
        "each": [{"wall_s": round(run.wall_s, 3), "cpu_s": round(run.cpu_s, 3)} for run in runs],
    }


def ratios(batches: dict[str, list[Batch]]) -> dict[str, dict[str, float | None]]:
    """Each config's wall time and CPU time over ``off``'s in the same round; the medians."""
    result = {}
    for name, runs in batches.items():
        if name == "off":
            continue
        pairs = list(zip(runs, batches["off"], strict=True))
        result[name] = {
            "wall": median_ratio([(run.wall_s, off.wall_s) for run, off in pairs]),
            "cpu": median_ratio([(run.cpu_s, off.cpu_s) for run, off in pairs]),
        }
    return result


def median_ratio(pairs: list[tuple[float, float]]) -> float | None:
    """The median of ``ours / base`` over the pairs (None if a base measured nothing)."""
    each = [ratio(ours, base) for ours, base in pairs]
    known = [value for value in each if value is not None]
    return statistics.median(known) if len(known) == len(each) else None


def table(result: dict[str, Any]) -> str:
    """The result as a text table, one line per config."""
    lines = [
        f"batch scale: {result['units']} units of {result['plan']}, --parallel"
        f" {result['parallel']}, dut profile {result['dut_profile']}, seed {result['seed']};"
        f" medians of {result['rounds']} round(s)",
        f"  {'batch':<10} {'units/s':>8} {'wall s':>8} {'CPU ms/unit':>12}"
        f" {'wall x off':>11} {'CPU x off':>10}",
    ]
    for name, batch in result["batches"].items():
        versus = result["ratios_to_off"].get(name, {"wall": 1.0, "cpu": 1.0})
        lines.append(
            f"  {name:<10} {batch['units_per_s']:>8} {batch['wall_s']:>8.2f}"
            f" {batch['cpu_ms_per_unit']:>12.2f} {shown(versus['wall']):>11}"
            f" {shown(versus['cpu']):>10}"
        )
    both = result["ratios_to_off"]["both"]
    verdict = "within" if (both["cpu"] or 0) <= TARGET else "over"
    lines.append(
        f"  store + artifacts: CPU x{shown(both['cpu'])}, wall x{shown(both['wall'])} the batch"
        f" without them; CPU {verdict} the target x{TARGET}"
    )
    outcomes = ", ".join(f"{count} {status}" for status, count in result["outcomes"].items())
    same = "every batch alike" if result["outcomes_identical"] else "NOT alike in every batch"
    lines.append(f"  units: {outcomes} ({same})")
    return "\n".join(lines) + "\n"


def shown(value: float | None) -> str:
    """A ratio for the table: two decimals, or ``-`` when it could not be measured."""
    return "-" if value is None else f"{value:.2f}"


def slots(text: str) -> int:
    """An argparse type: a number of slots, 1 to MAX_PARALLEL."""
    number = positive(text)
    if number > MAX_PARALLEL:
        raise argparse.ArgumentTypeError(f"{text!r}: give 1 to {MAX_PARALLEL} slots")
    return number


def arguments() -> argparse.ArgumentParser:
    """The command line; ``--json-out`` defaults to the untracked bench/out/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--units", type=positive, default=1000, help="units per batch")
    parser.add_argument("--parallel", type=slots, default=8, help="slots, as mfg-ctl batch")
    parser.add_argument("--rounds", type=positive, default=3, help="rounds of the four batches")
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated duts")
    parser.add_argument(
        "--json-out",
        type=Path,
        default=OUT / "batch_scale.json",
        help="the result as JSON; the table goes beside it (.txt)",
    )
    parser.add_argument(
        "--cpu",
        type=cpu_choice,
        default="any",
        help="run the whole batch on this CPU ('last' for the highest; default 'any': not"
        " pinned, as mfg-ctl batch runs)",
    )
    return parser


def main() -> int:
    options = arguments().parse_args()
    cpu = pin(options.cpu)
    result = measure(options.units, options.parallel, options.rounds, options.seed)
    result["pinned_cpu"] = cpu
    text = table(result)
    print(text, end="")
    write_result(result, options.json_out)
    text_path = options.json_out.with_suffix(".txt")
    try:
        text_path.write_text(text)
    except OSError as error:
        raise SystemExit(f"cannot write the table to {text_path}: {error.strerror}") from None
    print(f"table written to {text_path}")
    return 0


if __name__ == "__main__":
    sys.exit(guarded(main))
