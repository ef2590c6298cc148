"""Plans: good ones load resolved; bad ones fail at load with one line naming step and field."""

from __future__ import annotations

import re
from pathlib import Path

import pydantic
import pytest
import yaml

from simulators.controller.plan import (
    DEFAULT_RETRIES,
    DEFAULT_TIMEOUT,
    STEP_KINDS,
    Plan,
    PlanError,
    RegisterStep,
    describe_type,
    load_plan,
    parse_plan,
    step_kind,
)
from simulators.controller.thresholds import Range, Tolerance, TolerancePct, judge, write_detail

ROOT = Path(__file__).resolve().parents[2]
BRINGUP = ROOT / "plans" / "station_bringup.yaml"
SOURCE = "plans/x.yaml"

SET_VOLTAGE = {
    "name": "set_v",
    "device": "power_supply",
    "register": "voltage_setpoint",
    "write": 1200,
}
READ_VOLTAGE = {
    "name": "read_v",
    "device": "power_supply",
    "register": "voltage_readback",
    "expected": 1200,
    "tolerance": 25,
}


def plan_of(*steps: object, **top: object) -> str:
    return yaml.safe_dump({"name": "p", **top, "steps": list(steps)}, sort_keys=False)


def step(base: dict[str, object], **changes: object) -> dict[str, object]:
    merged = {**base, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def register_steps(plan: Plan) -> list[RegisterStep]:
    """The plan's steps, all register steps here."""
    assert all(isinstance(s, RegisterStep) for s in plan.steps)
    return [s for s in plan.steps if isinstance(s, RegisterStep)]


def error_of(text: str, source: str = SOURCE) -> str:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, source)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{source}: ")
    return message


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
    assert STEP_KINDS["register"] is RegisterStep


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

#: The step lines of the reference report (shared/station.md).
BRINGUP_REPORT = """\
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
"""

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


# -- bad steps: one line naming file, step number and name, and field ---------------------

