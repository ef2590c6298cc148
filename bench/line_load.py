"""Line load benchmark: 50 station processes writing to one run store, PostgreSQL beside SQLite.

Issue 14 asks for 50 ``mfg-ctl batch`` processes, each testing units against its
own simulated station, recording into one database at once, nothing lost or
duplicated. So this runs ``mfg-ctl line`` (which starts those processes) with the
same stations, units, slots and seed twice: on a new PostgreSQL database made on
the server (dropped afterwards), and on a new SQLite file (the store sets WAL).
A line may exit 0 or 1 (1: some simulated unit failed its test).

Figures per back end: the wall time of the whole ``mfg-ctl line`` process
(starting 50 interpreters included), the line's own time (its first batch's
start to its last batch's end, as the store has them), units per second and
step events per second (stored step rows over the wall time), and the CPU time
of the controller's processes per unit (the database server's not counted).

The checks read the store itself with plain SQL and the stations' run folders
(``<artifacts>/<line id>/STnn/<run id>/events.jsonl``, one row per step attempt,
each row carrying its run's start time and final status), never the product's
own counts:

* runs stored == units asked, run ids unique, serial numbers unique and those
  asked; one batch per station, each finished;
* every run ended (no ``running`` left), its step rows numbered 1..n without a
  gap or a repeat with n == the run's ``step_count``, and its pass / fail /
  error / skipped counters equal to its step rows' verdicts;
* the step events the run folders logged match the stored step rows one to one
  by (run id, step number), each step's attempts 1..attempts (0 for a skipped
  step) logged once: 0 lost, 0 duplicated; every stored run logged with one
  start time and one final status, the stored ones.

A failed check is printed in the table and makes the exit status 1.

    python bench/line_load.py [--stations N] [--units N] [--parallel N] [--seed N]
        [--backend both|postgresql|sqlite] [--pg-url URL] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from benchlib import OUT, guarded, positive, write_result
from line_checks import check_events, check_steps, read_logs, read_store
from psycopg import sql
from sqlalchemy import create_engine, make_url, text

from mfg_ctl.batch.line import MAX_STATIONS, share_units
from mfg_ctl.plan import load_plan

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "plans" / "dut_functional.yaml"
#: The server the PostgreSQL line's database is made on, unless --pg-url or this variable says.
ENV_SERVER = "MFG_TEST_DATABASE_URL"
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
#: The back ends, in the table's column order, and their headings.
BACKENDS = {"postgresql": "PostgreSQL", "sqlite": "SQLite WAL"}
#: A hang guard on one line, never a budget.
LINE_TIMEOUT_S = 3600
#: The line's statuses that say it ran: every unit passed, or some failed their test.
LINE_RAN = (0, 1)


@dataclass(frozen=True)
class Line:
    """What each back end's line is asked: the same for both."""

    stations: int
    units: int
    parallel: int
    seed: int


@dataclass(frozen=True)
class Ran:
    """One ``mfg-ctl line`` process: its status, last error line, figures and times."""

    line_id: str
    status: int
    said: str  # its last line on stderr
    figures: dict[str, Any]  # its --json-out, {} if it wrote none
    wall_s: float
    cpu_s: float  # user + system time of the line and its stations


def server_url(given: str | None) -> str:
    """The PostgreSQL server to make the database on: ``given``, $MFG_TEST_DATABASE_URL or
    the default, with any ``+driver`` dropped (psycopg reads plain ``postgresql://``)."""
    url = given or os.environ.get(ENV_SERVER, "").strip() or DEFAULT_SERVER
    scheme, rest = url.split("://", 1) if "://" in url else ("", url)
    if scheme.split("+", 1)[0] not in ("postgresql", "postgres"):
        raise ValueError(f"--pg-url {url!r:.80}: give postgresql://user@host:port/database")
    return f"postgresql://{rest}"


def hidden(url: str) -> str:
    """``url`` as it may be printed: its password, if any, hidden."""
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def fresh_postgresql(server: str) -> Iterator[str]:
    """A new empty database on ``server`` for one line: its URL; dropped afterwards."""
    name = f"mfg_bench_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=5)
    except psycopg.Error as error:
        said = " ".join(str(error).split())[:160]
        raise RuntimeError(f"no PostgreSQL server answers at {hidden(server)}: {said}") from None
    with admin:
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.Error as error:
            raise RuntimeError(f"cannot create database {name}: {error}") from None
        try:
            yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(name)))


