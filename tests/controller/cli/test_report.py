"""``mfg-ctl run``: the bring-up prints the reference report; JSON, Markdown and event log."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from mfg_ctl.connect import open_devices
from mfg_ctl.plan import load_plan
from mfg_ctl.run.observers import ConsolePrinter
from mfg_ctl.run.sequencer import Sequencer
from tests.controller.cli.support import (
    BRINGUP,
    REPORT,
    ROOT,
    WAIT,
    Ctl,
    assert_bringup_report,
    stderr_of_a_run,
)

# -- the bring-up report -----------------------------------------------------------------


def test_the_bringup_prints_the_station_report(ctl: Ctl, isolated: Path) -> None:
    result = ctl("run", BRINGUP)
    assert result.status == 0
    assert_bringup_report(result.lines)
    stderr_of_a_run(result.err, isolated)


def test_modbus_tcp_framing_gives_the_same_verdicts(ctl: Ctl, tmp_path: Path) -> None:
    result = ctl("run", BRINGUP, "--framing", "modbus-tcp", "--json-out", tmp_path / "r.json")
    assert result.status == 0
    assert_bringup_report(result.lines)
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["framing"] == "modbus-tcp"
    assert {device["framing"] for device in report["devices"]} == {"modbus-tcp"}


def test_json_markdown_and_event_log_outputs(ctl: Ctl, tmp_path: Path) -> None:
    json_out, md_out, log = tmp_path / "r.json", tmp_path / "r.md", tmp_path / "events.jsonl"
    result = ctl("run", BRINGUP, "--json-out", json_out, "--md-out", md_out, "--log", log)
    assert result.status == 0

    report = json.loads(json_out.read_text())
    assert report["plan"] == {"name": "station_bringup", "path": BRINGUP, "version": ""}
    assert report["unit"]["sn"] == ""
    assert report["verdict"] == "pass"
    assert report["framing"] == "custom"
    assert set(report["timing"]) == {"started_at", "finished_at", "duration_s"}
    assert report["timing"]["duration_s"] > 0
    assert [d["name"] for d in report["devices"]] == [
        "power_supply",
        "actuator",
        "dmm",
        "thermocouple",
    ]
    assert all(device["simulated"] for device in report["devices"])
    steps = report["steps"]
    assert len(steps) == 11
    assert [s["number"] for s in steps] == list(range(1, 12))
    assert {s["verdict"] for s in steps} == {"pass"}
    assert steps[8]["name"] == "check_dmm_dc_voltage"
    assert steps[8]["detail"] == "measured 4980, expected 5000 +/- 50 (delta 20)"
    assert (steps[8]["measured"], steps[8]["expected"]) == (4980, 5000)
    assert (steps[8]["low"], steps[8]["high"]) == (4950, 5050)

    markdown = md_out.read_text()
    assert markdown.startswith("# Plan: station_bringup [PASS]\n")
    assert f"- Run: `{report['run_id']}`" in markdown
    assert "| 9 | check_dmm_dc_voltage | dmm | ok | " in markdown
    assert "| dmm | 127.0.0.1:" in markdown

    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(records) == 1 + 2 * 11 + 1
    assert [r["type"] for r in records] == (
        ["RunStarted"] + ["StepStarted", "StepFinished"] * 11 + ["RunFinished"]
    )
    assert {r["run_id"] for r in records} == {report["run_id"]}
    assert records[0]["plan_text"] == (ROOT / BRINGUP).read_text()
    details = [r["detail"] for r in records if r["type"] == "StepFinished"]
    assert details == [line.split(": ", 1)[1] for line in REPORT[1:-1]]
    assert records[-1]["verdict"] == "pass"


def test_a_real_process_prints_the_report_and_exits_0(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "MFG_CTL_DB": str(tmp_path / "runs.db"),
        "DISCOS_SIMULATORS_RUNTIME_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from mfg_ctl.cli.main import main; sys.exit(main(sys.argv[1:]))",
            "run",
            BRINGUP,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=WAIT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert_bringup_report(done.stdout.splitlines())
    stderr_of_a_run(done.stderr, tmp_path / "runs.db")


def test_a_terminal_sees_the_same_lines(tmp_path: Path) -> None:
    """The live (terminal) printer ends with the same report as the piped one."""
    plan = load_plan(BRINGUP)
    stream = io.StringIO()
    with open_devices(plan, None, None) as connected:
        printer = ConsolePrinter(stream, live=True)
        Sequencer(plan, connected.clients, connected.devices, [printer], "custom").run()
    assert_bringup_report(stream.getvalue().splitlines())