BAD_STEPS = [
    (
        step(SET_VOLTAGE, register="output_enable", write=2),
        "field write: 2 is not accepted by output_enable (accepted: 0/1)",
    ),
    (
        step(SET_VOLTAGE, write=3001),
        "field write: 3001 is not accepted by voltage_setpoint (accepted: 0-3000)",
    ),
    (
        step(SET_VOLTAGE, write=-1),
        "field write: -1 is not accepted by voltage_setpoint (accepted: 0-3000)",
    ),
    (
        step(SET_VOLTAGE, register="voltage_readback"),
        "field write: voltage_readback is read-only (input register): judge it with a "
        "threshold, or write a holding register",
    ),
    (
        step(SET_VOLTAGE, register="voltage", write=4000),
        "field register: power_supply has no register 'voltage' (did you mean voltage_setpoint? ",
    ),
    (
        step(SET_VOLTAGE, device="psu", register="voltage", write=4000),
        "field device: unknown device 'psu'",
    ),
    (step(SET_VOLTAGE, write="VOLT 5"), "field write: 'VOLT 5': input should be a valid integer"),
    (step(SET_VOLTAGE, write=12.5), "field write: 12.5: input should be a valid integer"),
    (step(SET_VOLTAGE, write=True), "field write: true: input should be a valid integer"),
    (
        step(SET_VOLTAGE, tolerance=25),
        "field tolerance: a write step takes no threshold: judge the value in a read step",
    ),
    (
        step(SET_VOLTAGE, range=[0, 1]),
        "field range: a write step takes no threshold: judge the value in a read step",
    ),
    (
        step(READ_VOLTAGE, register="voltage_readbak"),
        "field register: power_supply has no register 'voltage_readbak' (did you mean "
        "voltage_readback? registers: voltage_setpoint, current_limit, output_enable, "
        "voltage_readback, current_readback)",
    ),
    (
        step(READ_VOLTAGE, device="psu"),
        "field device: unknown device 'psu': not under the plan's devices: and not a built-in "
        "profile (",
    ),
    (
        step(READ_VOLTAGE, expected=None, tolerance=None),
        "field expected: missing: a read step needs one threshold: expected with tolerance or "
        "tolerance_pct, or range: [low, high]",
    ),
    (
        step(READ_VOLTAGE, tolerance=None),
        "field tolerance: missing: expected 1200 needs tolerance (absolute) or tolerance_pct "
        "(percent of expected)",
    ),
    (
        step(READ_VOLTAGE, expected=None),
        "field expected: missing: tolerance needs an expected value",
    ),
    (
        step(READ_VOLTAGE, range=[1100, 1300]),
        "field range: give one threshold, not two: drop range or expected",
    ),
    (
        step(READ_VOLTAGE, tolerance_pct=1),
        "field tolerance_pct: give one threshold, not two: drop tolerance or tolerance_pct",
    ),
    (
        step(READ_VOLTAGE, expected=None, tolerance=None, range=[520, 400]),
        "field range: low 520 is above high 400: write range: [low, high]",
    ),
    (
        step(READ_VOLTAGE, expected=None, tolerance=None, range=[400]),
        "field range: [400] is not a range: write range: [low, high]",
    ),
    (
        step(READ_VOLTAGE, expected=None, tolerance=None, range=[400, "x"]),
        "field range: 'x': input should be a valid number",
    ),
    (
        step(READ_VOLTAGE, tolerance=-1),
        "field tolerance: -1 is negative: give the allowed distance from expected",
    ),
    (
        step(READ_VOLTAGE, tolerance=None, tolerance_pct=-0.5),
        "field tolerance_pct: -0.5 is negative: give the allowed distance from expected",
    ),
    (step(READ_VOLTAGE, expected=True), "field expected: true: input should be a valid number"),
    (
        step(READ_VOLTAGE, expected=float("nan")),
        "field expected: nan: input should be a finite number",
    ),
    (
        step(READ_VOLTAGE, timeout=0),
        "field timeout: 0 s is not a usable timeout: give seconds per attempt, above 0 and at "
        "most 60",
    ),
    (
        step(READ_VOLTAGE, timeout=-1),
        "field timeout: -1 s is not a usable timeout: give seconds per attempt, above 0 and at "
        "most 60",
    ),
    (
        step(READ_VOLTAGE, timeout=3600),
        "field timeout: 3600 s is not a usable timeout: give seconds per attempt, above 0 and "
        "at most 60",
    ),
    (
        step(READ_VOLTAGE, retries=-1),
        "field retries: -1 is not allowed: give 0 to 10 extra attempts",
    ),
    (
        step(READ_VOLTAGE, retries=11),
        "field retries: 11 is not allowed: give 0 to 10 extra attempts",
    ),
    (step(READ_VOLTAGE, retries=1.5), "field retries: 1.5: input should be a valid integer"),
    (
        step(READ_VOLTAGE, tolerence=3),
        "field tolerence: unknown field (did you mean tolerance? known: device, expected, name, "
        "range, register, retries, timeout, tolerance, tolerance_pct, write)",
    ),
    (step(READ_VOLTAGE, colour="red"), "field colour: unknown field (known: device, expected"),
    (step(READ_VOLTAGE, device=None), "field device: missing; add device: ..."),
    (
        step(READ_VOLTAGE, register=None),
        "field register: missing; say which register the step writes or reads",
    ),
    (
        {"name": "read_v", "device": "dvt_bench", "query": "MEAS:VOLT?"},
        "field device: unknown SCPI device 'dvt_bench': declare it as devices: "
        "{dvt_bench: {scpi: chamber|power_supply|multimeter}}",
    ),
    (
        step(READ_VOLTAGE, name="read v"),
        "field name: 'read v' is not a usable name: use letters, digits, _ . - and no spaces",
    ),
]


@pytest.mark.parametrize(
    ("fields", "message"), BAD_STEPS, ids=[message.split(":")[0] for _, message in BAD_STEPS]
)
def test_bad_steps_fail_with_one_line(fields, message):
    line = error_of(plan_of(SET_VOLTAGE, fields))
    name = fields.get("name", "read_v")
    assert line.startswith(f"{SOURCE}: step 2 ({name}), {message}")


def test_a_step_without_a_name_is_named_by_number():
    line = error_of(plan_of(step(SET_VOLTAGE, name=None)))
    assert line == f"{SOURCE}: step 1, field name: missing; add name: ..."


def test_step_names_must_be_unique():
    line = error_of(plan_of(SET_VOLTAGE, READ_VOLTAGE, step(SET_VOLTAGE, write=1000)))
    assert line == (
        f"{SOURCE}: step 3 (set_v), field name: already the name of step 1; "
        "give every step its own name"
    )


def test_the_error_reported_is_the_first_in_the_text():
    bad = {"name": "r", "device": "power_supply", "register": "nope", "retries": 99}
    assert ", field register:" in error_of(plan_of(bad))
    bad = {"name": "r", "retries": 99, "device": "power_supply", "register": "nope"}
    assert ", field retries:" in error_of(plan_of(bad))


# -- bad plans ----------------------------------------------------------------------------