def run_line(line: Line, url: str, folder: Path) -> Ran:
    """Run ``mfg-ctl line`` on the store at ``url``, its stations' folders in ``folder``."""
    line_id = f"LOAD-{uuid.uuid4().hex[:8]}"
    figures_path = folder / "line.json"
    command = [
        sys.executable, "-m", "mfg_ctl", "line", "--stations", str(line.stations),
        "--units", str(line.units), "--parallel", str(line.parallel), "--plan", str(PLAN),
        "--seed", str(line.seed), "--line-id", line_id, "--artifacts", str(folder / "runs"),
        "--json-out", str(figures_path),
    ]
    environment = dict(os.environ, MFG_CTL_DB=url)  # not in argv: a URL may hold a password
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(
        command, env=environment, cwd=ROOT, capture_output=True, text=True,
        timeout=LINE_TIMEOUT_S, check=False,
    )
    wall_s = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = result.stderr.strip().splitlines()
    figures = json.loads(figures_path.read_text()) if figures_path.exists() else {}
    return Ran(line_id, result.returncode, lines[-1] if lines else "", figures, wall_s, cpu_s)


def journal_mode(url: str) -> str:
    """SQLite's journal mode of the store at ``url`` ("" for a server database)."""
    if not url.startswith("sqlite"):
        return ""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("PRAGMA journal_mode")).scalar())
    finally:
        engine.dispose()


def check_runs(line: Line, line_id: str, stored: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """The checks of the stored runs and batches: check -> "" if it passed, else what was wrong."""
    runs = stored["runs"]
    ids = [run["id"] for run in runs]
    sns = [run["sn"] for run in runs]
    shares = [share for share in share_units(line.units, line.stations, f"{line_id}-U") if share]
    asked = sorted(sn for share in shares for sn in share)
    unfinished = [batch["id"] for batch in stored["batches"] if batch["status"] != "finished"]
    return {
        "runs stored == units asked": "" if len(runs) == line.units
        else f"{len(runs)} runs stored, {line.units} asked",
        "run ids unique": "" if len(set(ids)) == len(ids)
        else f"{len(ids) - len(set(ids))} repeated",
        "serial numbers unique, those asked": "" if sorted(sns) == asked
        else f"{len(set(sns))} distinct of {len(sns)}; {len(set(asked) - set(sns))} asked missing",
        "one finished batch a station": "" if len(stored["batches"]) == len(shares)
        and not unfinished
        else f"{len(stored['batches'])} batches of {len(shares)}; not finished: {unfinished[:3]}",
    }


def measure(backend: str, url: str, line: Line, folder: Path) -> dict[str, Any]:
    """Run the line on ``url`` and check what it left: the back end's figures and checks."""
    ran = run_line(line, url, folder)
    stored = read_store(url, ran.line_id)
    checks = {
        "line exited 0 or 1": "" if ran.status in LINE_RAN else f"exit {ran.status}: {ran.said}",
        **check_runs(line, ran.line_id, stored),
        **check_steps(stored),
    }
    event_checks, counts = check_events(stored, read_logs(folder, ran.line_id))
    checks.update(event_checks)
    runs, steps = len(stored["runs"]), len(stored["steps"])
    line_s = float(ran.figures.get("total", {}).get("seconds") or 0.0)
    return {
        "backend": backend,
        "journal_mode": journal_mode(url),
        "line_status": ran.status,
        "wall_s": round(ran.wall_s, 3),
        "line_s": round(line_s, 3),
        "units_per_s": round(runs / ran.wall_s, 2),
        "step_events_per_s": round(steps / ran.wall_s, 1),
        "line_units_per_s": round(runs / line_s, 2) if line_s > 0 else None,
        "cpu_ms_per_unit": round(ran.cpu_s / runs * 1e3, 2) if runs else None,
        "runs": runs,
        "step_rows": steps,
        "outcomes": dict(sorted(Counter(run["status"] for run in stored["runs"]).items())),
        "events": counts,
        "checks": {name: {"passed": not why, "said": why} for name, why in checks.items()},
        "passed": not any(checks.values()),
    }


def measure_all(line: Line, backends: list[str], server: str) -> dict[str, Any]:
    """Run the line once per back end, each in its own temporary folder and database."""
    plan = load_plan(PLAN)
    results = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="bench-line-") as temp:
            fresh = (fresh_postgresql(server) if backend == "postgresql"
                     else nullcontext(f"sqlite:///{Path(temp) / 'line.db'}"))  # made in WAL
            with fresh as url:
                results[backend] = measure(backend, url, line, Path(temp))
    return {
        "plan": f"{plan.name} ({len(plan.steps)} steps)",
        "stations": line.stations,
        "units": line.units,
        "parallel": line.parallel,
        "seed": line.seed,
        "cpus": len(os.sched_getaffinity(0)),
        "backends": results,
        "passed": all(result["passed"] for result in results.values()),
    }


