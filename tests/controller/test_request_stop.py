"""``Sequencer.request_stop``: a stop asked from another thread (a web UI's stop button).

The run ends at the next step boundary, its teardown still runs, and it is
recorded as aborted; asked before the run starts, no main step runs at all.
"""

from __future__ import annotations

import threading

from mfg_ctl.plan import parse_plan
from mfg_ctl.run.events import Event, RunFinished, StepFinished
from mfg_ctl.run.sequencer import Sequencer
from tests.controller.sequencer_fakes import DEVICES, PLAN, devices
from tests.controller.web.core_support import GATED_PLAN, Gate, GatedRegisters

WAIT = 60.0  # seconds: a hang guard, never a budget


def ran(events: list[Event]) -> list[tuple[int, str, bool]]:
    return [(e.number, e.name, e.teardown) for e in events if isinstance(e, StepFinished)]


def ending(events: list[Event]) -> RunFinished:
    (finished,) = [event for event in events if isinstance(event, RunFinished)]
    return finished


def test_a_stop_between_steps_ends_the_run_aborted_after_its_teardown() -> None:
    events: list[Event] = []
    sequencer = Sequencer(
        parse_plan(GATED_PLAN, "plans/demo.yaml"), devices(), DEVICES, [events.append], "custom"
    )

    def stop_after_step_two(event: Event) -> None:
        if isinstance(event, StepFinished) and event.number == 2:
            sequencer.request_stop()

    sequencer.observers.append(stop_after_step_two)
    outcome = sequencer.run()
    assert ran(events) == [
        (1, "set_voltage", False),
        (2, "check_voltage", False),
        (5, "supply_output_off", True),
    ]
    assert outcome.finished.status == "aborted"
    assert (outcome.finished.passed, outcome.finished.failed) == (3, 0)
    assert outcome.finished.verdict == "error"  # aborted with nothing failed: not a pass
    assert ending(events) == outcome.finished
    assert not outcome.unreachable


def test_a_stop_from_another_thread_lands_at_the_step_boundary() -> None:
    gate = Gate()
    clients = {
        "power_supply": GatedRegisters(gate, {("input", 100): 1200, ("input", 101): 480}),
        "dmm": GatedRegisters(gate, {("input", 100): 4980}),
    }
    events: list[Event] = []
    sequencer = Sequencer(
        parse_plan(GATED_PLAN, "plans/demo.yaml"), clients, DEVICES, [events.append], "custom"
    )
    thread = threading.Thread(target=sequencer.run)
    thread.start()
    assert gate.entered.wait(WAIT)  # inside step 1
    sequencer.request_stop()
    gate.opened.set()
    thread.join(WAIT)
    assert not thread.is_alive()
    assert [number for number, _, _ in ran(events)] == [1, 5]
    assert ending(events).status == "aborted"


def test_a_stop_before_the_run_starts_runs_no_main_step_but_the_teardown() -> None:
    events: list[Event] = []
    supply_and_meter = devices()
    sequencer = Sequencer(
        parse_plan(GATED_PLAN, "plans/demo.yaml"),
        supply_and_meter,
        DEVICES,
        [events.append],
        "custom",
    )
    sequencer.request_stop()
    outcome = sequencer.run()
    assert ran(events) == [(5, "supply_output_off", True)]
    assert supply_and_meter["dmm"].calls == []  # no main step touched the meter
    assert outcome.finished.status == "aborted"
    assert outcome.finished.verdict == "error"


def test_a_run_not_asked_to_stop_is_not_aborted() -> None:
    events: list[Event] = []
    plan = parse_plan(PLAN, "plans/demo.yaml")
    outcome = Sequencer(plan, devices(), DEVICES, [events.append], "custom").run()
    assert outcome.finished.status == "passed"
    assert len(ran(events)) == 4
