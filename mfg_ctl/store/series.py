"""The run store's measured series: every measured step result, in run order (a mixin).

``mfg-ctl trends`` reads the history with one query: step results joined to their
runs, filtered in SQL, only the steps that measured a value, oldest run first. The
answer is plain columns (:class:`MeasuredColumns`), which the analytics turn into
one series per plan and step with numpy; no ORM object is built per row, so
100,000 results come back in a fraction of a second.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session

from mfg_ctl.store.models import StepResult, TestRun

__all__ = ["MeasuredColumns", "SeriesFilter", "SeriesRecords"]


@dataclass(frozen=True)
class SeriesFilter:
    """Which measured results to read; every field left None matches everything.

    ``step`` and ``register`` match a step's name and its register (target) exactly;
    ``since`` is inclusive; ``last`` keeps the newest ``last`` runs that measured
    something the other filters let through.
    """

    plan: str | None = None
    step: str | None = None
    register: str | None = None
    station_id: str | None = None
    sn: str | None = None
    since: datetime | None = None
    last: int | None = None


@dataclass(frozen=True)
class MeasuredColumns:
    """Measured step results as parallel columns, oldest run first (then by step number)."""

    plan_name: list[str]
    step_name: list[str]
    register: list[str]
    run_id: list[str]
    number: list[int]
    measured: list[float]
    low: list[float | None]
    high: list[float | None]

    def __len__(self) -> int:
        """How many results."""
        return len(self.measured)


_COLUMNS = (
    TestRun.plan_name,
    StepResult.name,
    StepResult.register,
    StepResult.run_id,
    StepResult.number,
    StepResult.measured,
    StepResult.low,
    StepResult.high,
)


def _step_filters(wanted: SeriesFilter) -> list[ColumnElement[bool]]:
    """The conditions on a step row (measured, its name, its register)."""
    conditions: list[ColumnElement[bool]] = [StepResult.measured.is_not(None)]
    if wanted.step is not None:
        conditions.append(StepResult.name == wanted.step)
    if wanted.register is not None:
        conditions.append(StepResult.register == wanted.register)
    return conditions


def _run_filters(wanted: SeriesFilter) -> list[ColumnElement[bool]]:
    """The conditions on a run row (plan, station, unit, start)."""
    conditions: list[ColumnElement[bool]] = []
    if wanted.plan is not None:
        conditions.append(TestRun.plan_name == wanted.plan)
    if wanted.station_id is not None:
        conditions.append(TestRun.station_id == wanted.station_id)
    if wanted.sn is not None:
        conditions.append(TestRun.sn == wanted.sn)
    if wanted.since is not None:
        conditions.append(TestRun.started_at >= wanted.since)
    return conditions


def series_query(wanted: SeriesFilter) -> Select[*tuple[Any, ...]]:
    """The one SELECT of the measured results ``wanted`` asks for (``last``: a subquery)."""
    step_conditions = _step_filters(wanted)
    run_conditions = _run_filters(wanted)
    stmt = (
        select(*_COLUMNS)
        .join(TestRun, TestRun.id == StepResult.run_id)
        .where(*step_conditions, *run_conditions)
        .order_by(TestRun.started_at, TestRun.id, StepResult.number)
    )
    if wanted.last is not None:
        measured_here = exists().where(StepResult.run_id == TestRun.id, *step_conditions)
        newest = (
            select(TestRun.id)
            .where(measured_here, *run_conditions)
            .order_by(TestRun.started_at.desc(), TestRun.id.desc())
            .limit(wanted.last)
        )
        stmt = stmt.where(TestRun.id.in_(newest.scalar_subquery()))
    return stmt


class SeriesRecords:
    """The measured-series query; the store supplies the read transaction."""

    def _read(self, what: str) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def measured_columns(self, wanted: SeriesFilter | None = None) -> MeasuredColumns:
        """Every measured step result ``wanted`` lets through, as columns, oldest run first."""
        stmt = series_query(wanted or SeriesFilter())
        with self._read("read the measured results") as session:
            rows = session.connection().execute(stmt).all()  # Core rows: no ORM loading
        columns: list[list[Any]] = [list(column) for column in zip(*rows, strict=True)]
        if not columns:
            columns = [[] for _ in _COLUMNS]
        plans, names, registers, run_ids, numbers, measured, lows, highs = columns
        return MeasuredColumns(
            plan_name=cast(list[str], plans),
            step_name=cast(list[str], names),
            register=cast(list[str], registers),
            run_id=cast(list[str], run_ids),
            number=cast(list[int], numbers),
            measured=cast(list[float], measured),
            low=cast(list[float | None], lows),
            high=cast(list[float | None], highs),
        )

    def measured_steps(self, plan: str | None = None) -> list[str]:
        """The names of the steps with a measured result (of ``plan``), sorted: for errors."""
        stmt = (
            select(StepResult.name)
            .join(TestRun, TestRun.id == StepResult.run_id)
            .where(StepResult.measured.is_not(None))
            .distinct()
            .order_by(StepResult.name)
        )
        if plan is not None:
            stmt = stmt.where(TestRun.plan_name == plan)
        with self._read("read the measured steps") as session:
            return [str(name) for name in session.scalars(stmt)]

    def measured_plans(self) -> list[str]:
        """The plans with a measured result, sorted: for errors."""
        stmt = (
            select(TestRun.plan_name)
            .join(StepResult, TestRun.id == StepResult.run_id)
            .where(StepResult.measured.is_not(None))
            .distinct()
            .order_by(TestRun.plan_name)
        )
        with self._read("read the measured plans") as session:
            return [str(name) for name in session.scalars(stmt)]
