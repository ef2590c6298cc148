"""The run store from the command line: ``runs``, ``report``, ``replay``."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mfg_ctl.store import RunStore
from tests.controller.cli.support import (
    BRINGUP,
    ROOT,
    Ctl,
    Served,
    assert_bringup_report,
    record,
    run_id_of,
)

# -- the run store: runs, report, replay -------------------------------------------------


def test_runs_lists_newest_first_and_filters_by_plan(ctl: Ctl, tmp_path: Path) -> None:
    assert ctl("runs").out == "no recorded runs\n"
    other = tmp_path / "other.yaml"
    other.write_text((ROOT / BRINGUP).read_text().replace("name: station_bringup", "name: other"))
    ids = []
    for number, plan in enumerate((BRINGUP, other, BRINGUP)):
        out = tmp_path / f"{number}.json"
        assert ctl("run", plan, "--json-out", out).status == 0
        ids.append(run_id_of(out))
    listing = ctl("runs")
    assert listing.lines[0].split()[:3] == ["run", "plan", "verdict"]
    assert [row[:8] for row in listing.lines[1:]] == [i[:8] for i in reversed(ids)]
    assert [row.split()[1] for row in listing.lines[1:]] == [
        "station_bringup",
        "other",
        "station_bringup",
    ]
    only = ctl("runs", "--plan", "other")
    assert [row[:8] for row in only.lines[1:]] == [ids[1][:8]]
    assert ctl("runs", "--limit", "1").lines[1][:8] == ids[2][:8]
    assert ctl("runs", "--plan", "nope").out == "no recorded runs of plan 'nope'\n"


def test_report_reprints_what_the_run_printed(ctl: Ctl, station: Served, tmp_path: Path) -> None:
    with station.client("dmm") as dmm:
        dmm.custom("set", "dc_voltage", 4000)
    live_json, live_md = tmp_path / "live.json", tmp_path / "live.md"
    run = ctl(
        "run", BRINGUP, "--station", station.path, "--json-out", live_json, "--md-out", live_md
    )
    assert run.status == 1
    run_id = run_id_of(live_json)

    again = ctl("report", run_id[:6])
    assert again.status == 0
    assert again.out == run.out
    assert again.err == f"devices: {station.path}\n"

    json_out, md_out = tmp_path / "again.json", tmp_path / "again.md"
    exported = ctl("report", run_id, "--json-out", json_out, "--md-out", md_out)
    assert exported.status == 0
    assert exported.out == run.out
    assert json.loads(json_out.read_text()) == json.loads(live_json.read_text())
    assert md_out.read_text() == live_md.read_text()
    assert "| 9 | check_dmm_dc_voltage | dmm | FAIL | measured 4000, " in md_out.read_text()


def test_report_of_a_rerun_names_its_parent(ctl: Ctl, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text((ROOT / BRINGUP).read_text().replace("expected: 5000", "expected: 4000"))
    assert ctl("run", plan, "--json-out", tmp_path / "1.json").status == 1
    assert ctl("run", plan, "--only-failed", "--json-out", tmp_path / "2.json").status == 1
    parent, child = run_id_of(tmp_path / "1.json"), run_id_of(tmp_path / "2.json")
    result = ctl("report", child, "--md-out", tmp_path / "child.md")
    assert result.lines[1] == (
        "9 FAIL check_dmm_dc_voltage: measured 4980, expected 4000 +/- 50 (delta 980)"
    )
    assert f"- Re-run of: `{parent}`" in (tmp_path / "child.md").read_text()
    exported = json.loads((tmp_path / "2.json").read_text())
    assert exported["parent_run_id"] == parent
    assert exported["step_count"] == 1


def test_unknown_or_ambiguous_run_ids_are_one_error_line(ctl: Ctl, isolated: Path) -> None:
    record(isolated, "abc1" + "0" * 28)
    record(isolated, "abc2" + "0" * 28)
    for args in (("report", "fff"), ("report", "abc"), ("replay", "abc"), ("report", " ")):
        result = ctl(*args)
        assert result.status == 2, args
        assert result.out == ""
        assert result.err.startswith("error: "), args
        assert result.err.count("\n") == 1, args
    assert "ambiguous" in ctl("report", "abc").err
    assert ctl("report", "abc1").status == 0


def test_replay_runs_the_stored_plan_text_after_the_file_changed_or_went(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    plan = tmp_path / "bringup.yaml"
    shutil.copy(ROOT / BRINGUP, plan)
    assert ctl("run", plan, "--json-out", tmp_path / "0.json").status == 0
    original = run_id_of(tmp_path / "0.json")

    plan.write_text(plan.read_text().replace("expected: 5000", "expected: 4000"))
    assert ctl("run", plan).status == 1  # the file now fails
    changed = ctl("replay", original[:8], "--json-out", tmp_path / "1.json")
    assert changed.status == 0
    assert_bringup_report(changed.lines)

    plan.unlink()
    gone = ctl("replay", original, "--md-out", tmp_path / "2.md")
    assert gone.status == 0
    assert_bringup_report(gone.lines)
    assert f"- Re-run of: `{original}`" in (tmp_path / "2.md").read_text()

    replayed = run_id_of(tmp_path / "1.json")
    with RunStore(f"sqlite:///{isolated}") as store:
        assert store.get(replayed).parent_run_id == original
        assert store.get(replayed).plan_text == store.get(original).plan_text
        assert len(store.runs()) == 4


def test_replay_of_a_plan_that_no_longer_loads(ctl: Ctl, isolated: Path) -> None:
    record(isolated, "dead" + "0" * 28, plan_text="name: x\nsteps: []\n")
    result = ctl("replay", "dead")
    assert result.status == 2
    assert result.err.startswith("error: the plan stored with run dead0000 no longer loads: ")
    assert result.err.count("\n") == 1
