"""Plans that load: steps resolved against their profiles; the bring-up plan."""

from __future__ import annotations

import pydantic
import pytest
import yaml

from mfg_ctl.plan import DEFAULT_RETRIES, DEFAULT_TIMEOUT, load_plan, parse_plan
from mfg_ctl.steps import step_kind, step_kinds
from mfg_ctl.steps.register import RegisterStep
from mfg_ctl.steps.thresholds import Range, Tolerance, TolerancePct, judge, write_detail
from tests.controller.cli.support import REPORT
from tests.controller.plan.support import (
    BRINGUP,
    READ_VOLTAGE,
    ROOT,
    SET_VOLTAGE,
    SOURCE,
    plan_of,
    register_steps,
    step,
)

# -- good plans ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "action", "threshold"),
    [
        (SET_VOLTAGE, "write", None),
        (step(SET_VOLTAGE, register="output_enable", write=0), "write", None),
        (step(SET_VOLTAGE, register="current_limit", write=1000), "write", None),
        (READ_VOLTAGE, "read", Tolerance(1200, 25)),
        (step(READ_VOLTAGE, tolerance=None, tolerance_pct=1.5), "read", TolerancePct(1200, 1.5)),
        (
            step(READ_VOLTAGE, expected=None, tolerance=None, range=[400, 520]),
            "read",
            Range(400, 520),
        ),
        (step(READ_VOLTAGE, expected=12.5, tolerance=0.25), "read", Tolerance(12.5, 0.25)),
        (step(READ_VOLTAGE, tolerance=0), "read", Tolerance(1200, 0)),
        (step(READ_VOLTAGE, expected=None, tolerance=None, range=[7, 7]), "read", Range(7, 7)),
    ],
)
def test_good_steps(fields, action, threshold):
    plan = parse_plan(plan_of(fields), SOURCE)
    (only,) = register_steps(plan)
    assert only.action == action
    assert only.is_write is (action == "write")
    assert only.threshold == threshold
    assert only.register_spec.name == fields["register"]
    assert (only.timeout, only.retries) == (DEFAULT_TIMEOUT, DEFAULT_RETRIES)


@pytest.mark.parametrize(("timeout", "retries"), [(0.5, 2), (60, 0), (0.001, 10), (3, 1)])
def test_timeout_and_retries_in_range_are_kept(timeout, retries):
    plan = parse_plan(plan_of(step(READ_VOLTAGE, timeout=timeout, retries=retries)))
    assert (plan.steps[0].timeout, plan.steps[0].retries) == (timeout, retries)


def test_plan_devices_map_names_to_built_in_and_file_profiles(tmp_path):
    profile = yaml.safe_load((ROOT / "simulators/devices/dmm/profile.yaml").read_text())
    profile["name"] = "bench_dmm"
    profile["registers"].append({"name": "ac_voltage", "address": 7, "table": "input"})
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "bench_dmm.yaml").write_text(yaml.safe_dump(profile))
    text = plan_of(
        step(SET_VOLTAGE, device="psu"),
        {"name": "ac", "device": "meter", "register": "ac_voltage", "range": [0, 10]},
        {"name": "cj", "device": "thermocouple", "register": "cold_junction", "range": [0, 1]},
        description="two renamed devices and a built-in one",
        devices={
            "psu": {"profile": "power_supply"},
            "meter": {"profile": "profiles/bench_dmm.yaml"},
        },
    )
    (tmp_path / "plan.yaml").write_text(text)
    plan = load_plan(tmp_path / "plan.yaml")
    assert plan.description == "two renamed devices and a built-in one"
    assert plan.device_names == ("psu", "meter", "thermocouple")
    assert plan.profiles["psu"].name == "power_supply"
    assert plan.profiles["meter"].name == "bench_dmm"
    assert register_steps(plan)[1].register_spec.address == 7


def test_steps_are_numbered_from_one_and_devices_listed_in_order_of_first_use():
    plan = parse_plan(
        plan_of(
            step(SET_VOLTAGE, name="a"),
            {"name": "b", "device": "dmm", "register": "dc_voltage", "range": [0, 1]},
            step(READ_VOLTAGE, name="c"),
        )
    )
    assert [(s.number, s.name) for s in plan.steps] == [(1, "a"), (2, "b"), (3, "c")]
    assert plan.device_names == ("power_supply", "dmm")
    assert plan.step(2).name == "b"
    with pytest.raises(KeyError):
        plan.step(4)
    with pytest.raises(KeyError):
        plan.step(0)


def test_steps_are_immutable():
    plan = parse_plan(plan_of(SET_VOLTAGE))
    with pytest.raises(pydantic.ValidationError):
        register_steps(plan)[0].write = 5


def test_a_step_built_in_code_resolves_against_built_in_profiles():
    built = RegisterStep(name="x", device="dmm", register="dc_voltage", range=(4900, 5100))
    assert built.number == 0
    assert built.register_spec.address == 100
    assert built.threshold == Range(4900, 5100)


def test_step_kinds_are_told_apart_by_their_keys():
    assert step_kind({"register": "x"}) == "register"
    assert step_kind({"name": "x"}) is None
    assert step_kinds()["register"].model is RegisterStep


# -- the bring-up plan --------------------------------------------------------------------

BRINGUP_STEPS = [
    # number, name, device, table, address, write
    (1, "set_supply_voltage", "power_supply", "holding", 0, 1200),
    (2, "set_supply_current_limit", "power_supply", "holding", 1, 500),
    (3, "enable_supply_output", "power_supply", "holding", 2, 1),
    (4, "check_supply_voltage_readback", "power_supply", "input", 100, None),
    (5, "check_supply_current_readback", "power_supply", "input", 101, None),
    (6, "command_actuator_position", "actuator", "holding", 0, 500),
    (7, "check_actuator_position", "actuator", "input", 100, None),
    (8, "check_actuator_status", "actuator", "input", 101, None),
    (9, "check_dmm_dc_voltage", "dmm", "input", 100, None),
    (10, "check_thermocouple_channel_0", "thermocouple", "input", 100, None),
    (11, "check_thermocouple_cold_junction", "thermocouple", "input", 110, None),
]

#: The step lines of the reference report (doc/reference_station.rst).
BRINGUP_REPORT = "".join(line + "\n" for line in REPORT[1:-1])

#: What the default devices read after the writes.
DEFAULT_READINGS = {4: 1200, 5: 480, 7: 500, 8: 1, 9: 4980, 10: 2300, 11: 2500}


def test_bringup_plan_resolves_every_register():
    plan = load_plan(BRINGUP)
    assert plan.name == "station_bringup"
    assert plan.path == BRINGUP
    assert plan.text == BRINGUP.read_text()
    assert plan.device_names == ("power_supply", "actuator", "dmm", "thermocouple")
    rows = [
        (s.number, s.name, s.device, s.register_spec.table, s.register_spec.address, s.write)
        for s in register_steps(plan)
    ]
    assert rows == BRINGUP_STEPS


def test_bringup_plan_gives_the_reference_report_on_default_readings():
    lines = []
    for s in register_steps(load_plan(BRINGUP)):
        if s.write is not None:
            passed, detail = True, write_detail(s.write, s.register)
        else:
            assert s.threshold is not None
            passed, detail = judge(s.threshold, DEFAULT_READINGS[s.number])
        lines.append(f"{s.number:2d} {'ok' if passed else 'FAIL'} {s.name}: {detail}\n")
    assert "".join(lines) == BRINGUP_REPORT


def test_replaying_the_stored_text_gives_the_same_plan():
    original = load_plan(BRINGUP)
    replayed = parse_plan(original.text, original.path)
    assert replayed == original
