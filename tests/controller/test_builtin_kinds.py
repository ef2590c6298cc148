"""The built-in SCPI and TempCo kinds through the sequencer, against scripted instruments."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mfg_ctl.cli.main import main
from mfg_ctl.cli.tempco import tempco_plan
from mfg_ctl.clients import ScpiCommands
from mfg_ctl.plan import parse_plan
from mfg_ctl.run.events import Event, StepFinished
from mfg_ctl.run.sequencer import Sequencer
from mfg_ctl.steps import tempco as tempco_kind
from mfg_ctl.store import RunStore, StoreError
from mfg_ctl.tempco import StabilityTimeoutError, TempcoSettings
from simulators import plugins
from simulators.client import Client
from simulators.launcher import Simulator

SCPI_PLAN = """
name: scpi
devices:
  supply: {scpi: power_supply}
  meter: {scpi: multimeter}
steps:
  - {name: volts, device: supply, write: "VOLT 5"}
  - {name: vout, device: meter, query: "MEAS:VOLT:DC?", expected: 3.3, tolerance: 0.05}
  - {name: vout_range, device: meter, query: "MEAS:VOLT:DC?", range: [3.4, 3.5]}
"""


class Instrument:
    """A SCPI client that answers every query with ``reading`` and records what it was sent."""

    def __init__(self, reading: float = 3.31) -> None:
        self.reading = reading
        self.sent: list[str] = []

    def query(self, command: str, timeout: float) -> float:
        self.sent.append(command)
        return self.reading

    def write(self, command: str, timeout: float) -> None:
        self.sent.append(command)

    def driver(self, kind: type[Any], timeout: float) -> str:
        return f"{kind.__name__} {timeout:g} s"

    def close(self) -> None:
        self.sent.append("close")


def steps_of(events: list[Event]) -> list[StepFinished]:
    return [event for event in events if isinstance(event, StepFinished)]


def test_scpi_steps_send_query_and_judge_with_their_limits() -> None:
    plan = parse_plan(SCPI_PLAN, "plans/scpi.yaml")
    clients = {"supply": Instrument(), "meter": Instrument()}
    events: list[Event] = []
    Sequencer(plan, clients, (), [events.append], "scpi").run()
    volts, vout, out_of_range = steps_of(events)
    assert (volts.verdict, volts.detail, volts.target, volts.measured) == (
        "pass", "sent VOLT 5", "VOLT 5", None,
    )
    assert (vout.verdict, vout.measured, vout.expected) == ("pass", 3.31, 3.3)
    assert [vout.low, vout.high] == pytest.approx([3.25, 3.35])
    assert (vout.action, vout.target) == ("query", "MEAS:VOLT:DC?")
    assert (out_of_range.verdict, out_of_range.expected, out_of_range.low) == ("fail", None, 3.4)
    assert out_of_range.detail == "measured 3.31, expected within [3.4, 3.5]"
    assert clients["supply"].sent == ["VOLT 5"]


def test_a_chamber_that_never_settles_is_an_error_without_retries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    given: list[tuple[Any, ...]] = []

    def never_stable(*instruments: Any, **options: Any) -> None:
        given.append(instruments)
        raise StabilityTimeoutError("chamber not stable at 85 C within 3600 s", 85.0)

    monkeypatch.setattr(tempco_kind, "run_sweep", never_stable)
    plan = tempco_plan(TempcoSettings())
    clients = {name: Instrument() for name in ("chamber", "psu", "dmm")}
    events: list[Event] = []
    outcome = Sequencer(plan, clients, (), [events.append], "scpi").run()
    (sweep,) = steps_of(events)
    assert (sweep.verdict, sweep.attempts) == ("error", 1)
    assert sweep.detail == "instrument error: chamber not stable at 85 C within 3600 s"
    drivers = ("ScpiChamberDriver 2 s", "ScpiPowerSupplyDriver 2 s", "ScpiMultimeterDriver 2 s")
    assert given == [(*drivers, TempcoSettings())]
    assert (outcome.finished.verdict, outcome.unreachable) == ("error", False)


def test_tempco_stops_with_exit_four_when_the_store_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    def refuse(self: RunStore, event: StepFinished) -> None:
        raise StoreError("disk full")

    monkeypatch.setattr(RunStore, "_step_finished", refuse)
    status = main(["tempco", "--readings", "1", "--temperatures", "0,50", "--db",
                   str(tmp_path / "runs.db")])
    err = capsys.readouterr().err.splitlines()
    assert status == 4
    assert err[0] == "devices: simulated in-process"
    assert err[1].startswith("error: the run store failed, so run ")
    assert err[1].endswith(" was stopped: disk full")


def test_scpi_errors_on_the_wire_are_refusals_or_retried() -> None:
    plan = parse_plan(
        SCPI_PLAN.split("steps:", maxsplit=1)[0]
        + "steps:\n"
        + '  - {name: bogus, device: supply, write: "BOGUS:CMD 1"}\n'
        + '  - {name: first, device: meter, query: "MEAS:VOLT:DC?", range: [0, 10]}\n'
        + '  - {name: second, device: meter, query: "MEAS:VOLT:DC?", range: [0, 10]}\n',
        "plans/scpi.yaml",
    )
    with Simulator("dvt_bench", plugins.load("dvt_bench"), ephemeral=True) as bench:
        meter_at = bench.addresses[2]
        with Client(meter_at.host, meter_at.port) as injector:
            assert injector.custom("fault", "garbage", 2) == "ok"  # every second reply
        clients = {
            "supply": ScpiCommands(str(bench.addresses[1])),
            "meter": ScpiCommands(str(meter_at)),
        }
        events: list[Event] = []
        try:
            Sequencer(plan, clients, (), [events.append], "scpi").run()
        finally:
            for client in clients.values():
                client.close()
    bogus, first, second = steps_of(events)
    assert (bogus.verdict, bogus.attempts) == ("error", 1)
    assert bogus.detail.startswith("refused: ")
    assert (first.verdict, first.attempts) == ("pass", 1), first.detail
    assert (second.verdict, second.attempts) == ("pass", 2), second.detail  # over a new link
