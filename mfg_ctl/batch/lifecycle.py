"""A batch's life outside its runner: its stored record, its run folder's header, its closing.

``mfg-ctl batch`` and the web UI both start a batch with :func:`new_batch_record`
and :func:`batch_artifacts` and end it with :func:`finish_batch`, so a batch
started from a browser is stored and foldered exactly like one from the CLI.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mfg_ctl.artifacts.writer import RunArtifacts
from mfg_ctl.plan import Plan
from mfg_ctl.run.events import UnitIdentity
from mfg_ctl.store import RunStore
from mfg_ctl.store.models import BatchRecord

__all__ = [
    "DEFAULT_ARTIFACTS",
    "batch_artifacts",
    "batch_folder",
    "batch_header",
    "finish_batch",
    "new_batch_record",
]

#: Where batches put their run folders unless told otherwise.
DEFAULT_ARTIFACTS = Path("runs")


def new_batch_record(
    plan: Plan,
    identity: UnitIdentity,
    sns: tuple[str, ...],
    root: Path,
    **options: Any,
) -> BatchRecord:
    """The record of a new batch, running now in this process; its folder is ``root/<run id>``.

    ``options`` (parallel, dut_profile, seed) are kept for a resume.
    """
    run_id = uuid.uuid4().hex
    return BatchRecord(
        batch_id=identity.batch_id,
        station_id=identity.station_id,
        stage=identity.stage,
        operator=identity.operator,
        plan_name=plan.name,
        plan_path=str(plan.path),
        plan_text=plan.text,
        plan_hash=plan.hash,
        sns=sns,
        options={"run_id": run_id, **options},
        artifacts_dir=str((root / run_id).absolute()),  # a resume may run elsewhere
        status="running",
        started_at=datetime.now(UTC),
        host=socket.gethostname(),
        pid=os.getpid(),
    )


def batch_folder(record: BatchRecord) -> Path:
    """The run folder of a stored batch."""
    return Path(record.artifacts_dir or DEFAULT_ARTIFACTS / str(record.options["run_id"]))


def batch_header(record: BatchRecord, plan_version: str) -> dict[str, Any]:
    """The header of a batch's summary: what the run folder writes and a report reads back."""
    return {
        "batch_id": record.batch_id,
        "station_id": record.station_id,
        "stage": record.stage,
        "plan": record.plan_name,
        "plan_version": plan_version,
        "plan_hash": record.plan_hash,
        "started": record.started_at.isoformat(),
        "run_dir": str(batch_folder(record)),
    }


def batch_artifacts(record: BatchRecord, plan: Plan) -> RunArtifacts:
    """The run folder writer of ``record`` (not yet created), with its summary header."""
    return RunArtifacts(batch_folder(record), plan, batch_header(record, plan.version))


def finish_batch(
    store: RunStore, record: BatchRecord, artifacts: RunArtifacts
) -> tuple[dict[str, Any], list[str]]:
    """Write the summary files and mark the batch finished or stopped; return the summary and
    the units not tested (ArtifactError, StoreError)."""
    finished = store.finished_units(record.batch_id)
    not_tested = [sn for sn in record.sns if sn not in finished]
    summary = artifacts.finish(not_tested, datetime.now(UTC).isoformat())
    store.set_batch_status(record.batch_id, "stopped" if not_tested else "finished")
    return summary, not_tested
