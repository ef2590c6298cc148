"""A TempCo sweep's raw readings end to end: simulated bench -> events -> run store -> report.

Every DMM reading of ``mfg-ctl tempco`` (and of a plan's ``tempco:`` step) is
stored with its time and the chamber's air and product temperatures, so a stored
run's curve can be drawn again, and its points and fit recomputed, without the bench.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

import pytest

from mfg_ctl.report import RunReport
from mfg_ctl.run.events import SweepReading
from mfg_ctl.store import RunStore
from mfg_ctl.tempco import TempcoSettings, evaluate, points_of
from tests.controller.cli.support import Ctl, in_process, isolate, run_id_of

#: The LDO of the simulated bench (its profile.yaml): 3.3 V at 25 C, 50 ppm/C.
V0, TEMPCO = 3.3, 50e-6
#: What the DUT's own dissipation adds to its case over the air, roughly (C).
SELF_HEATING_C = (0.5, 1.2)


@pytest.fixture
def ctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Ctl:
    isolate(tmp_path, monkeypatch)
    return in_process(capsys)


def stored_sweep(tmp_path: Path, run_id: str) -> tuple[RunReport, tuple[SweepReading, ...]]:
    with RunStore(f"sqlite:///{tmp_path / 'runs.db'}") as store:
        readings = store.sweep_readings(run_id)
        return RunReport.from_stored(store.get(run_id), readings), readings


def test_tempco_stores_every_reading_and_the_points_come_back_from_them(
    ctl: Ctl, tmp_path: Path
) -> None:
    result = ctl(
        "tempco",
        "--temperatures",
        "-40,25,125",
        "--readings",
        "4",
        "--json-out",
        tmp_path / "t.json",
    )
    assert result.status == 0, result.err
    report, readings = stored_sweep(tmp_path, run_id_of(tmp_path / "t.json"))
    assert len(readings) == 3 * 4  # points x readings per point
    assert [r.setpoint_c for r in readings] == [-40.0] * 4 + [25.0] * 4 + [125.0] * 4
    for reading in readings:
        assert reading.chamber_c == pytest.approx(reading.setpoint_c, abs=0.5)  # settled air
        assert reading.dut_c is not None  # the simulated chamber has its product probe
        assert SELF_HEATING_C[0] < reading.dut_c - reading.chamber_c < SELF_HEATING_C[1]
        at_the_case = V0 * (1 + TEMPCO * (reading.dut_c - 25.0))
        assert reading.vout_v == pytest.approx(at_the_case, rel=2e-4)  # the junction: ~2 C more
    times = [r.at for r in readings]
    assert times == sorted(times)
    assert report.finished_at is not None
    assert report.started_at <= times[0] <= times[-1] <= report.finished_at
    elapsed = [r.elapsed_s for r in readings]
    assert all(a < b for a, b in itertools.pairwise(elapsed))
    assert elapsed[-1] > (65 + 165) * 6  # chamber seconds: 25 -> -40 -> 125 C at 10 C/min

    (sweep,) = report.steps
    assert (sweep.unit, report.readings) == ("ppm/C", readings)
    points = points_of(readings)
    settings = TempcoSettings(temperatures_c=(-40, 25, 125), readings_per_point=4)
    judged = evaluate(points, settings)
    assert (judged.ppm_per_c, judged.detail) == (sweep.measured, sweep.detail)  # the same fit
    printed = re.findall(r"measured (\S+) V at (\S+) C", result.out)
    assert printed == [(f"{p.vout_v:.6g}", f"{p.temperature_c:.4g}") for p in points]


def test_a_plans_sweep_is_logged_and_stored_alike(ctl: Ctl, tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    json_out = tmp_path / "r.json"
    result = ctl("run", "plans/dvt_tempco.yaml", "--log", log, "--json-out", json_out)
    assert result.status == 0, result.out
    report, readings = stored_sweep(tmp_path, run_id_of(json_out))
    assert len(readings) == 5 * 5
    progress = [
        line
        for line in map(json.loads, log.read_text().splitlines())
        if line["type"] == "StepProgress"
    ]
    assert [line["part"] for line in progress] == [
        "point_-40C",
        "point_0C",
        "point_25C",
        "point_85C",
        "point_125C",
    ]
    assert {(line["number"], line["attempt"], line["unit"]) for line in progress} == {(6, 1, "V")}
    logged = [row for line in progress for row in line["readings"]]
    assert [row["at"] for row in logged] == [r.at.isoformat() for r in readings]
    keys = ("elapsed_s", "setpoint_c", "chamber_c", "dut_c", "vout_v")
    assert [[row[key] for key in keys] for row in logged] == [
        [getattr(r, key) for key in keys] for r in readings
    ]
    for line, point in zip(progress, points_of(readings), strict=True):
        assert line["value"] == math.fsum(r.vout_v for r in point.readings) / 5 == point.vout_v
    units = {step.name: step.unit for step in report.steps}
    assert units["tempco_vout"] == "ppm/C"
    assert units["check_ldo_output"] == ""  # a SCPI query measures in no declared unit
