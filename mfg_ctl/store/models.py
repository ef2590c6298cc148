"""The run store's tables and the records its queries return.

Tables: one row per run, per finished step, per device of a run. Only portable
column types are used (no SQLite-only features), so the same models serve
SQLite on one station and PostgreSQL for many. Timestamps are stored in UTC and
always come back timezone-aware. Opening a database, checking it is ours and
migrating older schemas is :mod:`mfg_ctl.store.schema`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from mfg_ctl.run.events import DeviceInfo

__all__ = [
    "FIX_HINT",
    "SCHEMA_VERSION",
    "STATUSES",
    "AmbiguousRunId",
    "Base",
    "Device",
    "RunNotFound",
    "RunSummary",
    "SchemaInfo",
    "StepResult",
    "StoreError",
    "StoredRun",
    "StoredStep",
    "TestRun",
    "UTCDateTime",
    "plan_hash",
]

#: Bumped by every change to the tables; :func:`~.schema.prepare_schema` migrates older ones.
#: 1: the first tables. 2: ``test_runs.plan_hash`` and ``devices_from``,
#: ``step_results.teardown``.
SCHEMA_VERSION = 2

#: The values of ``TestRun.status``.
STATUSES = ("running", "passed", "failed", "error", "aborted")

#: The end of every error message about where the store is.
FIX_HINT = "set MFG_CTL_DB to another file or URL"


def plan_hash(plan_text: str) -> str:
    """The sha256 of a plan's text: runs of the same plan content share it."""
    return hashlib.sha256(plan_text.encode("utf-8")).hexdigest()


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and read back timezone-aware (naive input counts as UTC)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC; SQLite keeps no offset, so hand it a naive UTC value."""
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        """Attach UTC to what the database returns."""
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of the run store's tables."""


class SchemaInfo(Base):
    """One row: the schema version the tables were created with."""

    __tablename__ = "mfg_ctl_schema"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)


class TestRun(Base):
    """One run of a plan, from RunStarted until RunFinished (or an abort)."""

    __tablename__ = "test_runs"
    __test__ = False  # not a pytest test class
    __table_args__ = (Index("ix_test_runs_plan_started", "plan_name", "started_at"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    plan_name: Mapped[str] = mapped_column(String(255))
    plan_path: Mapped[str] = mapped_column(Text)
    plan_text: Mapped[str] = mapped_column(Text)
    plan_hash: Mapped[str | None] = mapped_column(String(64), index=True)  # schema 2
    devices_from: Mapped[str | None] = mapped_column(Text)  # schema 2
    framing: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    step_count: Mapped[int] = mapped_column(Integer)
    passed: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    first_failure: Mapped[str | None] = mapped_column(Text)
    parent_run_id: Mapped[str | None] = mapped_column(
        String(64), ForeignKey("test_runs.id", ondelete="SET NULL"), index=True
    )
    selected_steps: Mapped[list[int]] = mapped_column(JSON)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)

    steps: Mapped[list[StepResult]] = relationship(
        back_populates="run", order_by="StepResult.number", cascade="all, delete-orphan"
    )
    devices: Mapped[list[Device]] = relationship(
        back_populates="run", order_by="Device.id", cascade="all, delete-orphan"
    )
    parent: Mapped[TestRun | None] = relationship(remote_side=[id])


class StepResult(Base):
    """One finished step of a run, committed as soon as it finished."""

    __tablename__ = "step_results"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("test_runs.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    device: Mapped[str] = mapped_column(Text)
    register: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str] = mapped_column(Text)
    measured: Mapped[float | None] = mapped_column(Float)
    expected: Mapped[float | None] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    teardown: Mapped[bool | None] = mapped_column(default=False)  # schema 2

    run: Mapped[TestRun] = relationship(back_populates="steps")


class Device(Base):
    """Where one device of a run was reached."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("test_runs.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    host: Mapped[str] = mapped_column(Text)
    port: Mapped[int] = mapped_column(Integer)
    framing: Mapped[str] = mapped_column(String(32))
    unit: Mapped[int] = mapped_column(Integer)
    simulated: Mapped[bool] = mapped_column()

    run: Mapped[TestRun] = relationship(back_populates="devices")


# -- what queries return: plain frozen records, no session behind them ---------------------


class StoreError(Exception):
    """The run store cannot do what was asked; the message is one line for the user."""


class RunNotFound(StoreError, LookupError):  # noqa: N818 - the CLI's name for it
    """No recorded run matches the id or prefix."""


class AmbiguousRunId(StoreError, LookupError):  # noqa: N818 - the CLI's name for it
    """Several recorded runs start with the prefix given."""

    def __init__(self, prefix: str, matches: tuple[str, ...]) -> None:
        """Name the prefix and (up to five of) the runs it matches."""
        shown = ", ".join(matches[:5]) + (", ..." if len(matches) > 5 else "")
        super().__init__(
            f"run id {prefix!r:.40} is ambiguous: it matches {shown}; type more of the id"
        )
        self.prefix = prefix
        self.matches = matches


@dataclass(frozen=True)
class StoredStep:
    """One finished step of a recorded run."""

    number: int
    name: str
    device: str
    register: str
    action: str
    verdict: str
    detail: str
    measured: float | None
    expected: float | None
    low: float | None
    high: float | None
    attempts: int
    duration_s: float
    finished_at: datetime
    teardown: bool = False


@dataclass(frozen=True)
class RunSummary:
    """One recorded run, as a line of the run list shows it."""

    run_id: str
    plan_name: str
    plan_path: str
    status: str  # one of STATUSES
    framing: str
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    step_count: int
    passed: int
    failed: int
    errors: int
    first_failure: str | None
    parent_run_id: str | None
    host: str
    pid: int
    plan_hash: str | None = None
    devices_from: str | None = None  # SIMULATED_HERE or the station file as given


@dataclass(frozen=True)
class StoredRun(RunSummary):
    """One recorded run in full: the plan as run, its devices and its steps by number."""

    plan_text: str = ""
    selected_steps: tuple[int, ...] = ()
    devices: tuple[DeviceInfo, ...] = ()
    steps: tuple[StoredStep, ...] = ()

    @property
    def not_passed(self) -> tuple[int, ...]:
        """The numbers of the main steps that failed or erred (what ``--only-failed`` repeats)."""
        return tuple(
            step.number for step in self.steps if step.verdict != "pass" and not step.teardown
        )
