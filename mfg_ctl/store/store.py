"""The run store: an observer that commits every event as it arrives, and the CLI's queries.

Each event is written in its own transaction, so a crash mid-run loses nothing
that had finished. On SQLite the file is put in WAL mode with a busy timeout and
every write transaction starts with ``BEGIN IMMEDIATE``, so several stations'
processes (or threads) can record into one file at once.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from types import TracebackType

from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session, defer, sessionmaker

from mfg_ctl.run.events import (
    Event,
    ReadingsByStep,
    RunFinished,
    RunStarted,
    StepFinished,
)
from mfg_ctl.store.abandoned import AbandonedRuns, ended_here, pid_alive, started_here
from mfg_ctl.store.history import HistoryRecords
from mfg_ctl.store.location import default_url, shown_location
from mfg_ctl.store.models import (
    AmbiguousRunId,
    Device,
    RunNotFound,
    RunSummary,
    StepResult,
    StoredRun,
    StoreError,
    SweepReadingRow,
    TestRun,
)
from mfg_ctl.store.revisions import HEAD
from mfg_ctl.store.rows import (
    device_values,
    finish_row,
    finish_values,
    insert_into,
    run_values,
    step_row,
    steps_and_sweeps,
    stored,
    summary,
    sweep_values,
)
from mfg_ctl.store.schema import (
    busy_timeout,
    open_engine,
    open_hint,
    prepare_schema,
    schema_ready,
    set_wal,
)
from mfg_ctl.store.series import SeriesRecords
from mfg_ctl.store.sweeps import SweepRecords
from mfg_ctl.store.units import UnitRecords

__all__ = ["RunStore", "default_url", "pid_alive"]

log = logging.getLogger(__name__)

#: What :meth:`RunStore.runs` filters by, besides the plan.
_IDENTITY_FILTERS = ("sn", "batch_id", "station_id", "stage")


class RunStore(AbandonedRuns, UnitRecords, SeriesRecords, SweepRecords, HistoryRecords):
    """Records runs from events and answers the CLI's questions about them.

    Use it as an observer (``store(event)`` or ``store.store(event)``). Query
    methods return frozen dataclasses, never ORM objects.
    """

    def __init__(
        self, url: str, wait_s: float | None = None, *, upgrade: bool | None = None
    ) -> None:
        """Open the store at an SQLAlchemy ``url``, creating (or upgrading) it; StoreError if not.

        ``wait_s``: how long an SQLite writer waits for another before failing
        (default ``$MFG_CTL_DB_BUSY_TIMEOUT``, else 30 s). ``upgrade``: bring an
        older store to the latest revision; by default only an SQLite file is (a
        shared server is upgraded by ``mfg-ctl db upgrade``, stations stopped).
        """
        wait = busy_timeout() if wait_s is None else wait_s
        self._engine = open_engine(url, wait)
        self._raw_url = url
        self.url = self._engine.url.render_as_string(hide_password=True)
        self._host = socket.gethostname()
        #: One recording thread at a time: a batch's slots queue here, woken the moment the
        #: one before is done, rather than in SQLite's busy handler, which sleeps and retries.
        self._recording = threading.Lock()
        self._readings = ReadingsByStep()  # a sweep's readings, held until its step is written
        writer = self._engine.execution_options(mfg_write=True)
        self._reader = sessionmaker(self._engine, expire_on_commit=False)
        self._writer = sessionmaker(writer, expire_on_commit=False)
        self._write_engine = writer  # record_run writes without a session
        try:
            with self._engine.connect() as conn:
                ready = schema_ready(conn)
            #: The revision the store was at (None: created now); the latest if it was ready.
            self.opened_at: str | None = HEAD
            if not ready:
                if upgrade is None:
                    upgrade = self._engine.dialect.name == "sqlite"
                with writer.begin() as conn:
                    self.opened_at = prepare_schema(conn, self.url, upgrade=upgrade)
            if self._engine.dialect.name == "sqlite":
                set_wal(self._engine, wait)
        except StoreError:
            self._engine.dispose()
            raise
        except (SQLAlchemyError, sqlite3.Error) as exc:
            self._engine.dispose()
            raise StoreError(
                f"cannot open the run store {self.url}: {_reason(exc)}; "
                f"{open_hint(self._engine, _reason(exc))}"
            ) from exc

    @property
    def where(self) -> str:
        """Where the runs go, for people: a file path (``~`` for home) or the URL sans password."""
        return shown_location(self._engine.url)

    def close(self) -> None:
        """Release the database connections."""
        self._engine.dispose()

    def __enter__(self) -> RunStore:
        """Return the store itself."""
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close the store."""
        self.close()

    # -- recording -------------------------------------------------------------------------

    def __call__(self, event: Event) -> None:
        """Record one event (the observer protocol)."""
        self.store(event)

    def store(self, event: Event) -> None:
        """Record one event and commit it before returning; StepStarted needs nothing.

        A sweep's readings (StepProgress) are held and written with their step.
        """
        self._readings.see(event)
        match event:
            case RunStarted():
                self._run_started(event)
            case StepFinished():
                self._step_finished(event)
            case RunFinished():
                self._run_finished(event)
            case _:
                pass

    def _run_started(self, ev: RunStarted) -> None:
        with self._write(f"record the start of run {ev.run_id}") as session:
            session.add(self._run_row(ev))
        started_here(ev.run_id)

    def _run_row(self, ev: RunStarted) -> TestRun:
        """The row of a run as it starts."""
        devices = [Device(**asdict(device)) for device in ev.devices]
        return TestRun(**run_values(ev, self._host, os.getpid()), devices=devices)

    def _step_finished(self, ev: StepFinished) -> None:
        readings = sweep_values(ev, self._readings.take(ev))
        with self._write(f"record step {ev.number} of run {ev.run_id}") as session:
            session.add(step_row(ev))
            if readings:
                session.execute(insert_into(SweepReadingRow), readings)

    def _run_finished(self, ev: RunFinished) -> None:
        with self._write(f"record the end of run {ev.run_id}") as session:
            run = session.get(TestRun, ev.run_id)
            if run is None:
                raise StoreError(f"cannot record the end of run {ev.run_id}: it was never started")
            finish_row(run, ev)
        ended_here(ev.run_id)

    def record_run(self, events: Sequence[Event]) -> None:
        """Record a whole finished run (RunStarted ... RunFinished) in one transaction.

        What a batch does once per unit: a unit is stored entirely or not at all,
        so a batch killed mid-unit leaves no half-recorded unit behind. The rows go
        in as Core INSERTs, one per table, without a session or the ORM's per-object work.
        """
        started = next((e for e in events if isinstance(e, RunStarted)), None)
        finished = next((e for e in events if isinstance(e, RunFinished)), None)
        if started is None or finished is None:
            raise StoreError("cannot record a run without both its RunStarted and RunFinished")
        run = run_values(started, self._host, os.getpid()) | finish_values(finished)
        devices = device_values(started)
        steps, readings = steps_and_sweeps(events)
        try:
            with self._recording, self._write_engine.begin() as connection:
                connection.execute(insert_into(TestRun), [run])
                if devices:
                    connection.execute(insert_into(Device), devices)
                if steps:
                    connection.execute(insert_into(StepResult), steps)
                if readings:
                    connection.execute(insert_into(SweepReadingRow), readings)
        except SQLAlchemyError as exc:
            raise StoreError(
                f"cannot record run {started.run_id} in {self.url}: {_reason(exc)}"
            ) from exc

    # -- queries ---------------------------------------------------------------------------

    def runs(
        self, plan_name: str | None = None, limit: int = 20, **identity: str | None
    ) -> list[RunSummary]:
        """Return the newest ``limit`` runs, of one plan if ``plan_name`` is given.

        ``identity`` filters by ``sn``, ``batch_id``, ``station_id`` or ``stage``.
        """
        self._reap()
        stmt = (
            select(TestRun)
            .options(defer(TestRun.plan_text))
            .order_by(TestRun.started_at.desc(), TestRun.id.desc())
            .limit(limit)
        )
        if plan_name is not None:
            stmt = stmt.where(TestRun.plan_name == plan_name)
        for field, value in identity.items():
            if field not in _IDENTITY_FILTERS:
                raise TypeError(f"runs() cannot filter by {field}")
            if value is not None:
                stmt = stmt.where(getattr(TestRun, field) == value)
        with self._read("list runs") as session:
            return [summary(run) for run in session.scalars(stmt)]

    def get(self, run_id_or_prefix: str) -> StoredRun:
        """Return one run by its id or a unique prefix of it (RunNotFound, AmbiguousRunId)."""
        self._reap()
        ref = run_id_or_prefix.strip()
        if not ref:
            raise RunNotFound("no run id given; name a run by its id or the first characters of it")
        with self._read(f"read run {ref}") as session:
            matches = session.scalars(
                select(TestRun.id)
                .where(func.substr(TestRun.id, 1, len(ref)) == ref)
                .order_by(TestRun.started_at.desc())
                .limit(6)
            ).all()
            if not matches:
                raise RunNotFound(
                    f"no recorded run has an id starting {ref!r:.40}; see the run list"
                )
            if len(matches) > 1 and ref not in matches:
                raise AmbiguousRunId(ref, tuple(matches))
            run = session.get_one(TestRun, ref if ref in matches else matches[0])
            return stored(run)

    def last_run(self, plan_name: str, text_hash: str | None = None) -> StoredRun | None:
        """Return the newest recorded run of a plan, or None if it never ran.

        With ``text_hash`` (see :func:`plan_hash`), only runs of exactly that plan text count.
        """
        self._reap()
        stmt = select(TestRun).where(TestRun.plan_name == plan_name)
        if text_hash is not None:
            stmt = stmt.where(TestRun.plan_hash == text_hash)
        with self._read(f"read the last run of {plan_name}") as session:
            run = session.scalars(
                stmt.order_by(TestRun.started_at.desc(), TestRun.id.desc()).limit(1)
            ).first()
            return None if run is None else stored(run)

    def _reopened(self, wait_s: float) -> RunStore:
        """This store opened again, its writers waiting at most ``wait_s`` for a lock."""
        return RunStore(self._raw_url, wait_s=wait_s)

    @contextmanager
    def _write(self, what: str) -> Iterator[Session]:
        """One committed write transaction; database errors become StoreError."""
        try:
            with self._writer.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot {what} in {self.url}: {_reason(exc)}") from exc

    @contextmanager
    def _read(self, what: str) -> Iterator[Session]:
        """One read transaction; database errors become StoreError."""
        try:
            with self._reader.begin() as session:
                yield session
        except SQLAlchemyError as exc:
            raise StoreError(f"cannot {what} in {self.url}: {_reason(exc)}") from exc


def _reason(exc: SQLAlchemyError | sqlite3.Error | OSError) -> str:
    """The database's own words for what went wrong, on one line."""
    text = str(exc.orig) if isinstance(exc, DBAPIError) else str(exc)
    return " ".join(text.split()) or type(exc).__name__
