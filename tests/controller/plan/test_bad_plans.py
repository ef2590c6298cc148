"""Bad plans and bad files fail at load with one line."""

from __future__ import annotations

import re

import pytest

from mfg_ctl.plan import (
    Plan,
    PlanError,
    describe_type,
    load_plan,
    parse_plan,
)
from tests.controller.plan.support import (
    SET_VOLTAGE,
    SOURCE,
    error_of,
    plan_of,
)

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
        "field owner: unknown field (known: defaults, description, devices, name, requirements, "
        "steps, teardown, version)",
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
        "device psu: give {profile: NAME_OR_PATH}, {scpi: chamber|power_supply|multimeter} "
        "or {line: dut}, not text",
    ),
    (
        "name: p\ndevices: {psu: {profil: power_supply}}\nsteps: [1]\n",
        "device psu, field profil: unknown field (did you mean profile? known: line, profile, "
        "scpi)",
    ),
    (
        "name: p\ndevices: {psu: {}}\nsteps: [1]\n",
        "device psu, field profile: missing; add profile: NAME_OR_PATH for a Modbus device, "
        "scpi: chamber|power_supply|multimeter for a SCPI instrument, or line: dut",
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
