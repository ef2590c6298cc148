"""What a run does once a step has not passed after all its attempts (``on_exhausted``).

Against the scripted in-memory devices of :mod:`tests.controller.sequencer_fakes`:
every policy end to end at the sequencer, the events of each attempt, the
``retry_delay`` waited between attempts (through the sequencer's ``sleep``),
and the teardown, which runs however the run ends.
"""

from __future__ import annotations

from typing import Any

import pytest

from mfg_ctl.run.events import (
    Event,
    RunFinished,
    RunStarted,
    StepAttempt,
    StepFinished,
    StepStarted,
)
from tests.controller.sequencer_fakes import (
    FakeRegisters,
    RefusedError,
    TransientError,
    by_number,
    demo_plan,
    run,
)

PLAN = """\
name: exhaustion
steps:
  - name: set_voltage
    device: power_supply
    register: voltage_setpoint
    write: 1200
  - name: check_dmm
    device: dmm
    register: dc_voltage
    expected: 5000
    tolerance: 50
    retries: {retries}
    retry_delay: 0.25
    on_exhausted: {policy}
  - name: check_voltage
    device: power_supply
    register: voltage_readback
    expected: 1200
    tolerance: 25
  - name: check_current
    device: power_supply
    register: current_readback
    range: [400, 520]
teardown:
  - name: output_off
    device: power_supply
    register: output_enable
    write: 0
"""

POLICIES = ("continue", "skip-rest", "abort-unit", "abort-batch")


