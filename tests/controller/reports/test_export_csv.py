"""``mfg-ctl export --csv``: one row per step result of a run or a batch, events.csv columns."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mfg_ctl.analytics.records import ATTEMPT_FIELDS
from tests.controller.cli.support import BRINGUP, Ctl, Served, run_id_of


def rows_of(path: Path) -> list[dict[str, str]]:
    """The CSV's rows, after checking its header is the events.csv one."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == ATTEMPT_FIELDS
        return list(reader)


def recorded(ctl: Ctl, tmp_path: Path, name: str, *identity: str) -> str:
    """Run the bring-up with ``identity`` options; its run id."""
    json_out = tmp_path / f"{name}.json"
    assert ctl("run", BRINGUP, "--json-out", json_out, *identity).status == 0
    return run_id_of(json_out)


def test_a_batch_exports_every_step_of_its_runs_oldest_first(ctl: Ctl, tmp_path: Path) -> None:
    first = recorded(ctl, tmp_path, "1", "--batch-id", "B1", "--sn", "SN1")
    second = recorded(ctl, tmp_path, "2", "--batch-id", "B1", "--sn", "SN2")
    recorded(ctl, tmp_path, "other", "--batch-id", "B9", "--sn", "SN3")
    out = tmp_path / "b1.csv"
    result = ctl("export", "--batch-id", "B1", "--csv", out)
    assert result.status == 0
    assert result.err == f"wrote 22 step result(s) of 2 run(s) to {out}\n"
    rows = rows_of(out)
    assert [row["run_id"] for row in rows] == [first] * 11 + [second] * 11
    assert {row["sn"] for row in rows[11:]} == {"SN2"}
    assert {(row["batch_id"], row["run_status"], row["status"]) for row in rows} == {
        ("B1", "passed", "pass")
    }
    assert [row["step_index"] for row in rows[:11]] == [str(n) for n in range(1, 12)]
    dmm = rows[8]
    assert (dmm["step"], dmm["value"], dmm["attempt"]) == ("check_dmm_dc_voltage", "4980.0", "1")
    assert dmm["reason"] == "measured 4980, expected 5000 +/- 50 (delta 20)"
    assert dmm["plan"] == "station_bringup"
    assert dmm["started"] <= dmm["finished"]


def test_one_run_by_prefix_with_its_failed_step(
    ctl: Ctl, station: Served, tmp_path: Path
) -> None:
    fault = ctl("simulate-fault", "dmm", "set", "dc_voltage", "4000", "--station", station.path)
    assert fault.status == 0
    json_out, out = tmp_path / "r.json", tmp_path / "run.csv"
    assert ctl("run", BRINGUP, "--station", station.path, "--json-out", json_out).status == 1
    assert ctl("export", "--run-id", run_id_of(json_out)[:8], "--csv", out).status == 0
    rows = rows_of(out)
    assert len(rows) == 11
    assert {row["run_status"] for row in rows} == {"failed"}
    failed = [row for row in rows if row["status"] != "pass"]
    assert [(row["step"], row["status"], row["value"]) for row in failed] == [
        ("check_dmm_dc_voltage", "fail", "4000.0")
    ]
    assert (failed[0]["low"], failed[0]["high"]) == ("4950.0", "5050.0")


ONE_OF = "error: give exactly one of --run-id, --batch-id and --since [--until]"
SEE_RUNS = "see mfg-ctl runs"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), ONE_OF),
        (("--run-id", "x", "--batch-id", "B"), ONE_OF),
        (("--batch-id", "NOPE"), f"error: no recorded run belongs to batch 'NOPE'; {SEE_RUNS}"),
    ],
)
def test_bad_choices_are_one_line(
    ctl: Ctl, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    out = tmp_path / "x.csv"
    result = ctl("export", *args, "--csv", out)
    assert (result.status, result.err.strip()) == (2, message)
    assert not out.exists()


def test_an_unknown_run_and_an_unwritable_file_are_one_line(ctl: Ctl, tmp_path: Path) -> None:
    unknown = ctl("export", "--run-id", "ffffffff", "--csv", tmp_path / "x.csv")
    assert unknown.status == 2
    assert len(unknown.err.splitlines()) == 1
    run_id = recorded(ctl, tmp_path, "r")
    out = tmp_path / "no" / "dir" / "x.csv"
    result = ctl("export", "--run-id", run_id, "--csv", out)
    assert result.status == 2
    assert result.err == f"error: cannot write {out}: there is no folder {out.parent}\n"
