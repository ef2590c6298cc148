"""The sequencer's selected steps, the --only-failed selection rule, and the report it makes."""

from __future__ import annotations

import pytest

from mfg_ctl.plan import parse_plan
from mfg_ctl.report import RunReport, render_text
from mfg_ctl.run.events import RunStarted, StepStarted
from mfg_ctl.run.sequencer import select_only_failed
from tests.controller.sequencer_fakes import (
    demo_plan,
    devices,
    finished_steps,
    run,
)

# -- selected steps ----------------------------------------------------------------------


def test_only_the_selected_steps_run_with_their_plan_numbers() -> None:
    clients = devices(dmm_volts=4000)
    outcome, events = run(
        demo_plan(), clients, selected=[1, 4], parent_run_id="parent-1", run_id="child-1"
    )
    started = events[0]
    assert isinstance(started, RunStarted)
    assert started.step_count == 2
    assert started.selected_steps == (1, 4)
    assert started.parent_run_id == "parent-1"
    assert started.run_id == "child-1"
    assert [(s.number, s.name) for s in finished_steps(events)] == [
        (1, "set_voltage"),
        (4, "check_dmm"),
    ]
    assert [e.number for e in events if isinstance(e, StepStarted)] == [1, 4]
    assert clients["power_supply"].calls == [("write", 0, 1200, 0.5)]
    assert outcome.finished.first_failure == "4 check_dmm"
    assert (outcome.finished.passed, outcome.finished.failed) == (1, 1)
    assert not outcome.finished.aborted


# -- select_only_failed ------------------------------------------------------------------

ONLY_FAILED_PLAN = """\
name: rerun
steps:
  - {name: s1_psu_voltage, device: power_supply, register: voltage_setpoint, write: 1200}
  - {name: s2_psu_limit, device: power_supply, register: current_limit, write: 500}
  - {name: s3_actuator_target, device: actuator, register: target_position, write: 500}
  - {name: s4_psu_readback, device: power_supply, register: voltage_readback,
     expected: 1200, tolerance: 25}
  - {name: s5_psu_enable, device: power_supply, register: output_enable, write: 1}
  - {name: s6_actuator_position, device: actuator, register: position,
     expected: 500, tolerance: 10}
  - {name: s7_dmm, device: dmm, register: dc_voltage, expected: 5000, tolerance: 50}
  - {name: s8_psu_current, device: power_supply, register: current_readback,
     range: [400, 520]}
  - {name: s9_actuator_again, device: actuator, register: target_position, write: 0}
"""


@pytest.mark.parametrize(
    ("failed", "selected"),
    [
        pytest.param([4], [1, 2, 4], id="failed read: it and the earlier writes to its device"),
        pytest.param([8], [1, 2, 5, 8], id="passed reads in between are not repeated"),
        pytest.param([6], [3, 6], id="a write after the read is not included"),
        pytest.param([7], [7], id="a device without writes"),
        pytest.param([5], [1, 2, 5], id="failed write: it and the earlier writes"),
        pytest.param([1], [1], id="the first write alone"),
        pytest.param([9], [3, 9], id="failed last write"),
        pytest.param([4, 6, 7], [1, 2, 3, 4, 6, 7], id="several devices"),
        pytest.param([8, 4], [1, 2, 4, 5, 8], id="in plan order, each step once"),
        pytest.param([], [], id="nothing failed: nothing to run"),
    ],
)
def test_select_only_failed(failed: list[int], selected: list[int]) -> None:
    plan = parse_plan(ONLY_FAILED_PLAN, "plans/rerun.yaml")
    assert select_only_failed(plan, failed) == selected


def test_select_only_failed_takes_any_iterable() -> None:
    plan = parse_plan(ONLY_FAILED_PLAN, "plans/rerun.yaml")
    assert select_only_failed(plan, iter((6, 6))) == [3, 6]


# -- the report the events make ----------------------------------------------------------


def test_the_events_make_the_report() -> None:
    _, events = run(demo_plan(), devices(dmm_volts=4000))
    report = RunReport.from_events(events)
    lines = render_text(report).splitlines()
    assert lines[:-1] == [
        "Plan: demo [FAIL]",
        "1 ok set_voltage: wrote 1200 to voltage_setpoint",
        "2 ok check_voltage: measured 1200, expected 1200 +/- 25 (delta 0)",
        "3 ok check_current: measured 480, expected within [400, 520]",
        "4 FAIL check_dmm: measured 4000, expected 5000 +/- 50 (delta 1000)",
    ]
    assert lines[-1].startswith("3/4 passed in ")
    assert lines[-1].endswith("s; first failure: 4 check_dmm")


def test_a_report_of_a_run_still_going_and_of_no_run() -> None:
    _, events = run(demo_plan(), devices())
    going = RunReport.from_events(events[:4])
    assert going.verdict == "running"
    assert going.finished_at is None
    assert render_text(going).splitlines()[0] == "Plan: demo [RUNNING]"
    with pytest.raises(ValueError, match="RunStarted"):
        RunReport.from_events(events[1:])
