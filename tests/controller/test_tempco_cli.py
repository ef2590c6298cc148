"""``mfg-ctl tempco``: the characterisation end to end, recorded like any run."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.characterise import characterise
from mfg_ctl.cli import main
from mfg_ctl.drivers import ScpiChamber, ScpiDmm, ScpiPowerSupply, open_transport
from mfg_ctl.events import DeviceInfo, Event, RunFinished, StepFinished
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
    assert (stored.plan_name, stored.status, stored.step_count) == ("tempco", "passed", 6)
    run = store.get(stored.run_id)
    assert "temperatures_c" in run.plan_text
    assert {device.name for device in run.devices} == {"chamber", "psu", "dmm"}
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
        (("--temperatures", "25"), "temperatures_c needs >= 2 distinct"),
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
        chamber_at, psu_at, dmm_at = (str(address) for address in bench.addresses)
        dmm_address = bench.addresses[2]
        with Client(dmm_address.host, dmm_address.port) as injector:
            assert injector.custom("fault", "garbage", 1) == "ok"
        events: list[Event] = []
        settings = TempcoSettings(temperatures_c=(20.0, 30.0), clock_speed=2000.0,
                                  readings_per_point=1)
        with (
            ScpiChamber(open_transport(chamber_at)) as chamber,
            ScpiPowerSupply(open_transport(psu_at)) as psu,
            ScpiDmm(open_transport(dmm_at)) as dmm,
        ):
            result = characterise(chamber, psu, dmm, settings, observers=[events.append],
                                  devices=[DeviceInfo("dmm", "127.0.0.1", 1, "scpi")])
    assert result is None
    steps = [e for e in events if isinstance(e, StepFinished)]
    assert steps[-1].verdict == "error"
    assert steps[-1].detail.startswith("instrument error: ")
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.aborted
    assert finished.verdict == "error"
