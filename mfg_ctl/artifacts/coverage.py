"""The requirement traceability matrix of a batch: which step verifies what, and how it went.

Rows are requirements (the requirements file's order), columns are the plan's
steps. A cell exists where a step names the requirement; it counts the runs in
which that step's final status was pass, fail (fail or error) or not run
(skipped, or absent because the run ended early). A run's step is matched to
the plan's step by its index in the plan. Pure data: no I/O here.

>>> steps = [PlanStep(1, "power_on", ("REQ-PWR-001",)), PlanStep(2, "idn", ())]
>>> matrix = coverage_matrix(None, steps, [])
>>> [(row.id, row.status) for row in matrix.rows]
[('REQ-PWR-001', 'not run')]
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from mfg_ctl.analytics.records import UnitRun
from mfg_ctl.plan import Plan
from mfg_ctl.requirements import RequirementSet

__all__ = [
    "REQUIREMENT_STATUSES",
    "CoverageCell",
    "CoverageMatrix",
    "PlanStep",
    "RequirementRow",
    "coverage_csv",
    "coverage_matrix",
    "plan_steps",
]

#: What a requirement's row can say, worst news first.
REQUIREMENT_STATUSES = ("fail", "not covered", "not run", "pass")

_FAILED = frozenset({"fail", "error"})


@dataclass(frozen=True)
class PlanStep:
    """One step of the plan as the matrix needs it: its number, name and requirements."""

    index: int  # the step's number in its plan, from 1
    name: str
    requirements: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``3 check_vout``: the step's column heading."""
        return f"{self.index} {self.name}"


def plan_steps(plan: Plan) -> tuple[PlanStep, ...]:
    """The matrix's columns for ``plan``: every step, teardown last, numbered from 1 as runs are."""
    return tuple(
        PlanStep(number, step.name, tuple(step.requirements))
        for number, step in enumerate(plan.all_steps, start=1)
    )


@dataclass(frozen=True)
class CoverageCell:
    """A step that covers a requirement: in how many runs it passed, failed or did not run."""

    step_index: int
    passed: int = 0
    failed: int = 0
    not_run: int = 0

    @property
    def status(self) -> str:
        """``fail`` if it failed in any run, else ``pass`` if it ever passed, else ``not run``."""
        if self.failed:
            return "fail"
        return "pass" if self.passed else "not run"

    def text(self, run_count: int) -> str:
        """``pass 3 / fail 1 / not run 0``; for a single run just its status."""
        if run_count == 1:
            return self.status
        return f"pass {self.passed} / fail {self.failed} / not run {self.not_run}"

    def to_dict(self) -> dict[str, Any]:
        """The cell for JSON."""
        return {
            "step_index": self.step_index,
            "status": self.status,
            "pass": self.passed,
            "fail": self.failed,
            "not_run": self.not_run,
        }


@dataclass(frozen=True)
class RequirementRow:
    """One requirement: what it says, its status, and one cell per plan step (None: not covered)."""

    id: str
    title: str
    method: str  # "" when the file names none (or there is no file)
    status: str  # one of REQUIREMENT_STATUSES
    cells: tuple[CoverageCell | None, ...]

    def to_dict(self) -> dict[str, Any]:
        """The row for JSON: only the covering steps' cells."""
        return {
            "id": self.id,
            "title": self.title,
            "method": self.method,
            "status": self.status,
            "cells": [cell.to_dict() for cell in self.cells if cell is not None],
        }


@dataclass(frozen=True)
class CoverageMatrix:
    """Requirements x plan steps over ``run_count`` runs."""

    steps: tuple[PlanStep, ...]
    rows: tuple[RequirementRow, ...]
    run_count: int

    def status_counts(self) -> dict[str, int]:
        """How many requirements have each status, in REQUIREMENT_STATUSES order."""
        statuses = [row.status for row in self.rows]
        return {status: statuses.count(status) for status in REQUIREMENT_STATUSES}

    def to_dict(self) -> dict[str, Any]:
        """The matrix for JSON (results_summary.json) and the HTML report."""
        return {
            "run_count": self.run_count,
            "status_counts": self.status_counts(),
            "steps": [
                {"index": step.index, "name": step.name, "requirements": list(step.requirements)}
                for step in self.steps
            ],
            "requirements": [row.to_dict() for row in self.rows],
        }


def coverage_matrix(
    requirements: RequirementSet | None, steps: Sequence[PlanStep], runs: Sequence[UnitRun]
) -> CoverageMatrix:
    """The matrix of ``requirements`` (None: the ids the steps name) over ``steps`` and ``runs``.

    Ids the steps name but the file lacks (the plan loader refuses those) are
    listed after the file's, with an empty title, rather than dropped.
    """
    finals = [{record.index: record.status for record in run.steps} for run in runs]
    cells_by_step = {step.index: _cell(step.index, finals) for step in steps}
    rows = []
    for requirement_id, title, method in _requirement_list(requirements, steps):
        cells = tuple(
            cells_by_step[step.index] if requirement_id in step.requirements else None
            for step in steps
        )
        rows.append(RequirementRow(requirement_id, title, method, _row_status(cells), cells))
    return CoverageMatrix(tuple(steps), tuple(rows), len(runs))


def _cell(step_index: int, finals: Sequence[dict[int, str]]) -> CoverageCell:
    statuses = [final.get(step_index, "skipped") for final in finals]
    failed = sum(status in _FAILED for status in statuses)
    passed = statuses.count("pass")
    return CoverageCell(step_index, passed, failed, len(statuses) - passed - failed)


def _row_status(cells: Sequence[CoverageCell | None]) -> str:
    covering = [cell for cell in cells if cell is not None]
    if not covering:
        return "not covered"
    if any(cell.failed for cell in covering):
        return "fail"
    return "pass" if any(cell.passed for cell in covering) else "not run"


def _requirement_list(
    requirements: RequirementSet | None, steps: Sequence[PlanStep]
) -> list[tuple[str, str, str]]:
    """(id, title, method) of every requirement: the file's, then any other the steps name."""
    listed: list[tuple[str, str, str]] = [
        (requirement.id, requirement.title, requirement.method or "")
        for requirement in requirements or ()
    ]
    known = {requirement_id for requirement_id, _, _ in listed}
    for step in steps:
        for requirement_id in step.requirements:
            if requirement_id not in known:
                known.add(requirement_id)
                listed.append((requirement_id, "", ""))
    return listed


def coverage_csv(matrix: CoverageMatrix) -> str:
    """``coverage_matrix.csv``: requirement, title, method, status, then one column per step."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["requirement", "title", "method", "status"] + [s.label for s in matrix.steps])
    for row in matrix.rows:
        cells = ["" if cell is None else cell.text(matrix.run_count) for cell in row.cells]
        writer.writerow([row.id, row.title, row.method, row.status, *cells])
    return buffer.getvalue()
