"""``mfg-ctl run --artifacts DIR``: one run's folder of five files, or exit 2 before any step."""

from __future__ import annotations

import json
from pathlib import Path

from tests.controller.batch.support import FILES, read_rows, run_folder
from tests.controller.cli.support import Ctl, no_runs


def test_run_writes_its_folder_named_by_the_run_id(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    root = tmp_path / "runs"
    result = ctl("run", "plans/dut_functional.yaml", "--sn", "SN1", "--artifacts", root)
    assert result.status == 0, result.err
    folder = run_folder(root)
    assert f"artifacts: {folder}" in result.err.splitlines()
    assert sorted(path.name for path in folder.iterdir()) == sorted(FILES)
    rows = read_rows(folder)
    assert {row["run_id"] for row in rows} == {folder.name}
    assert {row["sn"] for row in rows} == {"SN1"}
    assert [row["step"] for row in rows][-2:] == ["load_off", "power_off"]
    stored = ctl("runs").lines[1].split()[0]
    assert folder.name.startswith(stored)
    summary = json.loads((folder / "results_summary.json").read_text())
    assert summary["units"] == {"tested": 1, "passed": 1, "failed": 0, "not_tested": 0}
    assert [unit["sn"] for unit in summary["unit_outcomes"]] == ["SN1"]


def test_an_unwritable_artifacts_folder_stops_the_run_before_it_starts(
    ctl: Ctl, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = ctl("run", "plans/dut_functional.yaml", "--sn", "SN1", "--artifacts", blocker / "d")
    assert result.status == 2
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    assert lines[0].startswith("error: cannot write in"), result.err
    assert result.out == ""  # no step ran
    assert no_runs(ctl)
