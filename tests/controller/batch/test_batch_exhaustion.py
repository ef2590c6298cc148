"""The plan's ``on_exhausted`` policies, seen through a batch: abort-batch, skip-rest, abort-unit.

Each plan's first step can never pass (the DUT's 5 V output measured against
[100, 200] V, no retry), so the policy decides what happens next.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.controller.batch.support import (
    PLAN as DUT_PLAN,
)
from tests.controller.batch.support import (
    batch_args,
    batch_status,
    query,
    read_rows,
    run_folder,
    sns,
    stored_runs,
)
from tests.controller.cli.support import Ctl

PLAN = """\
name: exhausted_{policy}
defaults: {{timeout: 1.0, retries: 0}}
devices:
  dut: {{line: dut}}
steps:
  - name: never_passes
    device: dut
    ask: "MEAS:VOLT?"
    range: [100, 200]
    on_exhausted: {policy}
  - name: identify
    device: dut
    ask: "*IDN?"
    match: "DUT-1000"
  - name: output_state
    device: dut
    ask: "POWER?"
    match: "O"
"""


def plan(tmp_path: Path, policy: str) -> Path:
    path = tmp_path / f"{policy}.yaml"
    path.write_text(PLAN.format(policy=policy))
    return path


def same_figures_from_folder_and_store(ctl: Ctl, root: Path, db: Path) -> None:
    """``analytics`` agrees on the run folder and on the store, skipped and aborted runs too."""
    from_folder = ctl("analytics", "--run-dir", run_folder(root), "--json")
    from_store = ctl("analytics", "--batch-id", "B1", "--db", db, "--json")
    assert from_folder.status == from_store.status == 0, (from_folder.err, from_store.err)
    assert json.loads(from_folder.out) == json.loads(from_store.out)
    assert json.loads(from_store.out)["units"]["failed"] > 0


def summary_of(root: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((run_folder(root) / "results_summary.json").read_text())
    return loaded


@pytest.mark.parametrize("slots", [1, 2])
def test_abort_batch_stops_after_the_unit_and_those_in_flight(
    ctl: Ctl, tmp_path: Path, isolated: Path, slots: int
) -> None:
    root = tmp_path / "runs"
    units = sns(8).split(",")
    result = ctl(*batch_args(isolated, root, "B1", ",".join(units), "--parallel", slots,
                             plan=plan(tmp_path, "abort-batch")))
    assert result.status == 1, result.err
    assert "stopped the batch (on_exhausted: abort-batch)" in result.err.splitlines()[-1]
    stored = stored_runs(isolated, "B1")
    assert 1 <= len(stored) <= slots  # the first unit, and at most the others in flight
    statuses = query(isolated, "SELECT status, stopped_by FROM test_runs")
    assert set(statuses) == {("aborted", "abort-batch")}
    summary = summary_of(root)
    not_tested = [sn for sn in units if sn not in stored.values()]
    assert summary["not_tested"] == not_tested
    assert len(not_tested) >= len(units) - slots
    assert batch_status(isolated, "B1") == "stopped"
    assert f"{len(not_tested)} not tested" in result.out
    same_figures_from_folder_and_store(ctl, root, isolated)


def test_abort_batch_with_flaky_duts_stops_at_the_first_failing_unit(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    """With retries 0, the first unit whose DUT errs once ends the batch: no later unit runs."""
    text = DUT_PLAN.read_text()
    text = (
        text.replace("retries: 2", "retries: 0")
        .replace("on_exhausted: continue", "on_exhausted: abort-batch")
        .replace("../traceability/", f"{DUT_PLAN.parent.parent}/traceability/")
    )
    strict = tmp_path / "strict.yaml"
    strict.write_text(text)
    root = tmp_path / "runs"
    units = sns(40).split(",")
    result = ctl(*batch_args(isolated, root, "B1", ",".join(units), "--dut-profile",
                             "factory-flaky", "--seed", 3, plan=strict))
    assert result.status == 1, result.err
    runs = query(isolated, "SELECT sn, status, stopped_by FROM test_runs ORDER BY started_at")
    stored = [sn for sn, _, _ in runs]
    assert stored == units[: len(stored)]  # one slot: units in order, none after the stop
    assert runs[-1][2] == "abort-batch"
    assert runs[-1][1] != "passed"  # aborted, or error/failed if its last main step erred
    assert all(status == "passed" for _, status, _ in runs[:-1])
    assert summary_of(root)["not_tested"] == units[len(stored) :]
    assert len(stored) < len(units)
    assert {row["run_id"] for row in read_rows(run_folder(root))} == set(
        stored_runs(isolated, "B1")
    )


def test_skip_rest_records_skipped_steps(ctl: Ctl, tmp_path: Path, isolated: Path) -> None:
    root = tmp_path / "runs"
    result = ctl(*batch_args(isolated, root, "B1", sns(4), "--parallel", 2,
                             plan=plan(tmp_path, "skip-rest")))
    assert result.status == 1, result.err
    rows = read_rows(run_folder(root))
    skipped = [
        (row["sn"], row["step"], row["attempt"]) for row in rows if row["status"] == "skipped"
    ]
    expected = [(sn, step, 0) for sn in sns(4).split(",") for step in ("identify", "output_state")]
    assert sorted(skipped) == sorted(expected)
    verdicts = query(
        isolated, "SELECT name, verdict, COUNT(*) FROM step_results GROUP BY name, verdict"
    )
    assert sorted(verdicts) == [
        ("identify", "skipped", 4), ("never_passes", "fail", 4), ("output_state", "skipped", 4)
    ]
    assert {status for (status,) in query(isolated, "SELECT status FROM test_runs")} == {"failed"}
    assert summary_of(root)["not_tested"] == []
    assert batch_status(isolated, "B1") == "finished"
    same_figures_from_folder_and_store(ctl, root, isolated)


def test_abort_unit_aborts_each_run_and_tests_every_unit(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    root = tmp_path / "runs"
    result = ctl(*batch_args(isolated, root, "B1", sns(4), "--parallel", 2,
                             plan=plan(tmp_path, "abort-unit")))
    assert result.status == 1, result.err
    runs = query(isolated, "SELECT sn, status, stopped_by FROM test_runs ORDER BY sn")
    assert runs == [(sn, "aborted", "abort-unit") for sn in sns(4).split(",")]
    steps = query(isolated, "SELECT DISTINCT name FROM step_results")
    assert steps == [("never_passes",)]  # nothing after the failing step ran
    assert summary_of(root)["not_tested"] == []
    assert batch_status(isolated, "B1") == "finished"
    same_figures_from_folder_and_store(ctl, root, isolated)
