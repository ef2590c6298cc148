"""Bad input to ``mfg-ctl``: one line, a documented exit status, nothing recorded."""

from __future__ import annotations

import gc
import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl import clients
from tests.controller.cli.support import (
    BRINGUP,
    ROOT,
    Ctl,
    assert_bringup_report,
    closed_port,
    no_runs,
    run_id_of,
    shown_store,
    stderr_of_a_run,
    write_station,
)

# -- bad input ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(
            lambda text: text.replace("register: dc_voltage", "register: dc_voltag"),
            "step 9 (check_dmm_dc_voltage), field register: dmm has no register 'dc_voltag'",
            id="bad register",
        ),
        pytest.param(
            lambda text: text.replace("    write: 1\n", "    write: 2\n"),
            "step 3 (enable_supply_output), field write: 2 is not accepted by output_enable",
            id="bad value",
        ),
        pytest.param(
            lambda text: text + "  - name: [\n", "not valid YAML at line", id="broken YAML"
        ),
    ],
)
def test_a_bad_plan_is_one_line_and_records_nothing(
    ctl: Ctl, tmp_path: Path, edit: Callable[[str], str], message: str
) -> None:
    plan = tmp_path / "bad.yaml"
    plan.write_text(edit((ROOT / BRINGUP).read_text()))
    result = ctl("run", plan)
    assert result.status == 2
    assert result.out == ""
    assert result.err.startswith(f"error: {plan}: ")
    assert message in result.err
    assert result.err.count("\n") == 1
    assert no_runs(ctl)


def test_a_missing_plan_is_one_line(ctl: Ctl, tmp_path: Path, isolated: Path) -> None:
    missing = tmp_path / "missing.yaml"
    result = ctl("run", missing)
    assert result.status == 2
    assert result.err == f"error: {missing}: cannot read the plan: No such file or directory\n"
    assert not isolated.exists()  # the store was not even opened


def test_a_station_missing_a_device_is_a_usage_error(ctl: Ctl, tmp_path: Path) -> None:
    station = write_station(tmp_path / "st.yaml", {"power_supply": 1, "dmm": 2})
    result = ctl("run", BRINGUP, "--station", station)
    assert result.status == 2
    assert result.err == (
        f"error: {station}: no device 'actuator', which {BRINGUP} needs "
        "(step 6 command_actuator_position); add it under devices: with host and port\n"
    )
    assert result.out == ""
    assert no_runs(ctl)

    missing = ctl("run", BRINGUP, "--station", tmp_path / "nope.yaml")
    assert missing.status == 2
    assert missing.err.startswith(f"error: {tmp_path / 'nope.yaml'}: cannot read the station")


def test_a_run_that_never_starts_leaves_no_event_log_open(ctl: Ctl, tmp_path: Path) -> None:
    """The JSONL log is opened before the station is checked, and never closed then."""
    station = write_station(tmp_path / "st.yaml", {"power_supply": 1})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        result = ctl("run", BRINGUP, "--station", station, "--log", tmp_path / "events.jsonl")
        gc.collect()
    assert result.status == 2
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []


def test_an_unwritable_event_log_is_one_line_and_records_nothing(ctl: Ctl, tmp_path: Path) -> None:
    """Today the log file is opened unguarded: FileNotFoundError escapes as a traceback."""
    log = tmp_path / "no" / "such" / "dir" / "events.jsonl"
    result = ctl("run", BRINGUP, "--log", log)
    assert result.status == 2
    assert result.err == f"error: cannot write {log}: No such file or directory\n"
    assert no_runs(ctl)


def test_a_closed_port_is_exit_3_with_the_reason_and_the_run_recorded(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    port = closed_port()
    ports = dict.fromkeys(("power_supply", "dmm", "actuator", "thermocouple"), port)
    station = write_station(tmp_path / "st.yaml", ports)
    result = ctl("run", BRINGUP, "--station", station, "--json-out", tmp_path / "r.json")
    assert result.status == 3
    assert result.lines[0] == "Plan: station_bringup [ABORTED]"
    assert result.lines[1] == (
        f"1 ERROR set_supply_voltage: unreachable: cannot connect to 127.0.0.1:{port}: "
        "Connection refused"
    )
    assert result.lines[2].endswith(
        "; aborted after 1 step(s); first failure: 1 set_supply_voltage"
    )
    run_id = run_id_of(tmp_path / "r.json")
    assert result.err == (
        f"devices: {station}\n"
        f"error: a device could not be reached; run {run_id[:8]} recorded in "
        f"{shown_store(isolated)}\n"
    )
    row = ctl("runs").lines[1]
    assert row.split()[:4] == [run_id[:8], "station_bringup", "aborted", "0/11"]
    assert json.loads((tmp_path / "r.json").read_text())["devices"][0]["simulated"] is False


@pytest.mark.parametrize("how", ["url", "path", "env"])
def test_a_junk_database_is_one_line_and_left_untouched(
    ctl: Ctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database\x00\x01" * 10)
    before = junk.read_bytes()
    if how == "env":
        monkeypatch.setenv("MFG_CTL_DB", str(junk))
        args: tuple[object, ...] = ()
    else:
        args = ("--db", f"sqlite:///{junk}" if how == "url" else junk)
    for command in (("run", BRINGUP), ("runs",), ("report", "abc")):
        result = ctl(*command, *args)
        assert result.status == 2, command
        assert result.out == ""
        assert result.err.startswith("error: ")
        assert result.err.count("\n") == 1
    assert junk.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.db"]


def test_usage_errors_exit_2(ctl: Ctl) -> None:
    assert ctl("run", BRINGUP, "--framing", "rs485").status == 2
    assert ctl("run").status == 2
    assert ctl("explode").status == 2
    assert ctl("runs", "--limit", "0").status == 2


def test_an_unwritable_export_is_a_usage_error_after_the_report(
    ctl: Ctl, tmp_path: Path, isolated: Path
) -> None:
    """Every step passed: exit 1 ("a step failed") would be a lie; the path is the user's."""
    out = tmp_path / "no" / "such" / "dir" / "r.json"
    result = ctl("run", BRINGUP, "--json-out", out)
    assert_bringup_report(result.lines)
    *run_lines, error = result.err.splitlines()
    stderr_of_a_run("\n".join(run_lines), isolated)
    assert error == f"error: cannot write {out}: No such file or directory"
    assert result.status == 2


def test_ctrl_c_records_the_run_as_aborted(
    ctl: Ctl, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, isolated: Path
) -> None:
    real_read = clients.ModbusRegisters.read

    def read(self: clients.ModbusRegisters, table: str, address: int, timeout: float) -> int:
        if (table, address) == ("input", 110):  # step 11, the cold junction
            raise KeyboardInterrupt
        return real_read(self, table, address, timeout)

    monkeypatch.setattr(clients.ModbusRegisters, "read", read)
    result = ctl("run", BRINGUP, "--log", tmp_path / "events.jsonl")
    assert result.status == 130
    ended = rf"error: interrupted: run [0-9a-f]{{8}} recorded as aborted in {shown_store(isolated)}"
    assert re.fullmatch(rf"devices: simulated in-process\n{ended}\n", result.err)
    assert result.lines[0] == "Plan: station_bringup [ABORTED]"
    assert result.lines[-1].endswith("; aborted after 10 step(s)")
    row = ctl("runs").lines[1]
    assert row.split()[2:4] == ["aborted", "10/11"]
    last = json.loads((tmp_path / "events.jsonl").read_text().splitlines()[-1])
    assert (last["type"], last["aborted"]) == ("RunFinished", True)
