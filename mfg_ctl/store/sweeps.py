"""The run store's raw sweep readings read back (a mixin of :class:`~mfg_ctl.store.RunStore`).

A TempCo step's DMM readings are written with the step's row (schema 4), from
the readings its :class:`~mfg_ctl.run.events.StepProgress` events carried, so a
stored run's curve can be drawn again, or its points recomputed
(:func:`mfg_ctl.tempco.points_of`), without the instruments.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy import select
from sqlalchemy.orm import Session

from mfg_ctl.run.events import SweepReading
from mfg_ctl.store.models import SweepReadingRow
from mfg_ctl.store.rows import sweep_reading

__all__ = ["SweepRecords"]


class SweepRecords:
    """Queries about sweep readings; the store supplies the transactions."""

    def _read(self, what: str) -> AbstractContextManager[Session]:
        raise NotImplementedError

    def sweep_readings(
        self, run_id: str, step_number: int | None = None
    ) -> tuple[SweepReading, ...]:
        """The raw sweep readings of run ``run_id`` (its full id), in the order taken.

        Step by step when a run has several sweeps; ``step_number`` keeps one
        step's. Empty for a run that swept nothing, recorded before schema 4, or unknown.
        """
        stmt = (
            select(SweepReadingRow)
            .where(SweepReadingRow.run_id == run_id)
            .order_by(SweepReadingRow.step_number, SweepReadingRow.seq)
        )
        if step_number is not None:
            stmt = stmt.where(SweepReadingRow.step_number == step_number)
        with self._read(f"read the sweep readings of run {run_id}") as session:
            return tuple(sweep_reading(row) for row in session.scalars(stmt))
