"""Plans for production: ``version``, ``defaults``, a requirements file, and the step fields
``retry_delay``, ``on_exhausted`` and ``requirements``; every bad one is one exact line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from mfg_ctl.plan import Plan, PlanError, load_plan, parse_plan

ROOT = Path(__file__).resolve().parents[2]

SET_V = {"name": "set_v", "device": "power_supply", "register": "voltage_setpoint", "write": 1200}
READ_V = {
    "name": "read_v",
    "device": "power_supply",
    "register": "voltage_readback",
    "expected": 1200,
    "tolerance": 25,
}
REQUIREMENTS = """\
requirements:
  - {id: REQ-PWR-001, title: The output switches on}
  - {id: REQ-VOUT-001, title: Output voltage within limits, method: test}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A plan folder with ``reqs/requirements.yaml`` beside it."""
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "requirements.yaml").write_text(REQUIREMENTS)
    return tmp_path


def text_of(*steps: object, teardown: tuple[object, ...] = (), **top: object) -> str:
    plan: dict[str, object] = {"name": "p", **top, "steps": list(steps)}
    if teardown:
        plan["teardown"] = list(teardown)
    return yaml.safe_dump(plan, sort_keys=False)


def load(folder: Path, *steps: object, teardown: tuple[object, ...] = (), **top: object) -> Plan:
    path = folder / "plan.yaml"
    path.write_text(text_of(*steps, teardown=teardown, **top))
    return load_plan(path)


def error_of(folder: Path, *steps: object, **top: Any) -> str:
    with pytest.raises(PlanError) as caught:
        load(folder, *steps, **top)
    message = str(caught.value)
    assert "\n" not in message
    prefix = f"{folder / 'plan.yaml'}: "
    assert message.startswith(prefix)
    return message.removeprefix(prefix)


# -- good plans -------------------------------------------------------------------------------


def test_the_dut_functional_plan_loads_with_its_requirements() -> None:
    plan = load_plan(ROOT / "plans" / "dut_functional.yaml")
    assert plan.version == "1.0"
    assert plan.requirements is not None
    assert "REQ-EMC-001" in plan.requirements  # listed, verified by analysis
    assert plan.step(1).requirements == ("REQ-PWR-001",)
    assert plan.step(1).on_exhausted == "skip-rest"
    assert plan.step(3).on_exhausted == "continue"
    assert {step.retries for step in plan.all_steps} == {2}
    assert dict(plan.line_devices) == {"dut": "dut"}


def test_version_and_requirements_relative_to_the_plan(folder: Path) -> None:
    plan = load(
        folder,
        {**SET_V, "requirements": ["REQ-PWR-001"]},
        {**READ_V, "requirements": ["REQ-VOUT-001", "REQ-PWR-001"]},
        version="2.1-rc1",
        requirements="reqs/requirements.yaml",
    )
    assert plan.version == "2.1-rc1"
    assert plan.requirements is not None
    assert [req.id for req in plan.requirements] == ["REQ-PWR-001", "REQ-VOUT-001"]
    assert plan.requirements.path == folder / "reqs" / "requirements.yaml"
    assert plan.step(2).requirements == ("REQ-VOUT-001", "REQ-PWR-001")


def test_an_absolute_requirements_path_is_taken_as_it_is(folder: Path, tmp_path: Path) -> None:
    elsewhere = folder / "plans"
    elsewhere.mkdir()
    plan = load(elsewhere, SET_V, requirements=str(folder / "reqs" / "requirements.yaml"))
    assert plan.requirements is not None
    assert len(plan.requirements) == 2


def test_a_plan_without_the_new_fields_keeps_the_old_behaviour(folder: Path) -> None:
    plan = load(folder, SET_V)
    assert (plan.version, plan.requirements) == ("", None)
    step = plan.step(1)
    assert (step.timeout, step.retries, step.retry_delay, step.on_exhausted) == (
        1.0, 1, 0.0, "continue",
    )
    assert step.requirements == ()


def test_defaults_apply_only_where_a_step_does_not_say(folder: Path) -> None:
    defaults = {"timeout": 2.5, "retries": 3, "retry_delay": 0.5, "on_exhausted": "skip-rest"}
    plan = load(
        folder,
        SET_V,
        {**READ_V, "timeout": 0.2, "retries": 0, "retry_delay": 0, "on_exhausted": "continue"},
        {**READ_V, "name": "read_again", "on_exhausted": "abort-unit"},
        teardown=({**SET_V, "name": "zero", "write": 0}, {**SET_V, "name": "off", "retries": 1}),
        defaults=defaults,
    )
    fields = [
        (step.timeout, step.retries, step.retry_delay, step.on_exhausted)
        for step in plan.all_steps
    ]
    assert fields == [
        (2.5, 3, 0.5, "skip-rest"),
        (0.2, 0, 0.0, "continue"),  # a step's own values win, zero included
        (2.5, 3, 0.5, "abort-unit"),
        (2.5, 3, 0.5, "skip-rest"),  # teardown steps get the defaults too
        (2.5, 1, 0.5, "skip-rest"),
    ]
    assert [step.teardown for step in plan.all_steps] == [False] * 3 + [True] * 2


def test_some_defaults_leave_the_rest_at_their_usual_values(folder: Path) -> None:
    plan = load(folder, SET_V, defaults={"retry_delay": 60})
    step = plan.step(1)
    assert (step.timeout, step.retries, step.retry_delay, step.on_exhausted) == (
        1.0, 1, 60.0, "continue",
    )


def test_the_plan_hash_changes_with_the_defaults(folder: Path) -> None:
    one = load(folder, SET_V, defaults={"retries": 2})
    two = load(folder, SET_V, defaults={"retries": 3})
    assert one.hash != two.hash


@pytest.mark.parametrize("policy", ["continue", "skip-rest", "abort-unit", "abort-batch"])
def test_every_on_exhausted_policy_is_accepted(folder: Path, policy: str) -> None:
    assert load(folder, {**SET_V, "on_exhausted": policy}).step(1).on_exhausted == policy


# -- requirements errors ----------------------------------------------------------------------


def test_an_unknown_requirement_says_did_you_mean(folder: Path) -> None:
    reqs = folder / "reqs" / "requirements.yaml"
    message = error_of(
        folder, {**SET_V, "requirements": ["REQ-PWR-01"]}, requirements="reqs/requirements.yaml"
    )
    assert message == (
        f"step 1 (set_v), field requirements: 'REQ-PWR-01' is not in {reqs}: "
        "did you mean REQ-PWR-001? add it there or fix the name"
    )
    message = error_of(
        folder,
        SET_V,
        requirements="reqs/requirements.yaml",
        teardown=[{**SET_V, "name": "off", "requirements": ["XYZ-9"]}],
    )
    assert message == (
        f"teardown step 1 (off), field requirements: 'XYZ-9' is not in {reqs}: "
        "add it there or fix the name"
    )


def test_requirements_without_a_file_is_an_error(folder: Path) -> None:
    assert error_of(folder, READ_V, {**SET_V, "requirements": ["REQ-PWR-001"]}) == (
        "step 2 (set_v), field requirements: 'REQ-PWR-001' cannot be checked: the plan names "
        "no requirements file; add requirements: path/to/requirements.yaml at the top of the plan"
    )


@pytest.mark.parametrize(
    ("named", "expected"),
    [
        (
            ["1REQ"],
            "'1REQ' is not a requirement id: start with a letter, then letters, digits, - _ or . "
            "(at most 64), e.g. REQ-PWR-001",
        ),
        (["REQ-PWR-001", "REQ-PWR-001"], "a requirement is named twice: name each once"),
        (
            "REQ-PWR-001",
            "'REQ-PWR-001' is not a list: name the requirements as a list, "
            "e.g. requirements: [REQ-PWR-001]",
        ),
        ([7], "7: input should be a valid string"),
    ],
    ids=["bad-id", "twice", "not-a-list", "number"],
)
def test_bad_requirement_names(folder: Path, named: object, expected: str) -> None:
    message = error_of(
        folder, {**SET_V, "requirements": named}, requirements="reqs/requirements.yaml"
    )
    assert message == f"step 1 (set_v), field requirements: {expected}"


def test_a_missing_requirements_file_names_the_path(folder: Path) -> None:
    assert error_of(folder, SET_V, requirements="reqs/nope.yaml") == (
        f"field requirements: {folder / 'reqs' / 'nope.yaml'}: cannot read the requirements: "
        "No such file or directory"
    )
    assert error_of(folder, SET_V, requirements="reqs") == (
        f"field requirements: {folder / 'reqs'}: cannot read the requirements: Is a directory"
    )
    assert error_of(folder, SET_V, requirements=3) == (
        "field requirements: 3: input should be a valid string"
    )


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- a list\n", "a requirements file is a mapping with requirements: [...], not a list"),
        (
            "requirements:\n  - {id: REQ-1, title: ''}\n",
            "requirement 1, field title: '': string should have at least 1 character",
        ),
        (
            "requirements:\n  - {id: REQ-1, title: a}\n  - {id: REQ-1, title: b}\n",
            "requirement 2, field id: REQ-1 is listed twice; give every requirement its own id",
        ),
        (
            "requirements:\n  - {id: REQ-1, title: a, owner: me}\n",
            "requirement 1, field owner: unknown field (known: id, title, source, method)",
        ),
        ("requirements:\n  - {title: a}\n", "requirement 1, field id: missing; add it"),
    ],
    ids=["list", "empty-title", "twice", "unknown-field", "no-id"],
)
def test_a_bad_requirements_file_is_one_line(folder: Path, content: str, expected: str) -> None:
    bad = folder / "reqs" / "bad.yaml"
    bad.write_text(content)
    assert error_of(folder, SET_V, requirements="reqs/bad.yaml") == (
        f"field requirements: {bad}: {expected}"
    )


# -- step fields and defaults errors ----------------------------------------------------------


POLICY_ERROR = "'stop': input should be 'continue', 'skip-rest', 'abort-unit' or 'abort-batch'"
DELAY_ERROR = "s is not a usable retry_delay: give seconds between attempts, 0 to 60"


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"on_exhausted": "stop"}, f"field on_exhausted: {POLICY_ERROR}"),
        ({"retry_delay": -1}, f"field retry_delay: -1 {DELAY_ERROR}"),
        ({"retry_delay": 60.5}, f"field retry_delay: 60.5 {DELAY_ERROR}"),
        ({"retry_delay": "1s"}, "field retry_delay: '1s': input should be a valid number"),
        ({"retry_dalay": 1}, "field retry_dalay: unknown field (did you mean retry_delay? known:"),
    ],
    ids=["policy", "negative-delay", "long-delay", "text-delay", "typo"],
)
def test_bad_step_fields(folder: Path, fields: dict[str, object], expected: str) -> None:
    assert error_of(folder, {**SET_V, **fields}).startswith(f"step 1 (set_v), {expected}")


@pytest.mark.parametrize(
    ("defaults", "expected"),
    [
        ({"on_exhausted": "stop"}, f"field defaults.on_exhausted: {POLICY_ERROR}"),
        ({"retry_delay": 61}, f"field defaults.retry_delay: 61 {DELAY_ERROR}"),
        ({"retry_delay": -0.5}, f"field defaults.retry_delay: -0.5 {DELAY_ERROR}"),
        ({"retries": 11}, "field defaults.retries: 11 is not allowed: give 0 to 10 extra attempts"),
        (
            {"timeout": 0},
            "field defaults.timeout: 0 s is not a usable timeout: give seconds per attempt, "
            "above 0 and at most 60",
        ),
        (
            {"retry": 2},
            "field defaults.retry: unknown field (did you mean retries? "
            "known: on_exhausted, retries, retry_delay, timeout)",
        ),
        (
            {"name": "x"},
            "field defaults.name: unknown field "
            "(known: on_exhausted, retries, retry_delay, timeout)",
        ),
        (
            3,
            "field defaults: give a mapping of what every step gets unless it says otherwise "
            "(timeout, retries, retry_delay, on_exhausted), not a number",
        ),
    ],
    ids=["policy", "long-delay", "negative-delay", "retries", "timeout", "typo", "name", "number"],
)
def test_bad_defaults_name_the_default_not_a_step(
    folder: Path, defaults: object, expected: str
) -> None:
    own = {**SET_V, "name": "own", "retry_delay": 1}
    assert error_of(folder, SET_V, own, defaults=defaults) == expected


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("a\tb", "'a\\tb' is not a usable version: give at most 64 printable characters"),
        ("v" * 65, "is not a usable version: give at most 64 printable characters"),
        (1.0, "1.0: input should be a valid string"),
    ],
    ids=["tab", "long", "number"],
)
def test_bad_versions(folder: Path, version: object, expected: str) -> None:
    message = error_of(folder, SET_V, version=version)
    assert message.startswith("field version: ")
    assert message.endswith(expected)


def test_a_parsed_plan_without_a_file_reads_requirements_beside_its_source(folder: Path) -> None:
    named = {**SET_V, "requirements": ["REQ-VOUT-001"]}
    text = text_of(named, requirements="reqs/requirements.yaml")
    plan = parse_plan(text, folder / "any.yaml")
    assert plan.step(1).requirements == ("REQ-VOUT-001",)
