"""``mfg-ctl`` end to end: the station report, faults on served devices, the run store, bad input.

Everything goes through ``main([...])`` as a user's shell would, except where a
real process matters (a subprocess ``run`` and ``serve``). Devices a test drives
are served here on ephemeral ports and described by a station file in
``tmp_path``; the run store and the runtime directory are the test's own.
"""

from __future__ import annotations

import gc
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.controller import clients
from simulators.controller.cli import main
from simulators.controller.connect import open_devices
from simulators.controller.events import RunFinished, RunStarted
from simulators.controller.observers import ConsolePrinter
from simulators.controller.plan import load_plan
from simulators.controller.sequencer import Sequencer
from simulators.controller.store import RunStore
from simulators.launcher import Simulator
from simulators.modbus_client import ModbusClient

ROOT = Path(__file__).resolve().parents[2]
BRINGUP = "plans/station_bringup.yaml"
WAIT = 10.0  # seconds: the bound on every wait for a process or a run

#: shared/station.md, "The 11-step bring-up" (the summary's duration varies).
REPORT = """\
Plan: station_bringup [PASS]
 1 ok set_supply_voltage: wrote 1200 to voltage_setpoint
 2 ok set_supply_current_limit: wrote 500 to current_limit
 3 ok enable_supply_output: wrote 1 to output_enable
 4 ok check_supply_voltage_readback: measured 1200, expected 1200 +/- 25 (delta 0)
 5 ok check_supply_current_readback: measured 480, expected within [400, 520]
 6 ok command_actuator_position: wrote 500 to target_position
 7 ok check_actuator_position: measured 500, expected 500 +/- 10 (delta 0)
 8 ok check_actuator_status: measured 1, expected 1 +/- 0 (delta 0)
 9 ok check_dmm_dc_voltage: measured 4980, expected 5000 +/- 50 (delta 20)
10 ok check_thermocouple_channel_0: measured 2300, expected within [2200, 2400]
11 ok check_thermocouple_cold_junction: measured 2500, expected within [2300, 2700]
11/11 passed in 0.010s
""".splitlines()
SUMMARY = re.compile(r"^11/11 passed in \d+\.\d{3}s$")
DMM_FAIL = " 9 FAIL check_dmm_dc_voltage: measured 4000, expected 5000 +/- 50 (delta 1000)"
FIRST_FAILURE = "; first failure: 9 check_dmm_dc_voltage"
TIMING = re.compile(r"in \d+\.\d{3}s")


@dataclass(frozen=True)
class Result:
    status: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


Ctl = Callable[..., Result]


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private run store and runtime directory; relative plan paths start at the project."""
    db = tmp_path / "runs.db"
    monkeypatch.setenv("MFG_CTL_DB", str(db))
    monkeypatch.setenv("DISCOS_SIMULATORS_RUNTIME_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    return db


@pytest.fixture
def ctl(capsys: pytest.CaptureFixture[str]) -> Ctl:
    """``mfg-ctl ARGS`` in this process: exit status, stdout, stderr."""

    def run(*args: object) -> Result:
        status = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run


def assert_bringup_report(lines: list[str]) -> None:
    assert lines[:-1] == REPORT[:-1]
    assert SUMMARY.match(lines[-1]), lines[-1]


def run_id_of(path: Path) -> str:
    return str(json.loads(path.read_text())["run_id"])


def closed_port() -> int:
    """A loopback port nothing listens on (just released by the OS)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- devices served by the test ----------------------------------------------------------


@dataclass(frozen=True)
class Served:
    """A station served in this process and the station file describing it."""

    path: Path
    ports: dict[str, int]
    framing: str

    def client(self, device: str) -> Client:
        return Client("127.0.0.1", self.ports[device], timeout=WAIT)


