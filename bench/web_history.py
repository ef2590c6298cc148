"""Web history benchmark: ``GET /runs`` over a run store of 100,000 runs.

The issue's target: every history page answers in under 300 ms with 100,000 stored
runs. The benchmark fills a fresh SQLite run store in a temporary folder with ``--runs``
runs (SQLAlchemy Core bulk INSERTs: five plans, about three runs per serial number,
one batch per 200 runs, four stations and stages, a tenth of the runs failed), serves
the web UI over real HTTP (waitress on a free port, in a thread of this process) and
times each query ``--requests`` times after one warm-up request: wall time from the
request sent to the whole page read, over a new connection each time. It prints the
median and 95th percentile per query against the target and writes them as JSON.

    python bench/web_history.py [--runs N] [--requests N] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchlib import OUT, add_cpu_option, guarded, pin, positive, write_result
from waitress.server import BaseWSGIServer

from mfg_ctl.store import RunStore
from mfg_ctl.store.models import TestRun
from mfg_ctl.store.rows import insert_into
from mfg_ctl.web import WebSettings, create_app
from mfg_ctl.web.serving import wsgi_server

TARGET_MS = 300.0
PLANS = ("station_bringup", "dut_functional", "dvt_tempco", "burn_in", "final_check")
STAGES = ("EVT", "DVT", "PVT", "MP")
#: One run in ten failed, one in fifty erred, one in a hundred was aborted; the rest passed.
_FAILED, _ERROR, _ABORTED = 10, 50, 100
#: Rows per INSERT statement, so the filling holds a bounded list in memory.
_CHUNK = 10_000
ROOT = Path(__file__).resolve().parents[1]


def _status(index: int) -> str:
    if index % _ABORTED == 1:
        return "aborted"
    if index % _ERROR == 2:
        return "error"
    return "failed" if index % _FAILED == 3 else "passed"


def _run_row(index: int, started: datetime) -> dict[str, Any]:
    """One stored run: its identity and verdict vary with ``index`` (no steps are stored)."""
    status = _status(index)
    return {
        "id": f"{index:08x}-bench",
        "plan_name": PLANS[index % len(PLANS)],
        "plan_path": f"plans/{PLANS[index % len(PLANS)]}.yaml",
        "plan_text": "name: bench\nsteps: []\n",
        "plan_hash": None,
        "framing": "custom",
        "status": status,
        "started_at": started,
        "finished_at": started + timedelta(seconds=12),
        "duration_s": 12.0,
        "step_count": 11,
        "passed": 11 if status == "passed" else 10,
        "failed": 1 if status == "failed" else 0,
        "errors": 1 if status == "error" else 0,
        "first_failure": None if status == "passed" else "9 check_dmm_dc_voltage",
        "selected_steps": [],
        "host": "bench",
        "pid": 1,
        "sn": f"SN{index // 3:06d}",
        "batch_id": f"B{index // 200:04d}",
        "station_id": f"ST{index % 4}",
        "stage": STAGES[(index // 1000) % len(STAGES)],
        "operator": "bench",
        "plan_version": "1.0",
        "skipped": 0,
    }


def fill(url: str, runs: int) -> None:
    """Record ``runs`` ended runs, one every 30 s from 2026-01-01, in one transaction."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with RunStore(url) as store, store._write_engine.begin() as connection:
        for first in range(0, runs, _CHUNK):
            rows = [
                _run_row(index, start + timedelta(seconds=30 * index))
                for index in range(first, min(runs, first + _CHUNK))
            ]
            connection.execute(insert_into(TestRun), rows)


