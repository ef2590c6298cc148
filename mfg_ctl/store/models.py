"""The run store's tables and the records its queries return.

Tables: one row per run, per finished step, per device of a run, per raw reading
of a sweep (a TempCo step's DMM readings with their temperatures). Only portable
column types are used (no SQLite-only features), so the same models serve
SQLite on one station and PostgreSQL for many. Timestamps are stored in UTC and
always come back timezone-aware. Opening a database, checking it is ours and
migrating older schemas is :mod:`mfg_ctl.store.schema`.
"""

from __future__ import annotations

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

from mfg_ctl.run.events import DeviceInfo, UnitIdentity, plan_hash

__all__ = [
    "FIX_HINT",
    "SCHEMA_VERSION",
    "STATUSES",
    "AmbiguousRunId",
    "Base",
    "Batch",
    "BatchRecord",
    "Device",
    "RunNotFound",
    "RunSummary",
    "SchemaInfo",
    "StepResult",
    "StoreError",
    "StoredRun",
    "StoredStep",
    "SweepReadingRow",
    "TestRun",
    "UTCDateTime",
    "plan_hash",
]

#: Bumped by every change to the tables; :func:`~.schema.prepare_schema` migrates older ones.
#: 1: the first tables. 2: ``test_runs.plan_hash`` and ``devices_from``,
#: ``step_results.teardown``. 3: unit identity (``sn``, ``batch_id``, ``station_id``,
#: ``stage``, ``operator``), ``plan_version``, ``skipped``, ``stopped_by`` on runs; error codes
#: and requirements on steps; the ``batches`` table. 4: ``step_results.unit``; the
#: ``sweep_readings`` table. 5: a run's step numbers are unique; the history's indexes.
#: From 4 on each version is an Alembic revision (:mod:`mfg_ctl.store.revisions`), which
#: also writes this number, the one an older mfg-ctl checks before it writes.
SCHEMA_VERSION = 5

#: The values of ``TestRun.status``.
STATUSES = ("running", "passed", "failed", "error", "aborted")

#: The end of every error message about where the store is.
FIX_HINT = "set MFG_CTL_DB to another file or URL"


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
    __table_args__ = (
        Index("ix_test_runs_plan_started", "plan_name", "started_at"),
        # The history's pages (newest first, ties by id) and its status filter, read in
        # index order (schema 5: revision 0005).
        Index("ix_test_runs_started_id", "started_at", "id"),
        Index("ix_test_runs_status_started", "status", "started_at"),
    )

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
    sn: Mapped[str | None] = mapped_column(String(64), index=True)  # schema 3
    batch_id: Mapped[str | None] = mapped_column(String(64), index=True)  # schema 3
    station_id: Mapped[str | None] = mapped_column(String(64), index=True)  # schema 3
    stage: Mapped[str | None] = mapped_column(String(64), index=True)  # schema 3
    operator: Mapped[str | None] = mapped_column(String(128))  # schema 3
    plan_version: Mapped[str | None] = mapped_column(String(64))  # schema 3
    skipped: Mapped[int | None] = mapped_column(Integer, default=0)  # schema 3
    stopped_by: Mapped[str | None] = mapped_column(String(16))  # schema 3

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
    #: One row per step number of a run: the database refuses a step recorded twice (schema 5).
    __table_args__ = (Index("ux_step_results_run_number", "run_id", "number", unique=True),)

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
    error_code: Mapped[str | None] = mapped_column(String(16))  # schema 3
    error_codes: Mapped[list[str] | None] = mapped_column(JSON)  # schema 3
    requirements: Mapped[list[str] | None] = mapped_column(JSON)  # schema 3
    unit: Mapped[str | None] = mapped_column(String(32))  # schema 4: the unit of measured

    run: Mapped[TestRun] = relationship(back_populates="steps")


class SweepReadingRow(Base):
    """One raw reading of a sweep step (schema 4), written with the step's row.

    ``seq`` counts the step's readings from 0, in the order they were taken;
    only the readings of the step's last attempt are kept.
    """

    __tablename__ = "sweep_readings"

    run_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("test_runs.id", ondelete="CASCADE"), primary_key=True
    )
    step_number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    elapsed_s: Mapped[float] = mapped_column(Float)
    setpoint_c: Mapped[float] = mapped_column(Float)
    chamber_c: Mapped[float] = mapped_column(Float)
    dut_c: Mapped[float | None] = mapped_column(Float)  # None: the chamber has no probe
    vout_v: Mapped[float] = mapped_column(Float)


class Batch(Base):
    """One batch: a plan run once per serial number, as ``mfg-ctl batch`` was asked (schema 3).

    Enough to resume it (``--resume``): the plan text, the serial numbers in
    order and the options; which units finished is read from ``test_runs``.
    """

    __tablename__ = "batches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # the batch id
    station_id: Mapped[str] = mapped_column(String(64))
    stage: Mapped[str] = mapped_column(String(64))
    operator: Mapped[str] = mapped_column(String(128))
    plan_name: Mapped[str] = mapped_column(String(255))
    plan_path: Mapped[str] = mapped_column(Text)
    plan_text: Mapped[str] = mapped_column(Text)
    plan_hash: Mapped[str] = mapped_column(String(64))
    sns: Mapped[list[str]] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    artifacts_dir: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # running, finished, stopped
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)


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
    error_code: str = ""
    error_codes: tuple[str, ...] = ()
    requirements: tuple[str, ...] = ()
    unit: str = ""  # of measured ("" when the step had none, or before schema 4)


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
    sn: str = ""
    batch_id: str = ""
    station_id: str = ""
    stage: str = ""
    operator: str = ""
    plan_version: str = ""
    skipped: int = 0
    stopped_by: str = ""


@dataclass(frozen=True)
class StoredRun(RunSummary):
    """One recorded run in full: the plan as run, its devices and its steps by number."""

    plan_text: str = ""
    selected_steps: tuple[int, ...] = ()
    devices: tuple[DeviceInfo, ...] = ()
    steps: tuple[StoredStep, ...] = ()

    @property
    def identity(self) -> UnitIdentity:
        """Which unit the run tested, where, in which stage and by whom."""
        return UnitIdentity(self.sn, self.batch_id, self.station_id, self.stage, self.operator)

    @property
    def not_passed(self) -> tuple[int, ...]:
        """The numbers of the main steps that failed or erred (what ``--only-failed`` repeats)."""
        return tuple(
            step.number for step in self.steps if step.verdict != "pass" and not step.teardown
        )


@dataclass(frozen=True)
class BatchRecord:
    """A batch as stored: what was asked, and where it stands."""

    batch_id: str
    station_id: str
    stage: str
    operator: str
    plan_name: str
    plan_path: str
    plan_text: str
    plan_hash: str
    sns: tuple[str, ...]
    options: dict[str, Any]
    artifacts_dir: str | None
    status: str  # running, finished, stopped
    started_at: datetime
    finished_at: datetime | None = None
    host: str = ""
    pid: int = 0
