"""``--resume`` finishes a stopped batch in the batch's own run folder, from any folder, and
once an unreachable station answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulators import plugins
from simulators.launcher import Simulator
from tests.controller.batch.support import (
    PLAN,
    batch_status,
    read_rows,
    run_folder,
    stored_runs,
)
from tests.controller.cli.support import Ctl, closed_port

#: Every unit fails its only step, and the batch stops there (abort-batch).
STOPS_EVERY_TIME = """\
name: stops_every_time
defaults: {timeout: 1.0, retries: 0}
devices:
  dut: {line: dut}
steps:
  - name: never_passes
    device: dut
    ask: "MEAS:VOLT?"
    range: [100, 200]
    on_exhausted: abort-batch
"""


def test_resume_from_another_folder_writes_into_the_batchs_folder(
    ctl: Ctl, tmp_path: Path, isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = tmp_path / "stops.yaml"
    plan.write_text(STOPS_EVERY_TIME)
    first_place, second_place = tmp_path / "first", tmp_path / "second"
    first_place.mkdir()
    second_place.mkdir()
    monkeypatch.chdir(first_place)
    started = ctl("batch", "--plan", plan, "--batch-id", "B1", "--station-id", "ST1",
                  "--stage", "EVT", "--sns", "SN1,SN2,SN3", "--artifacts", "runs")
    assert started.status == 1, started.err
    assert batch_status(isolated, "B1") == "stopped"
    folder = run_folder(first_place / "runs")
    monkeypatch.chdir(second_place)
    resumed = ctl("batch", "--resume", "B1")
    assert resumed.status == 1, resumed.err
    assert "resuming batch B1: 2 of 3 units left" in resumed.err
    assert list(second_place.iterdir()) == []  # no second folder where the resume ran
    stored = stored_runs(isolated, "B1")
    assert sorted(stored.values()) == ["SN1", "SN2"]  # SN2 stopped the batch again
    assert {row["run_id"] for row in read_rows(folder)} == set(stored)
    summary = json.loads((folder / "results_summary.json").read_text())
    assert summary["not_tested"] == ["SN3"]
    assert summary["units"]["tested"] == 2


def test_an_unreachable_station_tests_nothing_and_the_batch_resumes_once_it_answers(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    station = tmp_path / "station.yaml"
    line = "station_id: ST1\ndevices:\n  dut: {{host: 127.0.0.1, port: {port}, protocol: line}}\n"
    station.write_text(line.format(port=closed_port()))
    root = tmp_path / "runs"
    down = ctl("batch", "--plan", PLAN, "--batch-id", "B1", "--stage", "EVT", "--sns",
               "SN1,SN2,SN3", "--station", station, "--artifacts", root)
    assert down.status == 3, down.err
    assert down.err.splitlines()[-1] == "error: a device could not be reached; no unit was tested"
    assert stored_runs(isolated, "B1") == {}
    assert batch_status(isolated, "B1") == "stopped"
    summary = json.loads((run_folder(root) / "results_summary.json").read_text())
    assert summary["not_tested"] == ["SN1", "SN2", "SN3"]
    dut = Simulator("dut", plugins.load("dut"), ephemeral=True)
    dut.start()
    try:
        station.write_text(line.format(port=dut.addresses[0].port))
        up = ctl("batch", "--resume", "B1", "--station", station)
    finally:
        dut.stop()
    assert up.status == 0, up.err
    assert sorted(stored_runs(isolated, "B1").values()) == ["SN1", "SN2", "SN3"]
    assert batch_status(isolated, "B1") == "finished"
