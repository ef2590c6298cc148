"""A run store made by an older mfg-ctl is migrated when opened, and keeps every run.

``tests/controller/data/runs_v1.sql`` is the dump of a schema-1 store written
by the mfg-ctl of before schema 2: two runs of the bring-up, one passed, one
failed at step 9 (its plan expected 4000).
"""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest

from mfg_ctl.cli.main import main
from mfg_ctl.store import RunStore
from mfg_ctl.store.models import SCHEMA_VERSION
from mfg_ctl.store.revisions import HEAD
from tests.controller.store.support import ROOT, raw, url_of

V1_DUMP = ROOT / "tests" / "controller" / "data" / "runs_v1.sql"
PASSED, FAILED = "9223e34ab01b489db78eaf34b28e24d5", "41f62c7444ca4021b5ea2e83dd852fdb"


def v1_store(path: Path) -> Path:
    with sqlite3.connect(path) as conn:
        conn.executescript(V1_DUMP.read_text())
    assert raw(path, "SELECT version FROM mfg_ctl_schema") == [(1,)]
    return path


def test_a_version_1_store_is_migrated_and_keeps_its_runs(tmp_path: Path) -> None:
    db = v1_store(tmp_path / "runs.db")
    with RunStore(url_of(db)) as store:
        runs = {run.run_id: run for run in store.runs()}
        assert set(runs) == {PASSED, FAILED}
        assert (runs[PASSED].status, runs[FAILED].status) == ("passed", "failed")
        failed = store.get(FAILED)
        assert len(failed.steps) == 11
        assert failed.not_passed == (9,)
        assert not any(step.teardown for step in failed.steps)
        assert failed.plan_hash == hashlib.sha256(failed.plan_text.encode()).hexdigest()
        assert failed.devices_from == "simulated in-process"
        assert (failed.sn, failed.batch_id, failed.stage, failed.skipped) == ("", "", "", 0)
        assert failed.steps[8].error_codes == ()
        assert {step.unit for step in failed.steps} == {""}  # not kept before schema 4
    assert raw(db, "SELECT version FROM mfg_ctl_schema") == [(SCHEMA_VERSION,)]
    assert raw(db, "SELECT version_num FROM mfg_ctl_alembic_version") == [(HEAD,)]
    indexes = {row[0] for row in raw(db, "SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"ix_test_runs_plan_hash", "ix_test_runs_sn", "ix_test_runs_batch_id"} <= indexes
    assert raw(db, "SELECT count(*) FROM batches") == [(0,)]
    with RunStore(url_of(db)) as again:  # opening a migrated store changes nothing
        assert len(again.runs()) == 2


def test_only_failed_repeats_a_run_recorded_before_the_migration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCOS_SIMULATORS_RUNTIME_DIR", str(tmp_path))
    db = v1_store(tmp_path / "runs.db")
    with RunStore(url_of(db)) as store:
        text = store.get(FAILED).plan_text
    plan = tmp_path / "failing_bringup.yaml"
    plan.write_text(text)
    status = main(["run", str(plan), "--only-failed", "--db", str(db)])
    assert status == 1  # the plan still expects 4000: step 9 fails again
    out, err = capsys.readouterr()
    assert out.splitlines()[1].startswith("9 FAIL check_dmm_dc_voltage: measured 4980")
    assert err.splitlines()[0] == "re-running the 1 step(s) that did not pass in run 41f62c74"
