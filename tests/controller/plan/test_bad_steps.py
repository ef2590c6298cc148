"""Bad steps fail at load with one line naming the file, the step and the field."""

from __future__ import annotations

import pytest

from tests.controller.plan.support import (
    READ_VOLTAGE,
    SET_VOLTAGE,
    SOURCE,
    error_of,
    plan_of,
    step,
)

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
        "on_exhausted, range, register, requirements, retries, retry_delay, timeout, tolerance, "
        "tolerance_pct, write)",
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
