"""The run store's database: its tables, opening a URL safely, and the records queries return.

Tables: one row per run, per finished step, per device of a run. Only portable
column types are used (no SQLite-only features), so the same models serve
SQLite on one station and PostgreSQL for many. Timestamps are stored in UTC and
always come back timezone-aware. An SQLite file is checked before it is opened
(a file that is not an SQLite database is never touched), and a database that
is not an mfg-ctl run store is refused before anything is written to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Dialect,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    create_engine,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.pool import StaticPool

from simulators.controller.events import DeviceInfo

__all__ = [
    "BUSY_TIMEOUT_S",
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
    "open_engine",
    "prepare_schema",
    "set_wal",
]

#: Bumped by every change to the tables; a migration reads it from ``mfg_ctl_schema``.
SCHEMA_VERSION = 1

#: The values of ``TestRun.status``.
STATUSES = ("running", "passed", "failed", "error", "aborted")

#: How long an SQLite writer waits for another one before giving up.
BUSY_TIMEOUT_S = 30.0

#: The end of every error message about where the store is.
FIX_HINT = "set MFG_CTL_DB to another file or URL"

_SQLITE_MAGIC = b"SQLite format 3\x00"


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
        super().__init__(f"run id {prefix!r} is ambiguous: it matches {shown}; type more of the id")
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


@dataclass(frozen=True)
class StoredRun(RunSummary):
    """One recorded run in full: the plan as run, its devices and its steps by number."""

    plan_text: str
    selected_steps: tuple[int, ...]
    devices: tuple[DeviceInfo, ...]
    steps: tuple[StoredStep, ...]

    @property
    def not_passed(self) -> tuple[int, ...]:
        """The numbers of the steps that failed or erred (what ``--only-failed`` repeats)."""
        return tuple(step.number for step in self.steps if step.verdict != "pass")


# -- opening a database ------------------------------------------------------------------


def open_engine(url: str) -> Engine:
    """Build the engine for ``url``, refusing files that are not SQLite databases."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"bad run store URL {url!r}: expected e.g. sqlite:////path/to/runs.db "
            f"or postgresql+psycopg://user@host/db; {FIX_HINT}"
        ) from exc
    shown = parsed.render_as_string(hide_password=True)
    kwargs: dict[str, Any] = {}
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite:
        kwargs["connect_args"] = {"timeout": BUSY_TIMEOUT_S, "check_same_thread": False}
        if parsed.database in (None, "", ":memory:"):
            kwargs["poolclass"] = StaticPool  # one shared in-memory database
        else:
            _check_sqlite_file(Path(parsed.database))
    try:
        engine = create_engine(parsed, **kwargs)
    except NoSuchModuleError as exc:
        raise StoreError(f"unknown kind of database in {shown}; {FIX_HINT}") from exc
    except ImportError as exc:
        raise StoreError(
            f"the database driver for {shown} is missing (no module {exc.name}); "
            f"install it or {FIX_HINT}"
        ) from exc
    if sqlite:
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _check_sqlite_file(path: Path) -> None:
    """Refuse a path that exists but is not an SQLite database, without touching it."""
    if path.is_dir():
        raise StoreError(f"the run store {path} is a folder, not a database file; {FIX_HINT}")
    try:
        with path.open("rb") as file:
            head = file.read(len(_SQLITE_MAGIC))
    except FileNotFoundError:
        if not path.parent.is_dir():
            raise StoreError(
                f"the folder {path.parent} for the run store does not exist; "
                f"create it or {FIX_HINT}"
            ) from None
        return  # a new store
    except OSError as exc:
        raise StoreError(f"cannot read the run store {path}: {exc.strerror}; {FIX_HINT}") from exc
    if head and head != _SQLITE_MAGIC:
        raise StoreError(
            f"{path} is not an SQLite database (left untouched); move it away or {FIX_HINT}"
        )


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Per connection: enforce foreign keys, wait for other writers, let us issue BEGIN."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(BUSY_TIMEOUT_S * 1000)}")
    cursor.close()


def set_wal(engine: Engine) -> None:
    """Switch the file to WAL once it is known to be ours (the mode stays with the file)."""
    raw = engine.raw_connection()  # outside any transaction, as SQLite requires
    try:
        cursor = raw.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()
    finally:
        raw.close()


def _sqlite_begin(conn: Connection) -> None:
    """Start writes with BEGIN IMMEDIATE so a busy writer waits instead of failing."""
    immediate = conn.get_execution_options().get("mfg_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def prepare_schema(conn: Connection, where: str) -> None:
    """Create the tables in an empty database, or check an existing one is ours."""
    tables = set(inspect(conn).get_table_names())
    ours = set(Base.metadata.tables)
    if (
        tables
        and SchemaInfo.__tablename__ not in tables
        and (conn.dialect.name == "sqlite" or tables & ours)
    ):
        raise StoreError(f"{where} is a database but not an mfg-ctl run store; {FIX_HINT}")
    Base.metadata.create_all(conn)
    version = conn.execute(select(SchemaInfo.version)).scalar_one_or_none()
    if version is None:
        conn.execute(insert(SchemaInfo).values(id=1, version=SCHEMA_VERSION))
    elif version != SCHEMA_VERSION:
        raise StoreError(
            f"{where} holds run-store schema version {version} but this mfg-ctl uses version "
            f"{SCHEMA_VERSION}; use the matching mfg-ctl or {FIX_HINT}"
        )
