"""Where the devices were and where the run went: the context lines on stderr and in exports.

stdout stays exactly the station report; stderr opens with ``devices: ...``,
notes a simulator that this run does not use, and ends with ``run ID recorded
in STORE``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from mfg_ctl.store.location import shown_location
from tests.controller.cli.support import (
    BRINGUP,
    Ctl,
    Served,
    assert_bringup_report,
    discos_simulator,
    free_offset,
    stderr_of_a_run,
)


def test_exports_and_report_say_where_the_devices_were(
    ctl: Ctl, station: Served, tmp_path: Path, isolated: Path
) -> None:
    json_out, md_out = tmp_path / "r.json", tmp_path / "r.md"
    ran = ctl("run", BRINGUP, "--station", station.path, "--json-out", json_out, "--md-out", md_out)
    assert ran.status == 0
    run_id = stderr_of_a_run(ran.err, isolated, devices=str(station.path))
    assert json.loads(json_out.read_text())["devices_from"] == str(station.path)
    assert f"- Devices: {station.path}\n" in md_out.read_text()

    again = ctl("report", run_id)
    assert again.out == ran.out
    assert again.err == f"devices: {station.path}\n"

    simulated = ctl("run", BRINGUP, "--json-out", json_out)
    assert json.loads(json_out.read_text())["devices_from"] == "simulated in-process"
    stderr_of_a_run(simulated.err, isolated)


def test_the_closing_line_names_the_default_store_under_home(
    ctl: Ctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("MFG_CTL_DB")
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    result = ctl("run", BRINGUP)
    assert result.status == 0
    assert result.err.splitlines()[-1].endswith(" recorded in ~/.local/share/mfg-ctl/runs.db")
    assert (tmp_path / ".local" / "share" / "mfg-ctl" / "runs.db").is_file()


def test_a_store_url_is_shown_without_its_password() -> None:
    url = make_url("postgresql+psycopg://station:s3cret@db.example/runs")
    assert shown_location(url) == "postgresql+psycopg://station@db.example/runs"


def test_a_running_simulator_that_the_run_ignores_is_named_with_the_fix(ctl: Ctl) -> None:
    """The trap: faults go to the started station while ``run`` simulates its own devices."""
    offset = free_offset()
    where = ("-s", "station", "--port-offset", str(offset))
    started = discos_simulator(*where, "start")
    assert started.returncode == 0, started.stderr
    try:
        trapped = ctl("run", BRINGUP)
        assert trapped.status == 0
        assert_bringup_report(trapped.lines)
        note = trapped.err.splitlines()[1]
        assert note.startswith(f"note: station (127.0.0.1:{5020 + offset}) is running here, ")
        assert "faults sent to that simulator will not reach this run" in note
        assert note.endswith(f"add --station stations/local.yaml --port-offset {offset} to use it")

        fixed = ctl("run", BRINGUP, "--station", "stations/local.yaml", "--port-offset", offset)
        assert fixed.status == 0
        assert "note:" not in fixed.err
    finally:
        stopped = discos_simulator(*where, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "note:" not in ctl("run", BRINGUP).err
