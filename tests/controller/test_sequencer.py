"""The sequencer against a scripted in-memory device: events, verdicts, retries, aborts."""

from __future__ import annotations

import pytest

from mfg_ctl.run.events import (
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
)
from mfg_ctl.run.sequencer import Sequencer
from tests.controller.sequencer_fakes import (
    DEVICES,
    PLAN,
    RefusedError,
    TransientError,
    UnreachableError,
    by_number,
    demo_plan,
    devices,
    finished_steps,
    run,
)

# -- the event stream --------------------------------------------------------------------


def test_events_come_in_order_and_every_observer_gets_the_same_stream() -> None:
    first: list[Event] = []
    second: list[Event] = []
    plan = demo_plan()
    sequencer = Sequencer(
        plan, devices(), DEVICES, [first.append, second.append], "custom", run_id="r-1"
    )

    outcome = sequencer.run()

    assert first == second
    kinds = [type(event).__name__ for event in first]
    each_step = ["StepStarted", "StepAttempt", "StepFinished"]
    assert kinds == ["RunStarted", *each_step * 4, "RunFinished"]
    started = first[0]
    assert isinstance(started, RunStarted)
    assert (started.run_id, started.plan_name, started.framing) == ("r-1", "demo", "custom")
    assert started.plan_text == PLAN
    assert started.plan_path == "plans/demo.yaml"
    assert started.devices == DEVICES
    assert started.step_count == 4
    assert (started.parent_run_id, started.selected_steps) == (None, ())
    pairs = list(zip(first[1:-1:3], first[3:-1:3], strict=True))
    assert all(isinstance(s, StepStarted) and isinstance(f, StepFinished) for s, f in pairs)
    steps = [
        (s, f) for s, f in pairs if isinstance(s, StepStarted) and isinstance(f, StepFinished)
    ]
    assert [(s.number, s.name, s.device) for s, _ in steps] == [
        (1, "set_voltage", "power_supply"),
        (2, "check_voltage", "power_supply"),
        (3, "check_current", "power_supply"),
        (4, "check_dmm", "dmm"),
    ]
    assert all((s.number, s.name) == (f.number, f.name) for s, f in steps)
    assert {event.run_id for event in first} == {"r-1"}
    assert first[-1] == outcome.finished
    assert outcome.finished.verdict == "pass"
    assert (outcome.finished.passed, outcome.finished.failed, outcome.finished.errors) == (4, 0, 0)
    assert outcome.finished.first_failure is None
    assert not outcome.finished.aborted
    assert not outcome.unreachable


def test_a_run_id_is_made_up_when_none_is_given() -> None:
    one = Sequencer(demo_plan(), devices(), DEVICES, [], "custom")
    two = Sequencer(demo_plan(), devices(), DEVICES, [], "custom")
    assert len(one.run_id) >= 8
    assert one.run_id != two.run_id


def test_each_step_talks_to_its_device_with_its_timeout() -> None:
    clients = devices()
    run(demo_plan(), clients)
    assert clients["power_supply"].calls == [
        ("write", 0, 1200, 0.5),
        ("read", "input", 100, 1.0),
        ("read", "input", 101, 1.0),
    ]
    assert clients["dmm"].calls == [("read", "input", 100, 1.0)]


# -- verdicts and details ----------------------------------------------------------------


def test_write_and_read_steps_carry_the_report_detail_and_the_threshold() -> None:
    _, events = run(demo_plan(), devices())
    steps = by_number(events)

    write = steps[1]
    assert (write.action, write.target, write.verdict) == ("write", "voltage_setpoint", "pass")
    assert write.detail == "wrote 1200 to voltage_setpoint"
    assert write.measured is None
    assert write.attempts == 1

    tolerance = steps[2]
    assert (tolerance.action, tolerance.verdict) == ("read", "pass")
    assert tolerance.detail == "measured 1200, expected 1200 +/- 25 (delta 0)"
    assert (tolerance.measured, tolerance.expected) == (1200, 1200)
    assert (tolerance.low, tolerance.high) == (1175, 1225)

    band = steps[3]
    assert band.detail == "measured 480, expected within [400, 520]"
    assert (band.measured, band.expected, band.low, band.high) == (480, None, 400, 520)

    assert steps[4].detail == "measured 4980, expected 5000 +/- 50 (delta 20)"
    assert all(step.duration_s >= 0 for step in steps.values())


def test_a_reading_out_of_tolerance_fails_and_is_named_first_failure() -> None:
    outcome, events = run(demo_plan(), devices(dmm_volts=4000))
    dmm = by_number(events)[4]
    assert dmm.verdict == "fail"
    assert dmm.detail == "measured 4000, expected 5000 +/- 50 (delta 1000)"
    assert dmm.measured == 4000
    finished = outcome.finished
    assert (finished.verdict, finished.passed, finished.failed, finished.errors) == (
        "fail",
        3,
        1,
        0,
    )
    assert finished.first_failure == "4 check_dmm"
    assert not finished.aborted
    assert not outcome.unreachable