def table(result: dict[str, Any]) -> str:
    """The result side by side: one column per back end, figures then checks."""
    backends = result["backends"]
    lines = [
        f"line load: {result['stations']} stations x {result['parallel']} slot(s),"
        f" {result['units']} units of {result['plan']}, seed {result['seed']};"
        f" {result['cpus']} CPU(s)",
        f"  {'':<36}" + "".join(f"{BACKENDS[name]:>13}" for name in backends),
    ]
    rows = [
        ("wall s (whole mfg-ctl line)", "wall_s"), ("line s (first start..last end)", "line_s"),
        ("units/s (wall)", "units_per_s"), ("step events/s (wall)", "step_events_per_s"),
        ("units/s (line s)", "line_units_per_s"), ("CPU ms/unit (controller)", "cpu_ms_per_unit"),
        ("runs stored", "runs"), ("step rows stored", "step_rows"),
    ]
    for label, key in rows:
        lines.append(f"  {label:<36}" + "".join(f"{shown(b[key]):>13}" for b in backends.values()))
    for name in next(iter(backends.values()))["checks"]:
        marks = [b["checks"][name] for b in backends.values()]
        lines.append(f"  {name:<36}" + "".join(
            f"{'ok' if mark['passed'] else 'FAILED':>13}" for mark in marks))
    for backend in backends.values():
        for name, mark in backend["checks"].items():
            if not mark["passed"]:
                lines.append(f"  {BACKENDS[backend['backend']]}: {name}: {mark['said']}")
    lines.append("  all checks passed" if result["passed"] else "  SOME CHECKS FAILED")
    return "\n".join(lines) + "\n"


def shown(value: object) -> str:
    """A figure for the table: ``-`` when there is none."""
    return "-" if value is None else str(value)


def stations(text_: str) -> int:
    """An argparse type: a number of stations, 1 to MAX_STATIONS."""
    number = positive(text_)
    if number > MAX_STATIONS:
        raise argparse.ArgumentTypeError(f"{text_!r}: give 1 to {MAX_STATIONS} stations")
    return number


def arguments() -> argparse.ArgumentParser:
    """The command line; ``--json-out`` defaults to the untracked bench/out/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--stations", type=stations, default=50, help="station processes")
    parser.add_argument("--units", type=positive, default=4000, help="units in all, shared out")
    parser.add_argument("--parallel", type=positive, default=2, help="slots of each station")
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated duts")
    parser.add_argument("--backend", choices=("both", *BACKENDS), default="both",
                        help="the store(s) to load")
    parser.add_argument("--pg-url", help="PostgreSQL server to make the database on (default:"
                        f" ${ENV_SERVER}, else {DEFAULT_SERVER})")
    parser.add_argument("--json-out", type=Path, default=OUT / "line_load.json",
                        help="the result as JSON; the table goes beside it (.txt)")
    return parser


def main() -> int:
    options = arguments().parse_args()
    line = Line(options.stations, options.units, options.parallel, options.seed)
    backends = list(BACKENDS) if options.backend == "both" else [options.backend]
    server = server_url(options.pg_url) if "postgresql" in backends else ""
    result = measure_all(line, backends, server)
    text_ = table(result)
    print(text_, end="")
    write_result(result, options.json_out)
    text_path = options.json_out.with_suffix(".txt")
    try:
        text_path.write_text(text_)
    except OSError as error:
        raise SystemExit(f"cannot write the table to {text_path}: {error.strerror}") from None
    print(f"table written to {text_path}")
    return 0 if result["passed"] else 1


if __name__ == "__main__":
    sys.exit(guarded(main))