def write_station(path: Path, ports: dict[str, int], framing: str = "custom") -> Path:
    lines = [f"framing: {framing}", "devices:"]
    lines += [f"  {name}: {{host: 127.0.0.1, port: {port}}}" for name, port in ports.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def serve_station(tmp_path: Path) -> Iterator[Callable[[str], Served]]:
    """Serve the reference station on ephemeral ports; every one started is stopped."""
    started: list[Simulator] = []

    def serve(framing: str = "custom") -> Served:
        module = plugins.load("station")
        simulator = Simulator("station", module, system_type=framing, ephemeral=True)
        simulator.start()
        started.append(simulator)
        names = [entry.kwargs["profile"] for entry in plugins.entries(module)]
        ports = {name: a.port for name, a in zip(names, simulator.addresses, strict=True)}
        path = write_station(tmp_path / f"station-{len(started)}.yaml", ports, framing)
        return Served(path, ports, framing)

    yield serve
    for simulator in started:
        simulator.stop()


@pytest.fixture
def station(serve_station: Callable[[str], Served]) -> Served:
    return serve_station("custom")


def fast_plan(tmp_path: Path, timeout: float = 0.2, retries: int = 1) -> Path:
    """The bring-up with a short timeout and explicit retries on the DMM step."""
    extra = f"    timeout: {timeout}\n    retries: {retries}\n"
    text = (
        (ROOT / BRINGUP).read_text().replace("    tolerance: 50\n", "    tolerance: 50\n" + extra)
    )
    path = tmp_path / "fast_bringup.yaml"
    path.write_text(text)
    return path


# -- the bring-up report -----------------------------------------------------------------


def test_the_bringup_prints_the_station_report(ctl: Ctl) -> None:
    result = ctl("run", BRINGUP)
    assert result.status == 0
    assert_bringup_report(result.lines)
    assert result.err == ""


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
    assert report["plan"] == {"name": "station_bringup", "path": BRINGUP}
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
            "import sys; from simulators.controller.cli import main; sys.exit(main(sys.argv[1:]))",
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
    assert done.stderr == ""


def test_a_terminal_sees_the_same_lines(tmp_path: Path) -> None:
    """The live (terminal) printer ends with the same report as the piped one."""
    plan = load_plan(BRINGUP)
    stream = io.StringIO()
    with open_devices(plan, None, None) as connected:
        printer = ConsolePrinter(stream, live=True)
        Sequencer(plan, connected.clients, connected.devices, [printer], "custom").run()
    assert_bringup_report(stream.getvalue().splitlines())


# -- a failing reading on served devices, then --only-failed -----------------------------


def test_a_wrong_reading_fails_step_9_and_only_failed_reruns_it(
    ctl: Ctl, station: Served, tmp_path: Path, isolated: Path
) -> None:
    fault = ctl("simulate-fault", "dmm", "set", "dc_voltage", "4000", "--station", station.path)
    assert (fault.status, fault.out, fault.err) == (0, "ok\n", "")

    first = ctl("run", BRINGUP, "--station", station.path, "--json-out", tmp_path / "1.json")
    assert first.status == 1
    assert first.err == ""
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


def test_only_failed_when_the_failed_steps_left_the_plan(ctl: Ctl, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    text = (ROOT / BRINGUP).read_text().replace("expected: 5000", "expected: 4000")
    plan.write_text(text)
    assert ctl("run", plan).status == 1
    plan.write_text(text.replace("check_dmm_dc_voltage", "check_dmm_voltage"))
    result = ctl("run", plan, "--only-failed")
    assert result.status == 2
    gone = rf"error: the steps that failed in run [0-9a-f]{{8}} are no longer in {plan}\n"
    assert re.fullmatch(gone, result.err)


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
    assert again.err == ""

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


def record(db: Path, run_id: str, plan_text: str = "name: x\n") -> None:
    """Put a finished run with this id straight into the store."""
    with RunStore(f"sqlite:///{db}") as store:
        now = datetime.now(UTC)
        store(RunStarted(run_id, "x", "plans/x.yaml", plan_text, (), "custom", now, 0))
        store(RunFinished(run_id, "pass", 0, 0, 0, 0.0, now))


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


# -- devices -----------------------------------------------------------------------------


def test_devices_lists_the_four_profiles_and_their_registers(ctl: Ctl) -> None:
    result = ctl("devices")
    assert result.status == 0
    headers = [line.split(":")[0] for line in result.lines if not line.startswith(" ")]
    assert headers == ["actuator", "dmm", "power_supply", "thermocouple"]
    registers = {line.split()[2] for line in result.lines if line.startswith(" ")}
    assert registers == {
        "target_position",
        "position",
        "status",
        "dc_voltage",
        "dc_current",
        "resistance",
        "voltage_setpoint",
        "current_limit",
        "output_enable",
        "voltage_readback",
        "current_readback",
        "channel_0",
        "channel_1",
        "channel_2",
        "channel_3",
        "cold_junction",
    }
    assert re.search(r"^  holding +0  voltage_setpoint +rw  0-3000 +default 0", result.out, re.M)
    assert re.search(r"^  input +100  dc_voltage +ro .* default 4980", result.out, re.M)

    one = ctl("devices", "dmm")
    assert one.lines[0].startswith("dmm: ")
    assert len(one.lines) == 4

    nope = ctl("devices", "nope")
    assert nope.status == 2
    assert nope.err.startswith("error: no built-in profile 'nope'")
    assert nope.err.count("\n") == 1


# -- simulate-fault ----------------------------------------------------------------------


def test_simulate_fault_kinds_reach_a_running_device(ctl: Ctl, station: Served) -> None:
    def fault(*args: object) -> Result:
        return ctl("simulate-fault", "dmm", *args, "--station", station.path)

    assert fault("faults").out == "none\n"
    assert fault("drift", "dc_voltage", "-5").out == "ok\n"  # a negative step is an argument
    with ModbusClient("127.0.0.1", station.ports["dmm"], timeout=WAIT) as dmm:
        assert [dmm.read_input(100)[0] for _ in range(2)] == [4975, 4970]
    assert fault("stuck", "resistance").out == "ok\n"
    assert fault("delay", "10").out == "ok\n"
    assert fault("crc", "3").out == "ok\n"
    assert fault("drop", "4").out == "ok\n"
    assert fault("faults").lines == [
        "drift dc_voltage -5 per read",
        "stuck resistance",
        "delay 10 ms every response",
        "crc corrupt every 3rd response",
        "drop connection every 4th response",
    ]
    assert fault("clear_faults").out == "ok\n"
    assert fault("faults").out == "none\n"

    assert fault("set", "dc_current", "77").out == "ok\n"
    assert "input 101 dc_current = 77 (ro, 0-65535)" in fault("registers").lines
    assert fault("reset").out == "ok\n"
    registers = fault("registers")
    assert registers.status == 0
    assert registers.lines == [
        "input 100 dc_voltage = 4980 (ro, 0-65535)",
        "input 101 dc_current = 120 (ro, 0-65535)",
        "input 102 resistance = 1000 (ro, 0-65535)",
    ]


def test_simulate_fault_errors(ctl: Ctl, station: Served, tmp_path: Path) -> None:
    malformed = ctl("simulate-fault", "dmm", "drift", "nope", "1", "--station", station.path)
    assert malformed.status == 1
    assert malformed.out.startswith("error: ")
    assert malformed.out.count("\n") == 1
    assert "nope" in malformed.out
    assert ctl("simulate-fault", "dmm", "faults", "--station", station.path).out == "none\n"

    bad_value = ctl("simulate-fault", "dmm", "set", "dc_voltage", "lots", "--station", station.path)
    assert bad_value.status == 1
    assert bad_value.out.startswith("error: ")

    unknown = ctl("simulate-fault", "dmm", "explode", "--station", station.path)
    assert unknown.status == 2
    assert unknown.err.startswith("error: unknown fault 'explode'; choose one of: drift, ")

    no_device = ctl("simulate-fault", "scope", "reset", "--station", station.path)
    assert no_device.status == 2
    assert no_device.err.startswith(f"error: {station.path}: no device 'scope'")

    port = closed_port()
    nobody = write_station(tmp_path / "nobody.yaml", {"dmm": port})
    silent = ctl("simulate-fault", "dmm", "reset", "--station", nobody)
    assert silent.status == 3
    assert silent.err == f"error: cannot reach dmm at 127.0.0.1:{port}: Connection refused\n"

    broken = tmp_path / "broken.yaml"
    broken.write_text("devices: [\n")
    assert ctl("simulate-fault", "dmm", "reset", "--station", broken).status == 2


# -- bad input ---------------------------------------------------------------------------


def no_runs(ctl: Ctl) -> bool:
    return ctl("runs").out == "no recorded runs\n"


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
    ctl: Ctl, tmp_path: Path
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
    assert result.err == f"error: a device could not be reached; run {run_id[:8]} recorded\n"
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


def test_an_unwritable_export_is_a_usage_error_after_the_report(ctl: Ctl, tmp_path: Path) -> None:
    """Every step passed: exit 1 ("a step failed") would be a lie; the path is the user's."""
    out = tmp_path / "no" / "such" / "dir" / "r.json"
    result = ctl("run", BRINGUP, "--json-out", out)
    assert_bringup_report(result.lines)
    assert result.err == f"error: cannot write {out}: No such file or directory\n"
    assert result.status == 2


def test_ctrl_c_records_the_run_as_aborted(
    ctl: Ctl, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    real_read = clients.ModbusRegisters.read

    def read(self: clients.ModbusRegisters, table: str, address: int, timeout: float) -> int:
        if (table, address) == ("input", 110):  # step 11, the cold junction
            raise KeyboardInterrupt
        return real_read(self, table, address, timeout)

    monkeypatch.setattr(clients.ModbusRegisters, "read", read)
    result = ctl("run", BRINGUP, "--log", tmp_path / "events.jsonl")
    assert result.status == 130
    assert re.fullmatch(r"error: interrupted: run [0-9a-f]{8} recorded as aborted\n", result.err)
    assert result.lines[0] == "Plan: station_bringup [ABORTED]"
    assert result.lines[-1].endswith("; aborted after 10 step(s)")
    row = ctl("runs").lines[1]
    assert row.split()[2:4] == ["aborted", "10/11"]
    last = json.loads((tmp_path / "events.jsonl").read_text().splitlines()[-1])
    assert (last["type"], last["aborted"]) == ("RunFinished", True)


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


# -- serve -------------------------------------------------------------------------------


def free_offset() -> int:
    """A port offset whose four station ports are free now (never the default ports)."""
    for _ in range(50):
        offset = random.randrange(20_000, 50_000)
        sockets = []
        try:
            for port in range(5020 + offset, 5024 + offset):
                sock = socket.socket()
                sockets.append(sock)
                sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
        return offset
    raise AssertionError("no free port offset found")


def test_serve_answers_modbus_until_sigint(tmp_path: Path) -> None:
    offset = free_offset()
    env = {
        **os.environ,
        "MFG_CTL_DB": str(tmp_path / "runs.db"),
        "DISCOS_SIMULATORS_RUNTIME_DIR": str(tmp_path),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from simulators.controller.cli import main; sys.exit(main(sys.argv[1:]))",
            "serve",
            "--port-offset",
            str(offset),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    watchdog = threading.Timer(WAIT, process.kill)  # bounds the blocking reads below
    watchdog.start()
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(5)]
        assert lines[0] == "serving the station (custom); Ctrl-C stops\n"
        assert [line.split() for line in lines[1:]] == [
            [f"127.0.0.1:{5020 + offset}", "power_supply"],
            [f"127.0.0.1:{5021 + offset}", "dmm"],
            [f"127.0.0.1:{5022 + offset}", "actuator"],
            [f"127.0.0.1:{5023 + offset}", "thermocouple"],
        ]
        with ModbusClient("127.0.0.1", 5021 + offset, timeout=WAIT) as dmm:
            assert dmm.read_input(100, 3) == [4980, 120, 1000]
        with ModbusClient("127.0.0.1", 5020 + offset, timeout=WAIT) as psu:
            psu.write_register(0, 1200)
            assert psu.read_holding(0) == [1200]
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=WAIT)
    finally:
        watchdog.cancel()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=WAIT)
    assert process.returncode == 0, err
    assert out == "stopped\n"
    assert err == ""


def test_serve_on_a_busy_port_says_so(ctl: Ctl) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        offset = busy.getsockname()[1] - 5020  # the power supply's port is taken
        result = ctl("serve", "--port-offset", offset)
    assert result.status == 1
    assert result.err.startswith("error: ")
    assert result.err.count("\n") == 1


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