def test_first_failure_is_the_first_step_that_did_not_pass_even_an_error() -> None:
    clients = devices(current=600, dmm_volts=4000)
    clients["power_supply"].fail_next(None, RefusedError("device exception 2"))
    outcome, events = run(demo_plan(), clients)
    verdicts = [step.verdict for step in finished_steps(events)]
    assert verdicts == ["pass", "error", "fail", "fail"]
    assert outcome.finished.first_failure == "2 check_voltage"
    assert (outcome.finished.passed, outcome.finished.failed, outcome.finished.errors) == (
        1,
        2,
        1,
    )
    assert outcome.finished.verdict == "fail"


def test_a_run_with_only_errors_ends_in_error() -> None:
    clients = devices()
    clients["dmm"].fail_next(RefusedError("device exception 2 (illegal data address)"))
    outcome, _ = run(demo_plan(), clients)
    assert outcome.finished.verdict == "error"
    assert outcome.finished.first_failure == "4 check_dmm"


# -- retries -----------------------------------------------------------------------------


def test_a_transient_error_is_retried_after_a_reconnect_and_the_step_passes() -> None:
    clients = devices()
    clients["dmm"].fail_next(TransientError("no response from 127.0.0.1:15021 within 1 s"))
    outcome, events = run(demo_plan(), clients)
    dmm = by_number(events)[4]
    assert (dmm.verdict, dmm.attempts) == ("pass", 2)
    assert dmm.detail == "measured 4980, expected 5000 +/- 50 (delta 20)"
    read = ("read", "input", 100, 1.0)
    assert clients["dmm"].calls == [read, ("close",), read]
    assert outcome.finished.verdict == "pass"


def test_transient_errors_beyond_the_retries_make_an_error_with_the_reason() -> None:
    plan = demo_plan(PLAN.replace("    tolerance: 50\n", "    tolerance: 50\n    retries: 2\n"))
    clients = devices()
    reason = "no response from 127.0.0.1:15021 within 1 s"
    clients["dmm"].fail_next(*[TransientError(reason)] * 3)
    outcome, events = run(plan, clients)
    dmm = by_number(events)[4]
    assert dmm.verdict == "error"
    assert dmm.detail == f"{reason} (after 3 attempts)"
    assert dmm.attempts == 3
    assert dmm.measured is None
    assert clients["dmm"].closes == 3
    assert [call[0] for call in clients["dmm"].calls] == ["read", "close"] * 3
    assert outcome.finished.verdict == "error"
    assert outcome.finished.first_failure == "4 check_dmm"
    assert not outcome.unreachable
    assert not outcome.finished.aborted


def test_no_retries_means_one_attempt() -> None:
    plan = demo_plan(PLAN.replace("    write: 1200\n", "    write: 1200\n    retries: 0\n"))
    clients = devices()
    clients["power_supply"].fail_next(TransientError("connection to x lost: reset"))
    _, events = run(plan, clients)
    write = by_number(events)[1]
    assert (write.verdict, write.attempts) == ("error", 1)
    assert write.detail == "connection to x lost: reset (after 1 attempt)"
    assert write.action == "write"
    assert by_number(events)[2].verdict == "pass"  # the run goes on


def test_a_refused_request_is_not_retried() -> None:
    clients = devices()
    clients["power_supply"].fail_next(RefusedError("device exception 3 (illegal data value)"))
    outcome, events = run(demo_plan(), clients)
    write = by_number(events)[1]
    assert write.verdict == "error"
    assert write.detail == "refused: device exception 3 (illegal data value)"
    assert write.attempts == 1
    assert clients["power_supply"].calls[:2] == [
        ("write", 0, 1200, 0.5),
        ("read", "input", 100, 1.0),
    ]
    assert len(finished_steps(events)) == 4  # the other steps still ran
    assert not outcome.unreachable


# -- stopping early ----------------------------------------------------------------------


def test_an_unreachable_device_stops_the_run() -> None:
    clients = devices()
    reason = "cannot connect to 127.0.0.1:15020: Connection refused"
    clients["power_supply"].fail_next(None, UnreachableError(reason))
    outcome, events = run(demo_plan(), clients)

    assert [type(e).__name__ for e in events] == [
        "RunStarted",
        "StepStarted",
        "StepAttempt",
        "StepFinished",
        "StepStarted",
        "StepAttempt",
        "StepFinished",
        "RunFinished",
    ]
    failed = by_number(events)[2]
    assert failed.verdict == "error"
    assert failed.detail == f"unreachable: {reason}"
    assert failed.attempts == 1
    assert outcome.unreachable
    finished = outcome.finished
    assert finished.aborted
    assert finished.verdict == "error"
    assert (finished.passed, finished.failed, finished.errors) == (1, 0, 1)
    assert finished.first_failure == "2 check_voltage"
    assert clients["dmm"].calls == []
    assert events[-1] == finished


def test_ctrl_c_ends_the_run_as_aborted_and_is_raised_again() -> None:
    clients = devices()
    clients["power_supply"].fail_next(None, KeyboardInterrupt())
    events: list[Event] = []
    sequencer = Sequencer(demo_plan(), clients, DEVICES, [events.append], "custom")

    with pytest.raises(KeyboardInterrupt):
        sequencer.run()

    assert [type(e).__name__ for e in events] == [
        "RunStarted",
        "StepStarted",
        "StepAttempt",
        "StepFinished",
        "StepStarted",
        "RunFinished",
    ]
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.aborted
    assert finished.passed == 1
    assert finished.run_id == sequencer.run_id
    assert clients["dmm"].calls == []
