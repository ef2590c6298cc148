"""Yield figures over recorded runs of units: FPY, final yield, flaky rate, RTY, Paretos, strata.

Theory of operation. A *unit* is a serial number within a stage: the key
``(stage, sn)``, so the same board tested in EVT and again in DVT is two
units. A unit's runs are ordered by ``started`` (UTC), then ``run_id``; its
FIRST run says whether it passed first time (and where it belongs when the
figures are split by station, operator, ...), its LAST run whether it passed
in the end. doc/analytics.rst writes the definitions as formulas.

Pure functions over :class:`~mfg_ctl.analytics.records.UnitRun` records: no
I/O, no clock, so the store and a batch's ``events.jsonl`` give the same
figures. The records live in :mod:`mfg_ctl.analytics.figures`;
:mod:`mfg_ctl.analytics.text` renders them for a terminal (both re-exported here).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mfg_ctl.analytics.figures import (
    DIMENSIONS,
    ParetoEntry,
    StageYield,
    Stratum,
    YieldReport,
    run_to_dict,
    utc,
)
from mfg_ctl.analytics.records import UnitRun
from mfg_ctl.analytics.text import render_history_text, render_yield_text

__all__ = [
    "DIMENSIONS",
    "FAILING_STEP_STATUSES",
    "STAGE_ORDER",
    "ParetoEntry",
    "StageYield",
    "Stratum",
    "YieldReport",
    "history",
    "render_history_text",
    "render_yield_text",
    "run_to_dict",
    "utc",
    "yield_report",
]

#: The usual order of the build stages; other labels follow them, alphabetically.
STAGE_ORDER = ("EVT", "DVT", "PVT", "MP")
#: A step's final status that counts it in the Pareto of failing steps.
FAILING_STEP_STATUSES = frozenset(("fail", "error"))


def _order(run: UnitRun) -> tuple[datetime, str]:
    return utc(run.started), run.run_id


def _hour(run: UnitRun) -> str:
    return utc(run.started).strftime("%Y-%m-%d %H:00")


#: How each dimension reads its key off a unit's first run.
_KEY_OF: dict[str, Callable[[UnitRun], str]] = {
    "station": lambda run: run.station_id,
    "stage": lambda run: run.stage,
    "batch": lambda run: run.batch_id,
    "operator": lambda run: run.operator,
    "hour": _hour,
}


def _stage_rank(stage: str) -> tuple[int, str]:
    known = stage in STAGE_ORDER
    return (STAGE_ORDER.index(stage) if known else len(STAGE_ORDER)), stage


@dataclass(frozen=True)
class _Unit:
    """One unit's runs, oldest first, and what they say about it."""

    runs: tuple[UnitRun, ...]

    @property
    def first(self) -> UnitRun:
        return self.runs[0]

    @property
    def first_pass(self) -> bool:
        """Its first run passed with no step passing only on a retry."""
        return self.first.passed and not self.first.retried

    @property
    def flaky(self) -> bool:
        """Its first run passed, but some step only on a retry."""
        return self.first.passed and self.first.retried

    @property
    def passed(self) -> bool:
        """Its last run passed (re-tests of the same unit count)."""
        return self.runs[-1].passed


def _units(runs: Iterable[UnitRun]) -> list[_Unit]:
    grouped: dict[tuple[str, str], list[UnitRun]] = {}
    for run in runs:
        grouped.setdefault((run.stage, run.sn), []).append(run)
    return [_Unit(tuple(sorted(unit_runs, key=_order))) for unit_runs in grouped.values()]


def _pareto(counts: Counter[str]) -> tuple[ParetoEntry, ...]:
    """Entries by count, most first (ties by name); percentages of the total count."""
    total = sum(counts.values())
    entries = []
    running = 0
    for name, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        running += count
        entries.append(ParetoEntry(name, count, 100 * count / total, 100 * running / total))
    return tuple(entries)


def _failing_steps(runs: Iterable[UnitRun]) -> Counter[str]:
    """For each step name, the runs in which it ended failed or in error."""
    counts: Counter[str] = Counter()
    for run in runs:
        counts.update(
            {step.name for step in run.steps if step.status in FAILING_STEP_STATUSES}
        )
    return counts


def _error_codes(runs: Iterable[UnitRun]) -> Counter[str]:
    """For each error code, the attempts that carried it."""
    return Counter(code for run in runs for step in run.steps for code in step.error_codes)


def _stratify(units: Sequence[_Unit], dimension: str) -> tuple[Stratum, ...]:
    key_of = _KEY_OF[dimension]
    grouped: dict[str, list[_Unit]] = {}
    for unit in units:
        grouped.setdefault(key_of(unit.first), []).append(unit)
    order: Callable[[str], Any] = _stage_rank if dimension == "stage" else str
    return tuple(
        Stratum(
            key=key,
            tested=len(grouped[key]),
            first_pass=sum(unit.first_pass for unit in grouped[key]),
            passed=sum(unit.passed for unit in grouped[key]),
        )
        for key in sorted(grouped, key=order)
    )


def yield_report(runs: Sequence[UnitRun]) -> YieldReport:
    """Compute every yield figure of ``runs`` (finished runs, any order)."""
    units = _units(runs)
    strata = {dimension: _stratify(units, dimension) for dimension in DIMENSIONS}
    stages = tuple(
        StageYield(stratum.key, stratum.tested, stratum.first_pass)
        for stratum in strata["stage"]
    )
    return YieldReport(
        tested=len(units),
        passed=sum(unit.passed for unit in units),
        first_pass=sum(unit.first_pass for unit in units),
        flaky=sum(unit.flaky for unit in units),
        stages=stages,
        step_pareto=_pareto(_failing_steps(runs)),
        code_pareto=_pareto(_error_codes(runs)),
        stratification=strata,
    )


def history(runs: Sequence[UnitRun], sn: str) -> list[UnitRun]:
    """Every run of serial number ``sn`` (in any stage), oldest first."""
    return sorted((run for run in runs if run.sn == sn), key=_order)
