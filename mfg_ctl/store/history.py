"""The run history a page at a time (a mixin of :class:`~mfg_ctl.store.RunStore`).

The web UI's ``/runs`` lists every stored run, newest first, filtered by plan,
unit identity, status and start time, 50 to a page with the total that matched.
Every filter is an equality or a range on an indexed column of ``test_runs``,
so a page and its count stay a few milliseconds on a store of 100,000 runs:
the page is read through the start-time index (or the filter's own index),
the count is an index-only scan. A run's big ``plan_text`` is never read here.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select
from sqlalchemy.orm import Session, defer

from mfg_ctl.store.models import RunSummary, StoredRun, SweepReadingRow, TestRun
from mfg_ctl.store.rows import summary

__all__ = [
    "HistoryRecords",
    "RunFilter",
    "RunPage",
    "page_query",
    "stored_dict",
    "summary_dict",
]

#: The text filters, each an equality on the run column of the same name (``plan``: plan_name).
TEXT_FILTERS = ("plan", "sn", "batch_id", "station_id", "stage", "status")


@dataclass(frozen=True)
class RunFilter:
    """Which runs a history page lists; a field left None matches every run.

    ``since`` is inclusive, ``until`` exclusive (both compare the start time).
    """

    plan: str | None = None
    sn: str | None = None
    batch_id: str | None = None
    station_id: str | None = None
    stage: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE conditions on ``test_runs`` this filter stands for."""
        found: list[ColumnElement[bool]] = []
        for name in TEXT_FILTERS:
            value = getattr(self, name)
            if value is not None:
                column = TestRun.plan_name if name == "plan" else getattr(TestRun, name)
                found.append(column == value)
        if self.since is not None:
            found.append(TestRun.started_at >= self.since)
        if self.until is not None:
            found.append(TestRun.started_at < self.until)
        return found


@dataclass(frozen=True)
class RunPage:
    """One page of the history: its runs, newest first, and how many runs matched in all."""

    runs: tuple[RunSummary, ...]
    total: int
    page: int  # from 1
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the matching runs fill (at least 1, an empty first page)."""
        return max(1, -(-self.total // self.per_page))

    def to_dict(self) -> dict[str, Any]:
        """The page as plain JSON values (``GET /api/runs``)."""
        return {
            "runs": [summary_dict(run) for run in self.runs],
            "total": self.total,
            "page": self.page,
            "per_page": self.per_page,
        }


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each time as ISO 8601 text (UTC, as stored)."""
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in values.items()
    }


def summary_dict(run: RunSummary) -> dict[str, Any]:
    """A run's summary (the fields of :class:`RunSummary`) as plain JSON values."""
    return _plain({field.name: getattr(run, field.name) for field in fields(RunSummary)})


def stored_dict(run: StoredRun) -> dict[str, Any]:
    """A stored run in full as plain JSON values: its summary, plan text, devices and steps."""
    values = _plain(asdict(run))
    values["steps"] = [_plain(step) for step in values["steps"]]
    return values


def page_query(wanted: RunFilter, page: int, per_page: int) -> Select[TestRun]:
    """The SELECT of one page: newest first, ties by id, so that pages never overlap;
    the index on (started_at, id) serves this order without a sort."""
    return (
        select(TestRun)
        .options(defer(TestRun.plan_text), defer(TestRun.selected_steps))
        .where(*wanted.conditions())
        .order_by(TestRun.started_at.desc(), TestRun.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    )


class HistoryRecords:
    """The paged history query; the store supplies the read transaction."""

    def _read(self, what: str) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _reap(self) -> None:
        raise NotImplementedError

    def run_page(self, wanted: RunFilter, page: int = 1, per_page: int = 50) -> RunPage:
        """Page ``page`` (from 1) of the runs ``wanted`` lets through, newest first."""
        if page < 1 or per_page < 1:
            raise ValueError(f"page {page} of {per_page} runs: both must be at least 1")
        self._reap()
        counted = select(func.count()).select_from(TestRun).where(*wanted.conditions())
        with self._read("list the run history") as session:
            listed = session.scalars(page_query(wanted, page, per_page))
            runs = tuple(summary(run) for run in listed)
            total = int(session.execute(counted).scalar_one())
        return RunPage(runs, total, page, per_page)

    def has_sweep_readings(self, run_id: str) -> bool:
        """Whether run ``run_id`` (its full id) recorded a sweep's raw readings (a TempCo curve)."""
        stmt = select(exists().where(SweepReadingRow.run_id == run_id))
        with self._read(f"look for the sweep readings of run {run_id}") as session:
            return bool(session.execute(stmt).scalar_one())
