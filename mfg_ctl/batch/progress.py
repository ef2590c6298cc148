"""What the operator sees of a batch: a progress line on a terminal, one summary at the end."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import IO, Any

from mfg_ctl.batch.runner import UnitDone

__all__ = ["BatchProgress", "summary_lines"]


class BatchProgress:
    """Counts units as they are recorded; on a terminal, redraws one line on ``stream``.

    ``units 12/20: 10 passed, 2 failed; 3.1 units/s, ETA 3 s``. Piped, it stays
    silent: the summary says it all.
    """

    def __init__(self, total: int, stream: IO[str], live: bool | None = None) -> None:
        self.total = total
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.passed = 0
        self.failed = 0
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._width = 0

    @property
    def done(self) -> int:
        """Units recorded so far."""
        return self.passed + self.failed

    def __call__(self, unit: UnitDone) -> None:
        with self._lock:
            if unit.finished.status == "passed":
                self.passed += 1
            else:
                self.failed += 1
            if self.live:
                self._draw(self.line())

    def line(self) -> str:
        """The progress line as it stands."""
        elapsed = max(time.monotonic() - self._start, 1e-9)
        rate = self.done / elapsed
        left = self.total - self.done
        eta = f"ETA {left / rate:.0f} s" if rate > 0 and left else "ETA -"
        return (
            f"units {self.done}/{self.total}: {self.passed} passed, {self.failed} failed; "
            f"{rate:.1f} units/s, {eta}"
        )

    def _draw(self, text: str) -> None:
        pad = max(self._width - len(text), 0)
        self.stream.write("\r" + text + " " * pad)
        self.stream.flush()
        self._width = len(text)

    def close(self) -> None:
        """Clear the progress line (a terminal only)."""
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()


def summary_lines(summary: Mapping[str, Any], folder: str) -> list[str]:
    """The batch's closing lines, from its ``results_summary.json``."""
    batch, units, figures = summary["batch"], summary["units"], summary["yield"]

    def percent(value: float | None) -> str:
        return "n/a" if value is None else f"{value * 100:.1f}%"

    lines = [
        f"batch {batch['batch_id']} (station {batch['station_id'] or '-'}, stage "
        f"{batch['stage'] or '-'}): {units['tested']} tested, {units['passed']} passed, "
        f"{units['failed']} failed, {units['not_tested']} not tested",
        f"FPY {percent(figures['fpy'])}, final yield {percent(figures['final_yield'])}, "
        f"flaky rate {percent(figures['flaky_rate'])}",
    ]
    top = summary["pareto"]["steps"][:3]
    if top:
        worst = ", ".join(f"{entry['name']} ({entry['count']})" for entry in top)
        lines.append(f"most failing steps: {worst}")
    coverage = summary.get("coverage")
    if coverage and coverage["requirements"]:
        counts = ", ".join(f"{n} {status}" for status, n in coverage["status_counts"].items() if n)
        lines.append(f"requirements: {counts}")
        for row in coverage["requirements"]:
            if row["status"] in ("fail", "not covered"):
                lines.append(f"  {row['id']}: {row['status']} ({row['title']})")
    lines.append(f"artifacts: {folder}")
    return lines
