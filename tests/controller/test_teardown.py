"""``teardown:`` steps: loaded after the main steps, and run however the run ends.

The sequencer runs against the scripted in-memory devices of
``test_sequencer``; every way a run can end (pass, failure, unreachable device,
Ctrl-C, SIGTERM, an observer that fails) is followed by the teardown steps.
"""

from __future__ import annotations

from typing import Any

import pytest

from mfg_ctl.clients import UnreachableError
from mfg_ctl.plan import PlanError, parse_plan
from mfg_ctl.report import RunReport, render_text
from mfg_ctl.run.events import Event, RunFinished, RunStarted, StepFinished
from mfg_ctl.run.sequencer import ObserverError, Sequencer, Terminated
from tests.controller.sequencer_fakes import DEVICES, PLAN, FakeRegisters

TEARDOWN = """\
teardown:
  - name: output_off
    device: power_supply
    register: output_enable
    write: 0
  - name: voltage_to_zero
    device: power_supply
    register: voltage_setpoint
    write: 0
"""


def plan_with_teardown(text: str = PLAN + TEARDOWN) -> Any:
    return parse_plan(text, "plans/demo.yaml")


def clients(dmm_volts: int = 4980) -> dict[str, FakeRegisters]:
    return {
        "power_supply": FakeRegisters({("input", 100): 1200, ("input", 101): 480}),
        "dmm": FakeRegisters({("input", 100): dmm_volts}),
    }


def teardown_writes(supply: FakeRegisters) -> list[tuple[Any, ...]]:
    """The supply's writes of 0 to output_enable (2) and voltage_setpoint (0), in order."""
    return [call for call in supply.calls if call[0] == "write" and call[2] == 0]


def finished_steps(events: list[Event]) -> list[StepFinished]:
    return [event for event in events if isinstance(event, StepFinished)]


# -- loading -----------------------------------------------------------------------------


def test_teardown_steps_are_numbered_after_the_main_steps_and_marked() -> None:
    plan = plan_with_teardown()
    assert [step.number for step in plan.steps] == [1, 2, 3, 4]
    assert [(step.number, step.name) for step in plan.teardown] == [
        (5, "output_off"),
        (6, "voltage_to_zero"),
    ]
    assert [step.teardown for step in plan.all_steps] == [False] * 4 + [True] * 2
    assert plan.step(5).name == "output_off"


def test_a_bad_teardown_step_is_named_as_such() -> None:
    text = PLAN + TEARDOWN.replace("write: 0\n", "write: 7\n", 1)
    with pytest.raises(PlanError) as caught:
        parse_plan(text, "plans/demo.yaml")
    assert str(caught.value) == (
        "plans/demo.yaml: teardown step 1 (output_off), field write: 7 is not accepted by "
        "output_enable (accepted: 0/1)"
    )


def test_a_teardown_step_cannot_reuse_a_main_step_name() -> None:
    text = PLAN + TEARDOWN.replace("name: output_off", "name: set_voltage")
    with pytest.raises(PlanError, match=r"teardown step 1 \(set_voltage\), field name: already"):
        parse_plan(text, "plans/demo.yaml")


# -- running -----------------------------------------------------------------------------


def run(devices: dict[str, FakeRegisters], **kwargs: Any) -> tuple[Any, list[Event]]:
    events: list[Event] = []
    sequencer = Sequencer(plan_with_teardown(), devices, DEVICES, [events.append], "custom")
    return sequencer.run(), events


def test_after_a_pass_the_teardown_runs_and_is_reported_after_the_steps() -> None:
    devices = clients()
    outcome, events = run(devices)
    assert outcome.finished.verdict == "pass"
    assert teardown_writes(devices["power_supply"]) == [("write", 2, 0, 1.0), ("write", 0, 0, 1.0)]
    steps = finished_steps(events)
    assert [(s.number, s.teardown) for s in steps][-2:] == [(5, True), (6, True)]
    started = events[0]
    assert isinstance(started, RunStarted)
    assert started.step_count == 6
    lines = render_text(RunReport.from_events(events)).splitlines()
    assert lines[5:7] == [
        "5 ok [teardown] output_off: wrote 0 to output_enable",
        "6 ok [teardown] voltage_to_zero: wrote 0 to voltage_setpoint",
    ]
    assert lines[-1].startswith("6/6 passed in ")


