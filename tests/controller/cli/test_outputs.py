"""Exports never destroy an input, and never turn a failed run into a "bad usage" exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.controller.cli.support import BRINGUP, ROOT, Ctl, Served, no_runs, run_id_of


@pytest.mark.parametrize("option", ["--json-out", "--md-out", "--log"])
def test_an_output_that_is_the_plan_file_is_refused_before_the_run(
    ctl: Ctl, tmp_path: Path, option: str
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text((ROOT / BRINGUP).read_text())
    before = plan.read_bytes()
    other_spelling = tmp_path / "." / ".." / tmp_path.name / "plan.yaml"
    result = ctl("run", plan, option, other_spelling)
    assert (result.status, result.out) == (2, "")
    assert (
        result.err
        == f"error: {option} {other_spelling} is the plan file itself: give another path\n"
    )
    assert plan.read_bytes() == before
    assert no_runs(ctl)


def test_an_output_that_is_the_station_file_is_refused(ctl: Ctl, station: Served) -> None:
    before = station.path.read_bytes()
    result = ctl("run", BRINGUP, "--station", station.path, "--md-out", station.path)
    assert result.status == 2
    assert result.err == (
        f"error: --md-out {station.path} is the station file itself: give another path\n"
    )
    assert station.path.read_bytes() == before


def test_replay_never_writes_over_the_plan_it_replays(ctl: Ctl, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text((ROOT / BRINGUP).read_text())
    assert ctl("run", plan, "--json-out", tmp_path / "r.json").status == 0
    run_id = run_id_of(tmp_path / "r.json")
    result = ctl("replay", run_id, "--json-out", plan)
    assert result.status == 2
    assert "is the plan file itself" in result.err
    assert plan.read_text() == (ROOT / BRINGUP).read_text()


def test_an_unwritable_export_after_a_failed_run_keeps_exit_1(ctl: Ctl, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text((ROOT / BRINGUP).read_text().replace("expected: 5000", "expected: 4000"))
    out = tmp_path / "no" / "such" / "dir" / "r.md"
    result = ctl("run", plan, "--md-out", out)
    assert result.status == 1  # the failure verdict wins
    assert result.lines[0] == "Plan: station_bringup [FAIL]"
    assert result.err.splitlines()[-1] == f"error: cannot write {out}: No such file or directory"
