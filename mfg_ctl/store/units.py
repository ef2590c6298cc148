"""The run store's production half: units' runs for the analytics, and batches (a mixin).

:class:`~mfg_ctl.store.store.RunStore` inherits these; they use its read and
write transactions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import asdict, fields
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from mfg_ctl.analytics.records import StepRecord, UnitRun
from mfg_ctl.store.models import (
    Batch,
    BatchRecord,
    StepResult,
    StoredRun,
    StoreError,
    TestRun,
)
from mfg_ctl.store.rows import stored

__all__ = ["UnitRecords"]

#: Runs that ended: the analytics count these, never a run still going.
_ENDED = ("passed", "failed", "error", "aborted")


class UnitRecords:
    """Queries about units and batches; the store supplies the transactions."""

    def _read(self, what: str) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _write(self, what: str) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def _reap(self) -> None:
        raise NotImplementedError

    def unit_runs(
        self,
        *,
        batch_id: str | None = None,
        sn: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[UnitRun]:
        """Every ended run of a named unit (``sn`` set), oldest first, filtered as asked.

        ``until`` is exclusive. Runs that named no unit are left out.
        """
        self._reap()
        stmt = (
            select(TestRun)
            .options(selectinload(TestRun.steps))
            .where(TestRun.sn.is_not(None), TestRun.status.in_(_ENDED))
            .order_by(TestRun.started_at, TestRun.id)
        )
        if batch_id is not None:
            stmt = stmt.where(TestRun.batch_id == batch_id)
        if sn is not None:
            stmt = stmt.where(TestRun.sn == sn)
        if since is not None:
            stmt = stmt.where(TestRun.started_at >= since)
        if until is not None:
            stmt = stmt.where(TestRun.started_at < until)
        with self._read("read the runs of units") as session:
            return [_unit_run(run) for run in session.scalars(stmt)]

    def batch_runs(self, batch_id: str) -> list[StoredRun]:
        """Every ended run of batch ``batch_id`` in full, oldest first, as :meth:`unit_runs`
        orders them: one query for the runs, one each for their steps and devices."""
        self._reap()
        stmt = (
            select(TestRun)
            .options(selectinload(TestRun.steps), selectinload(TestRun.devices))
            .where(
                TestRun.sn.is_not(None),
                TestRun.status.in_(_ENDED),
                TestRun.batch_id == batch_id,
            )
            .order_by(TestRun.started_at, TestRun.id)
        )
        with self._read(f"read the runs of batch {batch_id}") as session:
            return [stored(run) for run in session.scalars(stmt)]

    def finished_units(self, batch_id: str) -> dict[str, str]:
        """The units of a batch that have an ended run: serial number -> its last run id."""
        stmt = (
            select(TestRun.sn, TestRun.id)
            .where(TestRun.batch_id == batch_id, TestRun.status.in_(_ENDED))
            .order_by(TestRun.started_at, TestRun.id)
        )
        with self._read(f"read the units of batch {batch_id}") as session:
            return {str(sn): str(run_id) for sn, run_id in session.execute(stmt) if sn}

    def start_batch(self, record: BatchRecord) -> None:
        """Record a new batch; StoreError if the id is taken."""
        with self._write(f"record batch {record.batch_id}") as session:
            if session.get(Batch, record.batch_id) is not None:
                raise StoreError(f"batch {record.batch_id} already exists")
            values = asdict(record)
            values["id"] = values.pop("batch_id")
            values["sns"] = list(record.sns)
            session.add(Batch(**values))

    def batch(self, batch_id: str) -> BatchRecord | None:
        """The batch ``batch_id`` as recorded, or None."""
        with self._read(f"read batch {batch_id}") as session:
            row = session.get(Batch, batch_id)
            if row is None:
                return None
            values = {
                f.name: getattr(row, "id" if f.name == "batch_id" else f.name)
                for f in fields(BatchRecord)
            }
            values["sns"] = tuple(row.sns)
            return BatchRecord(**values)

    def set_batch_status(self, batch_id: str, status: str, *, pid: int | None = None) -> None:
        """Mark a batch ``running`` (again, by process ``pid``), ``finished`` or ``stopped``."""
        values: dict[str, object] = {"status": status}
        if status == "running":
            values["finished_at"] = None
        else:
            values["finished_at"] = datetime.now(UTC)
        if pid is not None:
            values["pid"] = pid
        with self._write(f"update batch {batch_id}") as session:
            session.execute(update(Batch).where(Batch.id == batch_id).values(**values))


def _unit_run(run: TestRun) -> UnitRun:
    return UnitRun(
        run_id=run.id,
        sn=run.sn or "",
        batch_id=run.batch_id or "",
        station_id=run.station_id or "",
        stage=run.stage or "",
        operator=run.operator or "",
        plan_name=run.plan_name,
        plan_version=run.plan_version or "",
        plan_hash=run.plan_hash or "",
        started=run.started_at,
        status=run.status,
        steps=tuple(_step_record(step) for step in _ordered(run.steps)),
    )


def _ordered(steps: list[StepResult]) -> Iterator[StepResult]:
    return iter(sorted(steps, key=lambda step: step.number))


def _step_record(step: StepResult) -> StepRecord:
    return StepRecord(
        index=step.number,
        name=step.name,
        status=step.verdict,
        attempts=step.attempts,
        error_codes=tuple(step.error_codes or ()),
        requirements=tuple(step.requirements or ()),
    )
