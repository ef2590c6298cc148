"""The yield figures themselves: the report and its parts, counts kept and fractions derived.

Frozen records with the JSON shape ``mfg-ctl analytics --json`` prints
(:meth:`YieldReport.to_dict`); :mod:`mfg_ctl.analytics.yields` computes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from math import prod
from typing import Any

from mfg_ctl.analytics.records import UnitRun

__all__ = [
    "DIMENSIONS",
    "ParetoEntry",
    "StageYield",
    "Stratum",
    "UnitCounts",
    "YieldReport",
    "fraction",
    "run_to_dict",
    "utc",
]

#: The ways the figures are split, each by a property of a unit's first run.
DIMENSIONS = ("station", "stage", "batch", "operator", "hour")


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive time is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def fraction(part: int, whole: int) -> float | None:
    """``part / whole``, or None when there is no whole (no unit tested)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class StageYield:
    """One stage's units tested and its first-pass yield (a factor of the RTY)."""

    stage: str
    tested: int
    first_pass: int

    @property
    def fpy(self) -> float | None:
        """First-pass yield of the stage."""
        return fraction(self.first_pass, self.tested)

    def to_dict(self) -> dict[str, Any]:
        """``{"stage", "tested", "fpy"}``, as the JSON report has it."""
        return {"stage": self.stage, "tested": self.tested, "fpy": self.fpy}


@dataclass(frozen=True)
class ParetoEntry:
    """One bar of a Pareto chart: a step name or an error code and how often it came up."""

    name: str
    count: int
    percent: float  # of all the counts of its chart, 0..100
    cumulative_percent: float  # of this entry and every one above it

    def to_dict(self) -> dict[str, Any]:
        """``{"name", "count", "percent", "cumulative_percent"}``."""
        return {
            "name": self.name,
            "count": self.count,
            "percent": self.percent,
            "cumulative_percent": self.cumulative_percent,
        }


@dataclass(frozen=True)
class Stratum:
    """The units whose first run shares one key (a station, an operator, an hour, ...)."""

    key: str
    tested: int
    first_pass: int
    passed: int

    @property
    def fpy(self) -> float | None:
        """First-pass yield of these units."""
        return fraction(self.first_pass, self.tested)

    @property
    def final_yield(self) -> float | None:
        """Final yield of these units."""
        return fraction(self.passed, self.tested)

    def to_dict(self) -> dict[str, Any]:
        """``{"key", "tested", "first_pass", "passed", "fpy", "final_yield"}``."""
        return {
            "key": self.key,
            "tested": self.tested,
            "first_pass": self.first_pass,
            "passed": self.passed,
            "fpy": self.fpy,
            "final_yield": self.final_yield,
        }


@dataclass(frozen=True)
class UnitCounts:
    """How many units were tested, passed in the end and passed first time; the yields."""

    tested: int
    passed: int  # units whose last run passed
    first_pass: int  # units whose first run passed with no retried pass

    @property
    def failed(self) -> int:
        """Units whose last run did not pass."""
        return self.tested - self.passed

    @property
    def fpy(self) -> float | None:
        """First-pass yield: units right first time / units tested (None: none tested)."""
        return fraction(self.first_pass, self.tested)

    @property
    def final_yield(self) -> float | None:
        """Units passed in the end / units tested (None: none tested)."""
        return fraction(self.passed, self.tested)


@dataclass(frozen=True)
class YieldReport(UnitCounts):
    """The yield figures of a set of runs: counts kept, fractions derived from them."""

    flaky: int  # units whose first run passed thanks to a retry
    stages: tuple[StageYield, ...]
    step_pareto: tuple[ParetoEntry, ...]
    code_pareto: tuple[ParetoEntry, ...]
    stratification: Mapping[str, tuple[Stratum, ...]]  # one entry per DIMENSIONS

    @property
    def flaky_rate(self) -> float | None:
        """Units that passed first time only on a retried step / units tested."""
        return fraction(self.flaky, self.tested)

    @property
    def rty(self) -> float | None:
        """Rolled throughput yield: the product of the stages' FPYs (two stages or more)."""
        fpys = [stage.fpy for stage in self.stages]
        if len(fpys) < 2:
            return None
        return prod(fpy for fpy in fpys if fpy is not None)

    def to_dict(self) -> dict[str, Any]:
        """The report as ``mfg-ctl analytics --json`` prints it (doc/analytics.rst)."""
        return {
            "units": {"tested": self.tested, "passed": self.passed, "failed": self.failed},
            "yield": {
                "fpy": self.fpy,
                "final_yield": self.final_yield,
                "flaky_rate": self.flaky_rate,
                "rty": self.rty,
                "stages": [stage.to_dict() for stage in self.stages],
            },
            "pareto": {
                "steps": [entry.to_dict() for entry in self.step_pareto],
                "error_codes": [entry.to_dict() for entry in self.code_pareto],
            },
            "stratification": {
                dimension: [stratum.to_dict() for stratum in self.stratification[dimension]]
                for dimension in DIMENSIONS
            },
        }


def run_to_dict(run: UnitRun) -> dict[str, Any]:
    """A run and its steps as plain JSON values (``mfg-ctl history --json``)."""
    return {
        "run_id": run.run_id,
        "sn": run.sn,
        "batch_id": run.batch_id,
        "station_id": run.station_id,
        "stage": run.stage,
        "operator": run.operator,
        "plan_name": run.plan_name,
        "plan_version": run.plan_version,
        "plan_hash": run.plan_hash,
        "started": utc(run.started).isoformat(),
        "status": run.status,
        "steps": [
            {
                "index": step.index,
                "name": step.name,
                "status": step.status,
                "attempts": step.attempts,
                "error_codes": list(step.error_codes),
                "requirements": list(step.requirements),
            }
            for step in run.steps
        ],
    }