def test_after_a_failure_the_teardown_runs_and_the_run_still_fails() -> None:
    devices = clients(dmm_volts=4000)
    outcome, _ = run(devices)
    assert outcome.finished.verdict == "fail"
    assert outcome.finished.first_failure == "4 check_dmm"
    assert len(teardown_writes(devices["power_supply"])) == 2


def test_a_failing_teardown_step_counts_in_the_verdict_and_the_next_one_still_runs() -> None:
    devices = clients()
    supply = devices["power_supply"]
    supply.fail_next(None, None, None, UnreachableError("gone"))  # the 4th call: output_off
    outcome, events = run(devices)
    steps = finished_steps(events)
    assert (steps[4].name, steps[4].verdict) == ("output_off", "error")
    assert (steps[5].name, steps[5].verdict) == ("voltage_to_zero", "pass")
    assert outcome.finished.verdict == "error"
    assert outcome.finished.first_failure == "5 output_off"
    assert not outcome.unreachable  # the main steps all ran


def test_after_an_unreachable_device_the_teardown_runs() -> None:
    devices = clients()
    devices["dmm"].fail_next(UnreachableError("cannot connect"))
    outcome, events = run(devices)
    assert outcome.unreachable
    assert outcome.finished.aborted
    assert [s.name for s in finished_steps(events)][-3:] == [
        "check_dmm",
        "output_off",
        "voltage_to_zero",
    ]


@pytest.mark.parametrize("signal", [KeyboardInterrupt, Terminated])
def test_after_ctrl_c_or_sigterm_the_teardown_runs_then_the_interrupt_goes_on(
    signal: type[BaseException],
) -> None:
    devices = clients()
    devices["dmm"].fail_next(signal())
    events: list[Event] = []
    sequencer = Sequencer(plan_with_teardown(), devices, DEVICES, [events.append], "custom")
    with pytest.raises(signal):
        sequencer.run()
    assert len(teardown_writes(devices["power_supply"])) == 2
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.aborted
    assert [s.name for s in finished_steps(events)][-2:] == ["output_off", "voltage_to_zero"]


def test_a_second_interrupt_stops_the_teardown() -> None:
    devices = clients()
    devices["dmm"].fail_next(KeyboardInterrupt())
    devices["power_supply"].fail_next(None, None, None, KeyboardInterrupt())
    events: list[Event] = []
    sequencer = Sequencer(plan_with_teardown(), devices, DEVICES, [events.append], "custom")
    with pytest.raises(KeyboardInterrupt):
        sequencer.run()
    # output_off was attempted and interrupted; voltage_to_zero never started
    assert teardown_writes(devices["power_supply"]) == [("write", 2, 0, 1.0)]
    assert [s.name for s in finished_steps(events)] == [
        "set_voltage",
        "check_voltage",
        "check_current",
    ]
    assert isinstance(events[-1], RunFinished)


class BrokenAfter:
    """An observer that raises from its ``n``-th event on, like a store whose disk filled up."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.seen: list[Event] = []

    def __call__(self, event: Event) -> None:
        if len(self.seen) + 1 >= self.n:
            raise OSError(28, "No space left on device")
        self.seen.append(event)


def test_an_observer_that_fails_stops_the_main_steps_but_not_the_teardown() -> None:
    devices = clients()
    events: list[Event] = []
    broken = BrokenAfter(5)  # RunStarted, StepStarted, StepAttempt, StepFinished(1), then fails
    # on step 2's StepStarted
    sequencer = Sequencer(plan_with_teardown(), devices, DEVICES, [events.append, broken], "custom")
    with pytest.raises(ObserverError) as caught:
        sequencer.run()
    assert caught.value.run_id == sequencer.run_id
    assert isinstance(caught.value.error, OSError)
    assert caught.value.observer is broken
    assert len(broken.seen) == 4  # dropped after its failure: told nothing more
    names = [s.name for s in finished_steps(events)]
    assert names == ["set_voltage", "check_voltage", "output_off", "voltage_to_zero"]
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.aborted
    assert devices["dmm"].calls == []  # the main steps stopped
    assert len(teardown_writes(devices["power_supply"])) == 2
