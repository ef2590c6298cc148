"""``teardown:`` from the command line: the supply is switched off however the run ends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mfg_ctl.store import RunStore
from simulators.modbus_client import ModbusClient
from tests.controller.cli.support import (
    BRINGUP,
    ROOT,
    WAIT,
    Ctl,
    Served,
    closed_port,
    write_station,
)

#: Appended to the bring-up: switch the supply off and its setpoint to 0.
TEARDOWN = """
teardown:
  - name: supply_output_off
    device: power_supply
    register: output_enable
    write: 0
  - name: supply_setpoint_zero
    device: power_supply
    register: voltage_setpoint
    write: 0
"""


def bringup_with_teardown(tmp_path: Path, edit: str = "") -> Path:
    text = (ROOT / BRINGUP).read_text()
    if edit:
        text = text.replace("expected: 5000", edit)
    path = tmp_path / "bringup_teardown.yaml"
    path.write_text(text + TEARDOWN)
    return path


def supply_state(station: Served) -> list[int]:
    """voltage_setpoint, current_limit, output_enable of the served supply."""
    with ModbusClient("127.0.0.1", station.ports["power_supply"], timeout=WAIT) as psu:
        return psu.read_holding(0, 3)


@pytest.mark.parametrize(("edit", "status"), [("", 0), ("expected: 4000", 1)])
def test_teardown_runs_after_a_pass_and_after_a_failure(
    ctl: Ctl, *, station: Served, tmp_path: Path, isolated: Path, edit: str, status: int
) -> None:
    plan = bringup_with_teardown(tmp_path, edit)
    result = ctl("run", plan, "--station", station.path, "--json-out", tmp_path / "r.json")
    assert result.status == status
    assert supply_state(station) == [0, 500, 0]  # off, though step 3 switched it on
    assert result.lines[12:14] == [
        "12 ok [teardown] supply_output_off: wrote 0 to output_enable",
        "13 ok [teardown] supply_setpoint_zero: wrote 0 to voltage_setpoint",
    ]
    assert result.lines[-1].startswith(f"{13 - status}/13 passed in ")
    report = json.loads((tmp_path / "r.json").read_text())
    assert [s["teardown"] for s in report["steps"]] == [False] * 11 + [True] * 2
    with RunStore(f"sqlite:///{isolated}") as store:
        stored = store.get(report["run_id"])
        assert [s.teardown for s in stored.steps] == [False] * 11 + [True] * 2
    assert ctl("report", report["run_id"]).out == result.out


def test_teardown_runs_after_an_unreachable_device(
    ctl: Ctl, station: Served, tmp_path: Path
) -> None:
    """The DMM is gone (step 9): the run aborts with exit 3; the supply is still switched off."""
    ports = {**station.ports, "dmm": closed_port()}
    bench = write_station(tmp_path / "bench.yaml", ports)
    result = ctl("run", bringup_with_teardown(tmp_path), "--station", bench)
    assert result.status == 3
    assert result.lines[9].startswith(" 9 ERROR check_dmm_dc_voltage: unreachable: ")
    assert result.lines[10:12] == [
        "12 ok [teardown] supply_output_off: wrote 0 to output_enable",
        "13 ok [teardown] supply_setpoint_zero: wrote 0 to voltage_setpoint",
    ]
    assert supply_state(station) == [0, 500, 0]


def test_only_failed_reruns_main_steps_and_always_the_teardown(
    ctl: Ctl, station: Served, tmp_path: Path
) -> None:
    plan = bringup_with_teardown(tmp_path, "expected: 4000")
    assert ctl("run", plan, "--station", station.path).status == 1
    again = ctl("run", plan, "--station", station.path, "--only-failed")
    assert [line.split()[0] for line in again.lines[1:-1]] == ["9", "12", "13"]
    assert again.lines[-1].startswith("2/3 passed in ")