BAD_PLANS = [
    ("", "a plan is a mapping with name, devices and steps, not nothing"),
    ("- 1\n", "a plan is a mapping with name, devices and steps, not a list"),
    ("name: p\nsteps: [\n", "not valid YAML at line 3, column 1: expected the node content"),
    ("name: p\n  steps: 1\n", "not valid YAML at line 2, column 8: mapping values"),
    (
        "name: p\nname: q\nsteps: [1]\n",
        "not valid YAML at line 2, column 1: key 'name' appears twice",
    ),
    (
        "name: p\nsteps:\n  - {name: a, device: dmm, register: dc_voltage, range: [0, 1],\n"
        "     range: [1, 2]}\n",
        "not valid YAML at line 4, column 6: key 'range' appears twice",
    ),
    (
        "name: p\n? [1, 2]\n: x\nsteps: [1]\n",
        "not valid YAML at line 2, column 3: found unhashable key",
    ),
    ("name: \x07\nsteps: [1]\n", "not valid YAML: unacceptable character #x0007: special "),
    ("name: p\nsteps: []\n", "field steps: the plan has no steps: add at least one under steps:"),
    ("name: p\nsteps: go\n", "field steps: 'go': input should be a valid list"),
    ("steps: [1]\n", "field name: missing; add name: ..."),
    ("name: my plan\nsteps: [1]\n", "field name: 'my plan' is not a usable name"),
    (
        "name: p\nowner: me\nsteps: [1]\n",
        "field owner: unknown field (known: description, devices, name, steps)",
    ),
    (
        "name: p\nsteps: [hello]\n",
        "step 1: a step is a mapping of fields (name, device, register, ...), not text",
    ),
    (
        "name: p\nsteps: [[1]]\n",
        "step 1: a step is a mapping of fields (name, device, register, ...), not a list",
    ),
    (
        "name: p\ndevices: {psu: power_supply}\nsteps: [1]\n",
        "device psu: give {profile: NAME_OR_PATH} or {scpi: chamber|power_supply|multimeter}, "
        "not text",
    ),
    (
        "name: p\ndevices: {psu: {profil: power_supply}}\nsteps: [1]\n",
        "device psu, field profil: unknown field (did you mean profile? known: profile, scpi)",
    ),
    (
        "name: p\ndevices: {psu: {}}\nsteps: [1]\n",
        "device psu, field profile: missing; add profile: NAME_OR_PATH for a Modbus device, or "
        "scpi: chamber|power_supply|multimeter for a SCPI instrument",
    ),
    (
        "name: p\ndevices: {'p su': {profile: dmm}}\nsteps: [1]\n",
        "device p su: 'p su' is not a usable name",
    ),
    (
        "name: p\ndevices: {psu: {profile: psu9000}}\nsteps: [1]\n",
        "device psu, field profile: no built-in profile 'psu9000'; known: ",
    ),
    (
        "name: p\ndevices: {psu: {profile: psu9000.yaml}}\nsteps: [1]\n",
        "device psu, field profile: plans/psu9000.yaml: cannot read: No such file or directory",
    ),
]


@pytest.mark.parametrize(("text", "message"), BAD_PLANS)
def test_bad_plans_fail_with_one_line(text, message):
    assert error_of(text).startswith(f"{SOURCE}: {message}")


@pytest.mark.parametrize("profile", ["name: bad\nregisters: []\n", "name: [bad\n"])
def test_an_invalid_device_profile_is_named_with_its_plan_device(tmp_path, profile):
    (tmp_path / "bad.yaml").write_text(profile)
    (tmp_path / "plan.yaml").write_text(
        plan_of(SET_VOLTAGE, devices={"meter": {"profile": "bad.yaml"}})
    )
    with pytest.raises(PlanError) as caught:
        load_plan(tmp_path / "plan.yaml")
    assert re.fullmatch(
        r".*plan\.yaml: device meter, field profile: .*bad\.yaml: [^\n]+", str(caught.value)
    )


def test_missing_and_unreadable_files(tmp_path):
    with pytest.raises(PlanError) as caught:
        load_plan(tmp_path / "nope.yaml")
    assert (
        str(caught.value)
        == f"{tmp_path / 'nope.yaml'}: cannot read the plan: No such file or directory"
    )
    (tmp_path / "binary.yaml").write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(PlanError, match=r"binary\.yaml: not a text file \(UTF-8 expected\)"):
        load_plan(tmp_path / "binary.yaml")


def test_a_plan_records_where_it_came_from():
    plan = parse_plan(plan_of(SET_VOLTAGE))
    assert isinstance(plan, Plan)
    assert str(plan.path) == "<plan>"


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (None, "nothing"),
        ({}, "a mapping"),
        ([], "a list"),
        ("x", "text"),
        (True, "true/false"),
        (3, "a number"),
        (2.5, "a number"),
        (object(), "a value"),
    ],
)
def test_describe_type(value, words):
    assert describe_type(value) == words
