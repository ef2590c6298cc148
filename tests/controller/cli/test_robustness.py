"""``mfg-ctl run`` against misbehaving devices: delays, drops, corruption, framings, refusals."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.controller.cli.support import (
    BRINGUP,
    FIRST_FAILURE,
    WAIT,
    Ctl,
    Served,
    assert_bringup_report,
    fast_plan,
    write_station,
)

# -- robustness against misbehaving devices ----------------------------------------------


def test_a_delay_beyond_the_timeout_is_an_error_after_the_retries(
    ctl: Ctl, station: Served, tmp_path: Path
) -> None:
    plan = fast_plan(tmp_path, timeout=0.2, retries=1)
    assert ctl("simulate-fault", "dmm", "delay", "1000", "--station", station.path).out == "ok\n"
    began = time.monotonic()
    result = ctl("run", plan, "--station", station.path, "--json-out", tmp_path / "r.json")
    assert time.monotonic() - began < WAIT  # bounded: it never hangs
    assert result.status == 1
    dmm_port = station.ports["dmm"]
    assert result.lines[9] == (
        f" 9 ERROR check_dmm_dc_voltage: no response from 127.0.0.1:{dmm_port} within 0.2 s "
        "(after 2 attempts)"
    )
    assert result.lines[0] == "Plan: station_bringup [ERROR]"
    assert result.lines[-1].endswith(FIRST_FAILURE)
    steps = json.loads((tmp_path / "r.json").read_text())["steps"]
    assert (steps[8]["verdict"], steps[8]["attempts"]) == ("error", 2)
    assert [s["verdict"] for s in steps[9:]] == ["pass", "pass"]  # the run went on


@pytest.mark.parametrize("framing", ["custom", "modbus-tcp"])
@pytest.mark.parametrize("kind", ["drop", "crc"])
def test_a_dropped_or_corrupted_response_is_survived_by_a_retry(
    ctl: Ctl, serve_station: Callable[[str], Served], tmp_path: Path, kind: str, framing: str
) -> None:
    served = serve_station(framing)
    fault = ctl("simulate-fault", "power_supply", kind, "2", "--station", served.path)
    assert fault.out == "ok\n"
    result = ctl("run", BRINGUP, "--station", served.path, "--json-out", tmp_path / "r.json")
    assert result.status == 0
    assert_bringup_report(result.lines)
    steps = json.loads((tmp_path / "r.json").read_text())["steps"]
    # every 2nd request of the supply fails: steps 2-5 each need a second attempt
    assert [s["attempts"] for s in steps[:5]] == [1, 2, 2, 2, 2]
    assert {s["attempts"] for s in steps[5:]} == {1}


def test_devices_in_different_framings_make_a_mixed_run(
    ctl: Ctl, serve_station: Callable[[str], Served], tmp_path: Path
) -> None:
    custom, mbap = serve_station("custom"), serve_station("modbus-tcp")
    text = custom.path.read_text().replace(
        f"dmm: {{host: 127.0.0.1, port: {custom.ports['dmm']}}}",
        f"dmm: {{host: 127.0.0.1, port: {mbap.ports['dmm']}, framing: modbus-tcp}}",
    )
    station = tmp_path / "mixed.yaml"
    station.write_text(text)
    result = ctl("run", BRINGUP, "--station", station, "--json-out", tmp_path / "r.json")
    assert result.status == 0
    assert_bringup_report(result.lines)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["framing"] == "mixed"
    framings = {d["name"]: d["framing"] for d in report["devices"]}
    assert framings["dmm"] == "modbus-tcp"
    assert framings["power_supply"] == "custom"


def test_a_station_file_can_override_its_framing_from_the_command_line(
    ctl: Ctl, serve_station: Callable[[str], Served], tmp_path: Path
) -> None:
    served = serve_station("modbus-tcp")
    station = tmp_path / "as_custom.yaml"
    station.write_text(served.path.read_text().replace("framing: modbus-tcp", "framing: custom"))
    result = ctl("run", BRINGUP, "--station", station, "--framing", "modbus-tcp")
    assert result.status == 0
    assert_bringup_report(result.lines)


# -- what a device answers -------------------------------------------------------------


def test_a_holding_register_reads_back_what_was_written(ctl: Ctl, tmp_path: Path) -> None:
    plan = tmp_path / "readback.yaml"
    plan.write_text(
        "name: readback\n"
        "steps:\n"
        "  - {name: set, device: power_supply, register: voltage_setpoint, write: 1500}\n"
        "  - {name: get, device: power_supply, register: voltage_setpoint,\n"
        "     expected: 1500, tolerance_pct: 1}\n"
    )
    result = ctl("run", plan)
    assert result.status == 0
    assert result.lines[1:3] == [
        "1 ok set: wrote 1500 to voltage_setpoint",
        "2 ok get: measured 1500, expected 1500 +/- 1% (delta 0)",
    ]


def test_a_device_refusing_a_request_is_an_error_not_retried(
    ctl: Ctl, station: Served, tmp_path: Path
) -> None:
    """The thermocouple entry points at the DMM: channel_0 reads its 4980, 110 does not exist."""
    ports = {**station.ports, "thermocouple": station.ports["dmm"]}
    wrong = write_station(tmp_path / "wrong.yaml", ports)
    result = ctl("run", BRINGUP, "--station", wrong, "--json-out", tmp_path / "r.json")
    assert result.status == 1
    assert result.lines[10:12] == [
        "10 FAIL check_thermocouple_channel_0: measured 4980, expected within [2200, 2400]",
        "11 ERROR check_thermocouple_cold_junction: refused: device exception 2 "
        "(illegal data address) to function 0x04",
    ]
    assert result.lines[0] == "Plan: station_bringup [FAIL]"
    assert result.lines[-1].endswith("; first failure: 10 check_thermocouple_channel_0")
    assert json.loads((tmp_path / "r.json").read_text())["steps"][10]["attempts"] == 1
