"""Where failures cluster: how often each step failed, by station and by hour of the day.

A heatmap's cells are counts of runs: a step counts once in each run in which it
ended failed or in error (as the Pareto of failing steps counts it), in the
column of that run's station, or of the UTC hour the run started. Its rows are
the failing steps, most failures first (so each row's total is the step's Pareto
count); its columns every key the runs have, so a zero says "ran here, never
failed". Pure functions over :class:`~mfg_ctl.analytics.records.UnitRun` records.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from mfg_ctl.analytics.figures import utc
from mfg_ctl.analytics.records import UnitRun
from mfg_ctl.analytics.yields import FAILING_STEP_STATUSES

__all__ = ["HEATMAP_COLUMNS", "Heatmap", "failure_heatmap"]

#: How each kind of heatmap reads a run's column: its station, or its hour (UTC, "00".."23").
HEATMAP_COLUMNS: dict[str, Callable[[UnitRun], str]] = {
    "station": lambda run: run.station_id,
    "hour": lambda run: f"{utc(run.started).hour:02d}",
}


@dataclass(frozen=True)
class Heatmap:
    """Failing runs per step (rows) and column key: ``counts[row][column]``."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    @property
    def most(self) -> int:
        """The largest cell (0 when there is none)."""
        return max((max(row) for row in self.counts if row), default=0)

    def to_dict(self) -> dict[str, Any]:
        """``{"rows", "columns", "counts"}`` with ``counts`` a list per row."""
        return {
            "rows": list(self.rows),
            "columns": list(self.columns),
            "counts": [list(row) for row in self.counts],
        }


def failure_heatmap(runs: Sequence[UnitRun], dimension: str) -> Heatmap:
    """The failing steps of ``runs`` against ``dimension`` (a key of :data:`HEATMAP_COLUMNS`)."""
    column_of = HEATMAP_COLUMNS[dimension]
    cells: Counter[tuple[str, str]] = Counter()
    totals: Counter[str] = Counter()
    for run in runs:
        failed = {step.name for step in run.steps if step.status in FAILING_STEP_STATUSES}
        column = column_of(run)
        cells.update((name, column) for name in failed)
        totals.update(failed)
    columns = tuple(sorted({column_of(run) for run in runs}))
    rows = tuple(sorted(totals, key=lambda name: (-totals[name], name)))
    counts = tuple(tuple(cells[row, column] for column in columns) for row in rows)
    return Heatmap(rows, columns, counts)
