"""``mfg-ctl tempco``: the characterisation end to end, recorded like any run."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.cli.main import main
from mfg_ctl.cli.tempco import PointsAsSteps, tempco_plan
from mfg_ctl.clients import ScpiCommands
from mfg_ctl.plan import parse_plan
from mfg_ctl.report import RunReport, render_text
from mfg_ctl.run.events import DeviceInfo, Event, StepFinished, StepProgress
from mfg_ctl.run.sequencer import Sequencer
from mfg_ctl.steps.tempco import TempcoStep
from mfg_ctl.store import RunStore
from mfg_ctl.tempco import TempcoSettings
from simulators import plugins
from simulators.client import Client
from simulators.clock import SimulatedClock
from simulators.launcher import Simulator

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def mfg(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Run:
    database = tmp_path / "runs.db"

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main([*args, "--db", str(database)])
        out, err = capsys.readouterr()
        return status, out, err

    return run


def ppm(output: str) -> float:
    match = re.search(r"tempco (-?[0-9.]+) ppm/C", output)
    assert match, output
    return float(match.group(1))


def test_the_default_sweep_recovers_fifty_ppm_and_is_recorded(mfg: Run, tmp_path: Path) -> None:
    status, out, err = mfg("tempco", "--json-out", str(tmp_path / "t.json"))
    assert status == 0
    run_id = json.loads((tmp_path / "t.json").read_text())["run_id"]
    assert err == (
        f"devices: simulated in-process\nrun {run_id[:8]} recorded in {tmp_path / 'runs.db'}\n"
    )
    assert out.startswith("Plan: tempco [PASS]")
    assert abs(ppm(out) - 50.0) <= 1.0
    assert [line.split()[2] for line in out.splitlines()[1:6]] == [
        "point_-40C:", "point_0C:", "point_25C:", "point_85C:", "point_125C:",
    ]
    assert "6/6 passed" in out
    store = RunStore(f"sqlite:///{tmp_path / 'runs.db'}")
    stored = store.runs()[0]
    assert (stored.plan_name, stored.status, stored.step_count) == ("tempco", "passed", 1)
    run = store.get(stored.run_id)
    (planned,) = parse_plan(run.plan_text).steps  # a plan, as mfg-ctl run would store it
    assert isinstance(planned, TempcoStep)
    assert planned.settings() == TempcoSettings()
    assert {device.name for device in run.devices} == {"chamber", "psu", "dmm"}
    (sweep,) = run.steps  # recorded as mfg-ctl run records a tempco step
    assert (sweep.name, sweep.register, sweep.action, sweep.verdict) == (
        "tempco", "vout", "sweep", "pass",
    )
    assert sweep.measured == pytest.approx(ppm(out), abs=0.01)
    store.close()
    assert '"verdict": "pass"' in (tmp_path / "t.json").read_text()


def test_out_of_limits_fails_with_exit_one(mfg: Run) -> None:
    status, out, _ = mfg("tempco", "--expected", "40", "--tolerance", "2", "--readings", "1",
                         "--temperatures", "0,50,100")
    assert status == 1
    assert "4 FAIL tempco: tempco" in out
    assert "expected 40 +/- 2" in out
    assert "first failure: 4 tempco" in out


def test_pyvisa_backend_gives_the_same_result(mfg: Run) -> None:
    status, out, _ = mfg("tempco", "--backend", "visa", "--temperatures", "0,25,85")
    assert status == 0
    assert abs(ppm(out) - 50.0) <= 1.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--chamber", "127.0.0.1:1"), "give --chamber, --psu and --dmm together"),
        (("--temperatures", "0,hot"), "--temperatures takes numbers"),
        (("--temperatures", "25"), "--temperatures needs >= 2 distinct finite values, got (25.0,)"),
        (("--tolerance", "-1"), "--tolerance must be a finite number >= 0, got -1.0"),
    ],
)
def test_bad_options_are_one_line_and_exit_two(
    mfg: Run, args: tuple[str, ...], message: str
) -> None:
    status, _, err = mfg("tempco", *args)
    assert status == 2
    assert message in err
    assert err.count("\n") == 1


def test_instruments_that_cannot_be_reached_exit_three(mfg: Run) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{probe.getsockname()[1]}"
    status, _, err = mfg("tempco", "--chamber", closed, "--psu", closed, "--dmm", closed)
    assert status == 3
    assert err.splitlines() == [
        f"devices: --chamber {closed} --psu {closed} --dmm {closed}",
        f"error: {closed}: connection refused; is the instrument on and the address right?",
    ]


def test_an_instrument_failure_mid_sweep_is_an_error_step() -> None:
    clock = SimulatedClock(speed=2000.0)
    with Simulator("dvt_bench", plugins.load("dvt_bench"), ephemeral=True,
                   system_kwargs={"clock": clock}) as bench:
        dmm_address = bench.addresses[2]
        with Client(dmm_address.host, dmm_address.port) as injector:
            assert injector.custom("fault", "garbage", 1) == "ok"
        settings = TempcoSettings(temperatures_c=(20.0, 30.0), readings_per_point=1)
        clients = {
            name: ScpiCommands(str(address))
            for name, address in zip(("chamber", "psu", "dmm"), bench.addresses, strict=True)
        }
        events: list[Event] = []
        printed: list[Event] = []
        sequencer = Sequencer(
            tempco_plan(settings), clients, [DeviceInfo("dmm", "127.0.0.1", 1, "scpi")],
            [events.append, PointsAsSteps(printed.append, 2)], "scpi", clock_speed=2000.0,
        )
        outcome = sequencer.run()
        for client in clients.values():
            client.close()
    (step,) = [e for e in events if isinstance(e, StepFinished)]
    assert step.verdict == "error"
    assert step.detail.startswith("instrument error: ")
    assert step.detail.endswith("(after 1 attempt)")  # retried like any step: tempco's 0 retries
    assert not [e for e in events if isinstance(e, StepProgress)]  # no point settled
    assert outcome.finished.verdict == "error"
    assert not outcome.unreachable
    lines = render_text(RunReport.from_events(printed)).splitlines()
    assert lines[0] == "Plan: tempco [ABORTED]"  # the command's console, as before
    assert lines[1].startswith("1 ERROR instrument: instrument error: ")