class Sleeps:
    """The sequencer's ``sleep``: records each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def clients(dmm_volts: int = 4980) -> dict[str, FakeRegisters]:
    return {
        "power_supply": FakeRegisters({("input", 100): 1200, ("input", 101): 480}),
        "dmm": FakeRegisters({("input", 100): dmm_volts}),
    }


def run_policy(
    policy: str, devices: dict[str, FakeRegisters], retries: int = 2
) -> tuple[RunFinished, list[Event], Sleeps]:
    sleeps = Sleeps()
    plan = demo_plan(PLAN.format(policy=policy, retries=retries))
    outcome, events = run(plan, dict[str, Any](devices), sleep=sleeps)
    return outcome.finished, events, sleeps


def shape(events: list[Event]) -> list[tuple[str, int, int]]:
    """Each step event as (type, step number, attempt), attempt 0 where it has none."""
    shown = []
    for event in events:
        if isinstance(event, StepStarted | StepFinished):
            shown.append((type(event).__name__, event.number, 0))
        elif isinstance(event, StepAttempt):
            shown.append(("StepAttempt", event.number, event.attempt))
    return shown


def teardown_ran(devices: dict[str, FakeRegisters]) -> bool:
    return ("write", 2, 0, 1.0) in devices["power_supply"].calls


def test_continue_runs_every_step_after_a_failure() -> None:
    devices = clients(dmm_volts=4000)
    finished, events, sleeps = run_policy("continue", devices)
    steps = by_number(events)
    assert [steps[n].verdict for n in range(1, 6)] == ["pass", "fail", "pass", "pass", "pass"]
    assert (finished.verdict, finished.status, finished.aborted) == ("fail", "failed", False)
    assert (finished.passed, finished.failed, finished.skipped, finished.stopped_by) == (
        4, 1, 0, "",
    )
    assert finished.first_failure == "2 check_dmm"
    assert sleeps.waits == []  # a measurement out of limits is not retried
    assert steps[2].attempts == 1


def test_skip_rest_records_the_rest_skipped_and_still_tears_down() -> None:
    devices = clients(dmm_volts=4000)
    finished, events, _ = run_policy("skip-rest", devices)
    assert shape(events) == [
        ("StepStarted", 1, 0), ("StepAttempt", 1, 1), ("StepFinished", 1, 0),
        ("StepStarted", 2, 0), ("StepAttempt", 2, 1), ("StepFinished", 2, 0),
        ("StepAttempt", 3, 0), ("StepFinished", 3, 0),
        ("StepAttempt", 4, 0), ("StepFinished", 4, 0),
        ("StepStarted", 5, 0), ("StepAttempt", 5, 1), ("StepFinished", 5, 0),
    ]
    skipped = [e for e in events if isinstance(e, StepAttempt) and e.attempt == 0]
    assert {e.status for e in skipped} == {"skipped"}
    reason = "skipped: step 2 (check_dmm) did not pass (on_exhausted: skip-rest)"
    assert [e.reason for e in skipped] == [reason, reason]
    steps = by_number(events)
    assert [(steps[n].verdict, steps[n].attempts) for n in (3, 4)] == [("skipped", 0)] * 2
    assert steps[3].detail == reason
    assert ("read", "input", 100, 1.0) not in devices["power_supply"].calls  # never read
    assert teardown_ran(devices)
    assert (finished.verdict, finished.status, finished.aborted) == ("fail", "failed", False)
    assert (finished.passed, finished.failed, finished.errors, finished.skipped) == (2, 1, 0, 2)
    assert finished.stopped_by == ""
    assert isinstance(events[0], RunStarted)
    assert events[-1] == finished


@pytest.mark.parametrize("policy", ["abort-unit", "abort-batch"])
def test_abort_ends_the_run_aborted_naming_the_policy(policy: str) -> None:
    devices = clients(dmm_volts=4000)
    finished, events, _ = run_policy(policy, devices)
    assert sorted(by_number(events)) == [1, 2, 5]  # 3 and 4 neither ran nor were recorded
    assert teardown_ran(devices)
    assert by_number(events)[5].teardown
    assert (finished.verdict, finished.status, finished.aborted) == ("fail", "aborted", True)
    assert finished.stopped_by == policy
    assert (finished.passed, finished.failed, finished.skipped) == (2, 1, 0)


@pytest.mark.parametrize("policy", POLICIES)
def test_a_passing_step_triggers_no_policy(policy: str) -> None:
    devices = clients()
    finished, events, _ = run_policy(policy, devices)
    assert (finished.status, finished.passed, finished.skipped, finished.stopped_by) == (
        "passed", 5, 0, "",
    )
    assert len(by_number(events)) == 5


def test_retries_are_numbered_and_waited_for_with_every_code_kept() -> None:
    devices = clients()
    devices["dmm"].fail_next(
        TransientError("E210 voltage reading unstable", code="E210"),
        TransientError("E202 communication error", code="E202"),
        TransientError("E210 voltage reading unstable", code="E210"),
    )
    finished, events, sleeps = run_policy("abort-unit", devices)
    assert sleeps.waits == [0.25, 0.25]  # between the three attempts, not after the last
    attempts = [e for e in events if isinstance(e, StepAttempt) and e.number == 2]
    assert [(a.attempt, a.status, a.error_code) for a in attempts] == [
        (1, "error", "E210"), (2, "error", "E202"), (3, "error", "E210"),
    ]
    assert attempts[-1].reason == "E210 voltage reading unstable (after 3 attempts)"
    step = by_number(events)[2]
    assert (step.verdict, step.attempts, step.passed_on_retry) == ("error", 3, False)
    assert step.error_codes == ("E210", "E202", "E210")
    assert step.error_code == "E210"
    assert devices["dmm"].closes == 3  # reconnected before every retry
    assert (finished.status, finished.stopped_by, finished.errors) == ("aborted", "abort-unit", 1)
    assert teardown_ran(devices)


def test_a_step_passing_on_a_retry_is_marked_and_keeps_the_codes() -> None:
    devices = clients()
    devices["dmm"].fail_next(TransientError("E210 voltage reading unstable", code="E210"))
    finished, events, sleeps = run_policy("skip-rest", devices)
    assert sleeps.waits == [0.25]
    assert shape(events)[3:7] == [
        ("StepStarted", 2, 0), ("StepAttempt", 2, 1), ("StepAttempt", 2, 2),
        ("StepFinished", 2, 0),
    ]
    step = by_number(events)[2]
    assert (step.verdict, step.attempts, step.passed_on_retry) == ("pass", 2, True)
    assert step.error_codes == ("E210",)
    assert step.error_code == ""  # the last attempt had none
    assert not by_number(events)[3].passed_on_retry
    assert (finished.status, finished.passed, finished.skipped) == ("passed", 5, 0)


def test_no_retries_means_one_attempt_and_no_wait() -> None:
    devices = clients()
    devices["dmm"].fail_next(TransientError("E210 voltage reading unstable", code="E210"))
    finished, events, sleeps = run_policy("skip-rest", devices, retries=0)
    assert sleeps.waits == []
    step = by_number(events)[2]
    assert (step.verdict, step.attempts, step.error_codes) == ("error", 1, ("E210",))
    assert (finished.errors, finished.skipped, finished.status) == (1, 2, "error")


def test_a_refused_command_is_not_retried_but_exhausts_the_step() -> None:
    devices = clients()
    devices["dmm"].fail_next(RefusedError("E101 unknown command", code="E101"))
    finished, events, sleeps = run_policy("abort-batch", devices)
    step = by_number(events)[2]
    assert (step.verdict, step.attempts, step.error_codes) == ("error", 1, ("E101",))
    assert sleeps.waits == []
    assert (finished.status, finished.stopped_by) == ("aborted", "abort-batch")


def test_a_teardown_step_never_stops_the_teardown() -> None:
    text = PLAN.format(policy="continue", retries=0) + (
        "    on_exhausted: abort-batch\n"
        "    retries: 2\n"
        "    retry_delay: 1.5\n"
        "  - name: voltage_to_zero\n"
        "    device: power_supply\n"
        "    register: voltage_setpoint\n"
        "    write: 0\n"
    )
    devices = clients()
    devices["power_supply"].fail_next(
        None, None, None, *(TransientError("timed out") for _ in range(3))  # main steps pass
    )
    sleeps = Sleeps()
    outcome, events = run(demo_plan(text), dict[str, Any](devices), sleep=sleeps)
    steps = by_number(events)
    assert (steps[5].verdict, steps[5].attempts) == ("error", 3)
    assert sleeps.waits == [1.5, 1.5]
    assert steps[6].verdict == "pass"  # the next teardown step still ran
    assert (outcome.finished.stopped_by, outcome.finished.aborted) == ("", False)


def test_defaults_give_every_step_the_policy() -> None:
    text = PLAN.format(policy="continue", retries=0).replace(
        "name: exhaustion\n",
        "name: exhaustion\ndefaults: {on_exhausted: skip-rest, retry_delay: 2}\n",
    ).replace("    retry_delay: 0.25\n    on_exhausted: continue\n", "")
    devices = clients()
    devices["power_supply"].fail_next(None, TransientError("timed out"))
    sleeps = Sleeps()
    outcome, events = run(demo_plan(text), dict[str, Any](devices), sleep=sleeps)
    steps = by_number(events)
    # check_voltage (3) timed out once, waited the default delay, then passed
    assert sleeps.waits == [2.0]
    assert (steps[3].verdict, steps[3].passed_on_retry) == ("pass", True)
    assert outcome.finished.status == "passed"


LAST_STEP_PLAN = """\
name: exhaustion_last
steps:
  - name: check_dmm
    device: dmm
    register: dc_voltage
    expected: 5000
    tolerance: 50
    on_exhausted: {policy}
"""


@pytest.mark.parametrize("policy", ["abort-unit", "abort-batch"])
def test_an_abort_on_the_last_step_still_ends_the_run_aborted(policy: str) -> None:
    plan = demo_plan(LAST_STEP_PLAN.format(policy=policy))
    outcome, _ = run(plan, dict[str, Any](clients(dmm_volts=4000)))
    finished = outcome.finished
    assert (finished.status, finished.stopped_by) == ("aborted", policy)