def queries(runs: int) -> dict[str, str]:
    """The pages timed, by name: the first page, three filters, and a deep page."""
    middle_sn = f"SN{runs // 6:06d}"
    deep = max(1, min(1000, runs // 50))
    return {
        "first page": "/runs",
        "plan": f"/runs?plan={PLANS[1]}",
        "sn": f"/runs?sn={middle_sn}",
        "status=failed": "/runs?status=failed",
        f"page={deep}": f"/runs?page={deep}",
    }


@contextmanager
def served(url: str, runs_dir: Path) -> Iterator[int]:
    """The web UI over the store at ``url`` on a free loopback port, in a thread; its port."""
    settings = WebSettings(db_url=url, plans_dir=ROOT / "plans", runs_dir=runs_dir)
    app = create_app(settings)
    server = wsgi_server(app, "127.0.0.1", 0)  # as mfg-ctl serve-web serves it
    if not isinstance(server, BaseWSGIServer):
        raise RuntimeError("waitress listens on more than the one loopback socket asked for")
    thread = threading.Thread(target=server.run, name="waitress", daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1])
    finally:
        server.task_dispatcher.shutdown()  # the workers end before their trigger is closed
        server.close()
        thread.join(timeout=10)
        app.extensions["mfg_ctl"].launcher.shutdown()
        app.extensions["mfg_ctl"].store.close()


def fetch(port: int, path: str) -> tuple[float, int]:
    """Milliseconds to GET ``path`` and read the whole answer over a new connection; its size."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        began = time.perf_counter()
        connection.request("GET", path)
        answer = connection.getresponse()
        body = answer.read()
        taken = (time.perf_counter() - began) * 1000
    finally:
        connection.close()
    if answer.status != 200:
        raise RuntimeError(f"GET {path} answered {answer.status}: {body[:200]!r}")
    if b'<tr class="run ' not in body:
        raise RuntimeError(f"GET {path} listed no run")
    return taken, len(body)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(runs: int, requests: int) -> dict[str, Any]:
    """Fill a temporary store and time each query over HTTP."""
    timed: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="web-history-") as folder:
        url = f"sqlite:///{Path(folder) / 'runs.db'}"
        began = time.perf_counter()
        fill(url, runs)
        fill_s = time.perf_counter() - began
        with served(url, Path(folder) / "runs") as port:
            for name, path in queries(runs).items():
                fetch(port, path)  # warm-up: the templates, the store's caches
                taken = [fetch(port, path) for _ in range(requests)]
                times = [ms for ms, _ in taken]
                timed[name] = {
                    "path": path,
                    "p50_ms": round(statistics.median(times), 1),
                    "p95_ms": round(_percentile(times, 0.95), 1),
                    "bytes": taken[-1][1],
                    "pass": _percentile(times, 0.95) < TARGET_MS,
                }
    return {
        "runs": runs,
        "requests": requests,
        "fill_s": round(fill_s, 2),
        "target_ms": TARGET_MS,
        "queries": timed,
    }


def arguments() -> argparse.ArgumentParser:
    """The command line; ``--json-out`` defaults to the untracked bench/out/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=positive, default=100_000, help="runs stored")
    parser.add_argument("--requests", type=positive, default=30, help="timed requests per query")
    parser.add_argument("--json-out", type=Path, default=OUT / "web_history.json")
    add_cpu_option(parser)
    return parser


def main() -> int:
    """Measure, print the figures (PASS/FAIL against the target) and write them as JSON."""
    options = arguments().parse_args()
    cpu = pin(options.cpu)
    result = measure(options.runs, options.requests)
    result["pinned_cpu"] = cpu
    print(f"{result['runs']} runs stored in {result['fill_s']:.1f} s; "
          f"{result['requests']} requests per query over HTTP")
    print(f"  {'query':<16} {'p50 ms':>8} {'p95 ms':>8}  target {TARGET_MS:g} ms")
    for name, figures in result["queries"].items():
        verdict = "PASS" if figures["pass"] else "FAIL"
        print(f"  {name:<16} {figures['p50_ms']:>8.1f} {figures['p95_ms']:>8.1f}  {verdict}")
    write_result(result, options.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(guarded(main))
