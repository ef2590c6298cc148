"""``mfg-ctl run --only-failed``: a failing reading on served devices, then re-runs."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

from mfg_ctl.store import RunStore
from tests.controller.cli.support import (
    BRINGUP,
    DMM_FAIL,
    FIRST_FAILURE,
    REPORT,
    ROOT,
    Ctl,
    Served,
    assert_bringup_report,
    closed_port,
    run_id_of,
    stderr_of_a_run,
    write_station,
)

# -- a failing reading on served devices, then --only-failed -----------------------------


def test_a_wrong_reading_fails_step_9_and_only_failed_reruns_it(
    ctl: Ctl, station: Served, tmp_path: Path, isolated: Path
) -> None:
    fault = ctl("simulate-fault", "dmm", "set", "dc_voltage", "4000", "--station", station.path)
    assert (fault.status, fault.out, fault.err) == (0, "ok\n", "")

    first = ctl("run", BRINGUP, "--station", station.path, "--json-out", tmp_path / "1.json")
    assert first.status == 1
    first_id = stderr_of_a_run(first.err, isolated, devices=str(station.path))
    expected = ["Plan: station_bringup [FAIL]", *REPORT[1:9], DMM_FAIL, *REPORT[10:12]]
    assert first.lines[:-1] == expected
    assert re.fullmatch(r"10/11 passed in \d+\.\d{3}s" + re.escape(FIRST_FAILURE), first.lines[-1])

    again = ctl(
        "run",
        BRINGUP,
        "--station",
        station.path,
        "--only-failed",
        "--json-out",
        tmp_path / "2.json",
    )
    assert again.status == 1
    rerun_line, rest = again.err.split("\n", 1)
    assert rerun_line == f"re-running the 1 step(s) that did not pass in run {first_id}"
    stderr_of_a_run(rest, isolated, devices=str(station.path))
    assert again.lines[:-1] == ["Plan: station_bringup [FAIL]", DMM_FAIL.lstrip()]
    assert re.fullmatch(r"0/1 passed in \d+\.\d{3}s" + re.escape(FIRST_FAILURE), again.lines[-1])

    assert ctl("simulate-fault", "dmm", "reset", "--station", station.path).out == "ok\n"
    fixed = ctl(
        "run",
        BRINGUP,
        "--station",
        station.path,
        "--only-failed",
        "--json-out",
        tmp_path / "3.json",
    )
    assert fixed.status == 0
    assert fixed.lines[:-1] == [
        "Plan: station_bringup [PASS]",
        "9 ok check_dmm_dc_voltage: measured 4980, expected 5000 +/- 50 (delta 20)",
    ]
    assert re.fullmatch(r"1/1 passed in \d+\.\d{3}s", fixed.lines[-1])

    ids = [run_id_of(tmp_path / f"{n}.json") for n in (1, 2, 3)]
    listing = ctl("runs")
    assert listing.status == 0
    rows = listing.lines[1:]
    assert [row[:8] for row in rows] == [ids[2][:8], ids[1][:8], ids[0][:8]]  # newest first
    assert rows[0].split()[2:4] == ["passed", "1/1"]
    assert rows[0].endswith(ids[1][:8])
    assert rows[1].split()[2:4] == ["failed", "0/1"]
    assert rows[1].endswith(ids[0][:8])
    assert rows[2].split()[2:4] == ["failed", "10/11"]
    with RunStore(f"sqlite:///{isolated}") as store:
        assert store.get(ids[0]).parent_run_id is None
        assert store.get(ids[1]).parent_run_id == ids[0]
        assert store.get(ids[2]).parent_run_id == ids[1]
        assert store.get(ids[1]).selected_steps == (9,)
        assert [step.number for step in store.get(ids[2]).steps] == [9]


def test_a_reading_set_with_a_client_fails_on_modbus_tcp(
    ctl: Ctl, serve_station: Callable[[str], Served]
) -> None:
    served = serve_station("modbus-tcp")
    with served.client("dmm") as dmm:
        assert dmm.custom("set", "dc_voltage", 4000) == "ok"
    result = ctl("run", BRINGUP, "--station", served.path)
    assert result.status == 1
    assert DMM_FAIL in result.lines
    assert result.lines[-1].endswith(FIRST_FAILURE)


def test_only_failed_reruns_the_failed_read_with_the_writes_before_it(
    ctl: Ctl, station: Served, tmp_path: Path
) -> None:
    with station.client("power_supply") as psu:
        assert psu.custom("set", "current_readback", 700) == "ok"
    first = ctl("run", BRINGUP, "--station", station.path)
    assert first.status == 1
    assert " 5 FAIL check_supply_current_readback: measured 700, expected within [400, 520]" in (
        first.lines
    )
    again = ctl("run", BRINGUP, "--station", station.path, "--only-failed")
    assert again.status == 1
    assert [line.split()[0] for line in again.lines[1:-1]] == ["1", "2", "3", "5"]
    assert again.lines[-1].startswith("3/4 passed in ")


def test_only_failed_after_an_unreachable_device_reruns_the_steps_that_never_ran(
    ctl: Ctl, station: Served, tmp_path: Path
) -> None:
    """Steps an aborted run never reached did not pass either: a re-run must include them.

    Today the re-run repeats only the step that hit the closed port and reports
    ``1/1 passed`` (exit 0) although steps 2-11 were never checked.
    """
    path = write_station(tmp_path / "bench.yaml", {name: closed_port() for name in station.ports})
    aborted = ctl("run", BRINGUP, "--station", path)
    assert aborted.status == 3

    shutil.copy(station.path, path)  # the bench is back
    again = ctl("run", BRINGUP, "--station", path, "--only-failed")
    assert again.status == 0
    assert_bringup_report(again.lines)


def test_only_failed_when_everything_passed_has_nothing_to_do(ctl: Ctl) -> None:
    assert ctl("run", BRINGUP).status == 0
    again = ctl("run", BRINGUP, "--only-failed")
    assert again.status == 0
    assert re.fullmatch(r"nothing to re-run: every step of run [0-9a-f]{8} passed\n", again.out)
    assert again.err == ""
    assert len(ctl("runs").lines) == 2  # the header and the one run


def test_only_failed_without_a_previous_run_is_a_usage_error(ctl: Ctl) -> None:
    result = ctl("run", BRINGUP, "--only-failed")
    assert result.status == 2
    assert result.out == ""
    assert result.err == (
        "error: no recorded run of plan 'station_bringup': run it once without --only-failed\n"
    )


def test_only_failed_after_the_plan_text_changed_is_refused(ctl: Ctl, tmp_path: Path) -> None:
    """Results of one plan text are never re-run against another (renamed steps included)."""
    plan = tmp_path / "plan.yaml"
    text = (ROOT / BRINGUP).read_text().replace("expected: 5000", "expected: 4000")
    plan.write_text(text)
    first = ctl("run", plan, "--json-out", tmp_path / "r.json")
    assert first.status == 1
    plan.write_text(text.replace("check_dmm_dc_voltage", "check_dmm_voltage"))
    result = ctl("run", plan, "--only-failed")
    assert result.status == 2
    assert result.out == ""
    run_id = run_id_of(tmp_path / "r.json")[:8]
    assert result.err == (
        f"error: the last run of station_bringup (run {run_id}) used a different plan text and "
        "no recorded run used this one: run it once without --only-failed\n"
    )
