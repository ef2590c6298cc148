"""The run store's tables as they were in schema 4, frozen: where Alembic took over.

The models (:mod:`mfg_ctl.store.models`) move on with every revision; the
baseline revision (``migrations/versions/0004_baseline.py``) and the migrations
of stores made before Alembic (:mod:`mfg_ctl.store.legacy`) must keep building
schema 4 exactly, so they use these definitions and never the models. Never edit
them: a change to the tables is a new revision.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "METADATA",
    "batches",
    "devices",
    "schema_info",
    "step_results",
    "sweep_readings",
    "test_runs",
]

METADATA = MetaData()


def _when(name: str, nullable: bool = False) -> Column[object]:
    """A timestamp column (the models read and write it as UTC)."""
    return Column(name, DateTime(timezone=True), nullable=nullable)


def _run_id(ondelete: str = "CASCADE", **how: object) -> Column[object]:
    return Column(
        "run_id",
        String(64),
        ForeignKey("test_runs.id", ondelete=ondelete),
        nullable=False,
        **how,  # type: ignore[arg-type]
    )


schema_info = Table(
    "mfg_ctl_schema",
    METADATA,
    Column("id", Integer, primary_key=True),
    Column("version", Integer, nullable=False),
)

test_runs = Table(
    "test_runs",
    METADATA,
    Column("id", String(64), primary_key=True),
    Column("plan_name", String(255), nullable=False),
    Column("plan_path", Text, nullable=False),
    Column("plan_text", Text, nullable=False),
    Column("plan_hash", String(64), index=True),  # schema 2
    Column("devices_from", Text),  # schema 2
    Column("framing", String(32), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    _when("started_at"),
    _when("finished_at", nullable=True),
    Column("duration_s", Float),
    Column("step_count", Integer, nullable=False),
    Column("passed", Integer, nullable=False),
    Column("failed", Integer, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("first_failure", Text),
    Column(
        "parent_run_id", String(64), ForeignKey("test_runs.id", ondelete="SET NULL"), index=True
    ),
    Column("selected_steps", JSON, nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("sn", String(64), index=True),  # schema 3, as the five below
    Column("batch_id", String(64), index=True),
    Column("station_id", String(64), index=True),
    Column("stage", String(64), index=True),
    Column("operator", String(128)),
    Column("plan_version", String(64)),
    Column("skipped", Integer),
    Column("stopped_by", String(16)),
    Index("ix_test_runs_plan_started", "plan_name", "started_at"),
)
# started_at's index: named as the models' index=True names it.
Index("ix_test_runs_started_at", test_runs.c.started_at)

step_results = Table(
    "step_results",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_id(index=True),
    Column("number", Integer, nullable=False),
    Column("name", Text, nullable=False),
    Column("device", Text, nullable=False),
    Column("register", Text, nullable=False),
    Column("action", String(16), nullable=False),
    Column("verdict", String(16), nullable=False),
    Column("detail", Text, nullable=False),
    Column("measured", Float),
    Column("expected", Float),
    Column("low", Float),
    Column("high", Float),
    Column("attempts", Integer, nullable=False),
    Column("duration_s", Float, nullable=False),
    _when("finished_at"),
    Column("teardown", Boolean),  # schema 2
    Column("error_code", String(16)),  # schema 3, as the two below
    Column("error_codes", JSON),
    Column("requirements", JSON),
    Column("unit", String(32)),  # schema 4
)

sweep_readings = Table(  # schema 4
    "sweep_readings",
    METADATA,
    _run_id(primary_key=True),
    Column("step_number", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    _when("at"),
    Column("elapsed_s", Float, nullable=False),
    Column("setpoint_c", Float, nullable=False),
    Column("chamber_c", Float, nullable=False),
    Column("dut_c", Float),
    Column("vout_v", Float, nullable=False),
)

batches = Table(  # schema 3
    "batches",
    METADATA,
    Column("id", String(64), primary_key=True),
    Column("station_id", String(64), nullable=False),
    Column("stage", String(64), nullable=False),
    Column("operator", String(128), nullable=False),
    Column("plan_name", String(255), nullable=False),
    Column("plan_path", Text, nullable=False),
    Column("plan_text", Text, nullable=False),
    Column("plan_hash", String(64), nullable=False),
    Column("sns", JSON, nullable=False),
    Column("options", JSON, nullable=False),
    Column("artifacts_dir", Text),
    Column("status", String(16), nullable=False),
    _when("started_at"),
    _when("finished_at", nullable=True),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
)

devices = Table(
    "devices",
    METADATA,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _run_id(index=True),
    Column("name", Text, nullable=False),
    Column("host", Text, nullable=False),
    Column("port", Integer, nullable=False),
    Column("framing", String(32), nullable=False),
    Column("unit", Integer, nullable=False),
    Column("simulated", Boolean, nullable=False),
)
