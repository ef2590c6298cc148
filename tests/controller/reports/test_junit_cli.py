"""``--junit FILE`` on ``mfg-ctl run`` and ``mfg-ctl report``: what a CI server would read."""

from __future__ import annotations

import json
from pathlib import Path

from tests.controller.cli.support import (
    BRINGUP,
    Ctl,
    Served,
    assert_bringup_report,
    run_id_of,
    stderr_of_a_run,
)
from tests.controller.reports.support import parsed, properties


def test_a_run_writes_junit_with_the_unit_and_every_step(ctl: Ctl, tmp_path: Path) -> None:
    junit, json_out = tmp_path / "run.xml", tmp_path / "run.json"
    result = ctl("run", BRINGUP, "--sn", "SN9", "--batch-id", "B2", "--station-id", "ST4",
                 "--operator", "ana", "--junit", junit, "--json-out", json_out)
    assert result.status == 0
    assert result.lines[1] == "Unit: SN9, batch B2, station ST4, operator ana"
    root = parsed(junit.read_text())
    totals = (root.attrib["tests"], root.attrib["failures"], root.attrib["errors"])
    assert totals == ("11", "0", "0")
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.attrib["name"] == "station_bringup"
    identity = properties(suite)
    assert (identity["sn"], identity["batch_id"], identity["station_id"]) == ("SN9", "B2", "ST4")
    assert identity["operator"] == "ana"
    assert identity["run_id"] == run_id_of(json_out)
    cases = suite.findall("testcase")
    assert cases[8].attrib["name"] == "09 check_dmm_dc_voltage"
    assert properties(cases[8])["measured"] == "4980"


def test_a_failed_step_is_a_junit_failure(ctl: Ctl, station: Served, tmp_path: Path) -> None:
    fault = ctl("simulate-fault", "dmm", "set", "dc_voltage", "4000", "--station", station.path)
    assert fault.status == 0
    junit = tmp_path / "run.xml"
    assert ctl("run", BRINGUP, "--station", station.path, "--junit", junit).status == 1
    root = parsed(junit.read_text())
    assert root.attrib["failures"] == "1"
    (failed,) = [case for case in root.iter("testcase") if case.find("failure") is not None]
    assert failed.attrib["name"] == "09 check_dmm_dc_voltage"
    failure = failed.find("failure")
    assert failure is not None
    assert failure.attrib["message"] == "measured 4000, expected 5000 +/- 50 (delta 1000)"


def test_report_exports_the_same_junit_as_the_run(ctl: Ctl, tmp_path: Path) -> None:
    at_run, later, json_out = tmp_path / "run.xml", tmp_path / "later.xml", tmp_path / "r.json"
    assert ctl("run", BRINGUP, "--sn", "SN1", "--junit", at_run, "--json-out", json_out).status == 0
    shown = ctl("report", run_id_of(json_out)[:8], "--junit", later)
    assert shown.status == 0
    parsed(later.read_text())
    assert later.read_text() == at_run.read_text()
    again = tmp_path / "again.xml"
    assert ctl("report", run_id_of(json_out), "--junit", again).status == 0
    assert again.read_bytes() == later.read_bytes()


def test_junit_leaves_the_json_export_unchanged(ctl: Ctl, tmp_path: Path) -> None:
    plain, with_junit = tmp_path / "plain.json", tmp_path / "with.json"
    assert ctl("run", BRINGUP, "--json-out", plain).status == 0
    run_id = run_id_of(plain)
    assert ctl("report", run_id, "--json-out", plain).status == 0
    both = ctl("report", run_id, "--json-out", with_junit, "--junit", tmp_path / "r.xml")
    assert both.status == 0
    assert json.loads(with_junit.read_text()) == json.loads(plain.read_text())
    assert with_junit.read_bytes() == plain.read_bytes()


def test_an_unwritable_junit_file_is_one_clear_line(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    out = tmp_path / "no" / "such" / "dir" / "run.xml"
    result = ctl("run", BRINGUP, "--junit", out)
    assert_bringup_report(result.lines)
    *run_lines, error = result.err.splitlines()
    stderr_of_a_run("\n".join(run_lines), isolated)
    assert error == f"error: cannot write {out}: No such file or directory"
    assert result.status == 2
    assert "Traceback" not in result.err


def test_junit_over_the_plan_file_is_refused(ctl: Ctl, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text(Path(BRINGUP).read_text())
    result = ctl("run", plan, "--junit", plan)
    assert result.status == 2
    assert f"--junit {plan} is the plan file itself" in result.err
    assert plan.read_text() == Path(BRINGUP).read_text()
