"""Stores made before Alembic took over (schema 1 to 3) brought to schema 4, the baseline.

Each step adds what its schema version added, inside the opening transaction,
using the frozen schema-4 tables (:mod:`mfg_ctl.store.schema4`), never the
models; the store is then stamped with the baseline revision and Alembic takes
it on from there (:mod:`mfg_ctl.store.revisions`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Table, select, update
from sqlalchemy.engine import Connection

from mfg_ctl.run.events import SIMULATED_HERE
from mfg_ctl.store.models import FIX_HINT, StoreError, plan_hash
from mfg_ctl.store.schema4 import (
    batches,
    devices,
    schema_info,
    step_results,
    sweep_readings,
    test_runs,
)

__all__ = ["BASELINE_VERSION", "to_baseline"]

#: The schema version of the baseline revision: the last one before Alembic.
BASELINE_VERSION = 4


def to_baseline(conn: Connection, where: str) -> None:
    """Bring a pre-Alembic store (``mfg_ctl_schema`` version 1 to 4) to schema 4."""
    version = conn.execute(select(schema_info.c.version)).scalar_one_or_none()
    if version is None or not 1 <= version <= BASELINE_VERSION:
        raise StoreError(
            f"{where} holds run-store schema version {version} without its revision; it was "
            f"not written by mfg-ctl, or was damaged; {FIX_HINT}"
        )
    while version < BASELINE_VERSION:
        MIGRATIONS[version](conn)
        version += 1
        conn.execute(update(schema_info).values(version=version))


def _add_column(conn: Connection, column: Column[Any]) -> None:
    """``ALTER TABLE ... ADD COLUMN`` for a schema-4 column, in this database's dialect."""
    kind = column.type.compile(dialect=conn.dialect)
    conn.exec_driver_sql(f'ALTER TABLE {column.table.name} ADD COLUMN "{column.name}" {kind}')


def _add_indexes(conn: Connection, table: Table, columns: tuple[str, ...]) -> None:
    """Create the schema-4 indexes of ``table`` on these columns."""
    for index in table.indexes:
        if {column.name for column in index.columns} <= set(columns):
            index.create(conn)


def _v1_to_v2(conn: Connection) -> None:
    """Schema 2: plan_hash (filled from plan_text), devices_from, teardown."""
    runs, steps = test_runs.c, step_results.c
    for column in (runs.plan_hash, runs.devices_from, steps.teardown):
        _add_column(conn, column)
    _add_indexes(conn, test_runs, ("plan_hash",))
    station_runs = set(
        conn.execute(select(devices.c.run_id).where(devices.c.simulated.is_(False))).scalars()
    )
    for run_id, text in conn.execute(select(runs.id, runs.plan_text)).all():
        conn.execute(
            update(test_runs)
            .where(runs.id == run_id)
            .values(
                plan_hash=plan_hash(text),
                devices_from="a station file" if run_id in station_runs else SIMULATED_HERE,
            )
        )
    conn.execute(update(step_results).values(teardown=False))


def _v2_to_v3(conn: Connection) -> None:
    """Schema 3: unit identity, plan version, skipped steps on runs; error codes and
    requirements on steps; the ``batches`` table. Earlier runs tested no named unit:
    their identity stays empty (NULL)."""
    added = (
        "sn",
        "batch_id",
        "station_id",
        "stage",
        "operator",
        "plan_version",
        "skipped",
        "stopped_by",
    )
    for name in added:
        _add_column(conn, test_runs.c[name])
    for name in ("error_code", "error_codes", "requirements"):
        _add_column(conn, step_results.c[name])
    _add_indexes(conn, test_runs, added)
    batches.create(conn)
    conn.execute(update(test_runs).values(skipped=0))


def _v3_to_v4(conn: Connection) -> None:
    """Schema 4: the unit of each step's measured value; the ``sweep_readings`` table.
    Earlier steps' units were not kept: they stay NULL."""
    _add_column(conn, step_results.c.unit)
    sweep_readings.create(conn)


#: How to bring a store of version N to N + 1.
MIGRATIONS: dict[int, Callable[[Connection], None]] = {1: _v1_to_v2, 2: _v2_to_v3, 3: _v3_to_v4}
