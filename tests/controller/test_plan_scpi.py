"""SCPI and TempCo steps: good ones load resolved; bad ones fail with one line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pydantic
import pytest
import yaml

from mfg_ctl.plan import DEFAULT_RETRIES, DEFAULT_TIMEOUT, PlanError, load_plan, parse_plan
from mfg_ctl.steps import step_kind, step_kinds
from mfg_ctl.steps import tempco as steps_module
from mfg_ctl.steps.line import LineStep
from mfg_ctl.steps.prompt import PromptStep
from mfg_ctl.steps.register import RegisterStep
from mfg_ctl.steps.scpi import ScpiStep
from mfg_ctl.steps.tempco import TempcoStep
from mfg_ctl.steps.thresholds import Range, Tolerance
from mfg_ctl.tempco import TempcoSettings

ROOT = Path(__file__).resolve().parents[2]
DVT = ROOT / "plans" / "dvt_tempco.yaml"
SOURCE = "plans/x.yaml"

BENCH = {
    "chamber": {"scpi": "chamber"},
    "supply": {"scpi": "power_supply"},
    "meter": {"scpi": "multimeter"},
}
SET_VOLTS = {"name": "set_v", "device": "supply", "write": "VOLT 5"}
READ_VOUT = {
    "name": "vout",
    "device": "meter",
    "query": "MEAS:VOLT:DC?",
    "expected": 3.3,
    "tolerance": 0.05,
}
DEVICES = {"chamber": "chamber", "supply": "supply", "meter": "meter"}
SWEEP = {"name": "sweep", "tempco": DEVICES}


def plan_of(*steps: object, devices: object = BENCH) -> str:
    return yaml.safe_dump({"name": "p", "devices": devices, "steps": list(steps)}, sort_keys=False)


def changed(base: Mapping[str, object], **changes: object) -> dict[str, object]:
    merged = {**base, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def scpi(step: object) -> ScpiStep:
    assert isinstance(step, ScpiStep)
    return step


def error_of(text: str) -> str:
    with pytest.raises(PlanError) as caught:
        parse_plan(text, SOURCE)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{SOURCE}: ")
    return message


# -- good plans ---------------------------------------------------------------------------


def test_a_scpi_write_is_a_command_without_threshold():
    step = parse_plan(plan_of(changed(SET_VOLTS, write="  VOLT 5 "), READ_VOUT)).steps[0]
    assert isinstance(step, ScpiStep)
    assert (step.kind, step.number, step.name, step.device) == ("scpi", 1, "set_v", "supply")
    assert (step.command, step.action, step.is_write, step.threshold) == (
        "VOLT 5",
        "write",
        True,
        None,
    )
    assert (step.timeout, step.retries) == (DEFAULT_TIMEOUT, DEFAULT_RETRIES)


@pytest.mark.parametrize(
    ("thresholds", "threshold"),
    [
        ({"expected": 3.3, "tolerance": 0.05}, Tolerance(3.3, 0.05)),
        ({"range": [20, 30]}, Range(20, 30)),
    ],
)
def test_a_scpi_query_is_judged_by_one_threshold(thresholds, threshold):
    raw = {"name": "q", "device": "meter", "query": "MEAS:VOLT:DC?", **thresholds}
    step = scpi(parse_plan(plan_of(changed(raw, timeout=2.5, retries=3))).steps[0])
    assert (step.kind, step.command, step.action, step.is_write) == (
        "scpi",
        "MEAS:VOLT:DC?",
        "query",
        False,
    )
    assert step.threshold == threshold
    assert (step.timeout, step.retries) == (2.5, 3)


def test_a_tempco_step_sweeps_three_instruments_with_default_settings():
    step = parse_plan(plan_of(SWEEP)).steps[0]
    assert isinstance(step, TempcoStep)
    assert (step.kind, step.name, step.action, step.is_write, step.threshold) == (
        "tempco",
        "sweep",
        "sweep",
        False,
        None,
    )
    assert (step.chamber, step.supply, step.meter, step.device) == (
        "chamber",
        "supply",
        "meter",
        "meter",
    )
    assert step.devices == ("chamber", "supply", "meter")
    assert (step.retries, step.timeout) == (0, DEFAULT_TIMEOUT)
    assert step.settings() == TempcoSettings()
    assert step.settings(clock_speed=500).clock_speed == 500


def test_a_tempco_step_sets_the_sweep_and_the_limits():
    sweep = {**DEVICES, "temperatures": [0, 50], "expected": -20, "tolerance": 2, "readings": 3}
    (step,) = parse_plan(plan_of({"name": "s", "tempco": sweep, "retries": 2})).steps
    assert isinstance(step, TempcoStep)
    settings = step.settings(clock_speed=10)
    assert settings.temperatures_c == (0.0, 50.0)
    assert (settings.expected_ppm_per_c, settings.tolerance_ppm_per_c) == (-20, 2)
    assert (settings.readings_per_point, settings.clock_speed, step.retries) == (3, 10, 2)


def test_plans_keep_modbus_profiles_and_scpi_devices_apart():
    register = {"name": "r", "device": "dmm", "register": "dc_voltage", "range": [0, 1]}
    plan = parse_plan(plan_of(READ_VOUT, register, SWEEP, SET_VOLTS))
    assert dict(plan.scpi_devices) == {
        "chamber": "chamber",
        "supply": "power_supply",
        "meter": "multimeter",
    }
    assert list(plan.profiles) == ["dmm"]
    assert plan.device_names == ("meter", "dmm", "chamber", "supply")
    assert [step.kind for step in plan.steps] == ["scpi", "register", "tempco", "scpi"]
    assert plan.first_step_using("chamber").name == "sweep"
    with pytest.raises(KeyError):
        plan.first_step_using("nothing")


def test_a_modbus_only_plan_has_no_scpi_devices():
    register = {"name": "r", "device": "dmm", "register": "dc_voltage", "range": [0, 1]}
    assert parse_plan(plan_of(register, devices={})).scpi_devices == {}


def test_the_dvt_tempco_example_loads():
    plan = load_plan(DVT)
    assert plan.name == "dvt_tempco"
    assert plan.device_names == ("supply", "chamber", "meter")
    assert [step.kind for step in plan.steps] == ["scpi"] * 5 + ["tempco"]
    assert [scpi(step).command for step in plan.steps[:2]] == ["VOLT 5", "OUTP ON"]
    vout = scpi(plan.step(5))
    assert (vout.device, vout.command, vout.threshold) == (
        "meter",
        "MEAS:VOLT:DC?",
        Tolerance(3.3, 0.05),
    )
    sweep = plan.steps[-1]
    assert isinstance(sweep, TempcoStep)
    assert sweep.settings().expected_ppm_per_c == 50


def test_step_kinds_are_told_apart_by_their_keys():
    assert step_kind({"query": "X?"}) == "scpi"
    assert step_kind({"write": "VOLT 5"}) == "scpi"
    assert step_kind({"write": 5}) is None
    assert step_kind({"register": "r", "write": "VOLT 5"}) == "register"
    assert step_kind({"tempco": {}}) == "tempco"
    models = {name: kind.model for name, kind in step_kinds().items()}
    assert {
        "register": RegisterStep,
        "tempco": TempcoStep,
        "scpi": ScpiStep,
        "line": LineStep,
        "prompt": PromptStep,
    } == models
    assert step_kind({"send": "POWER ON"}) == step_kind({"ask": "*IDN?"}) == "line"
    assert RegisterStep.kind == "register"


def test_steps_built_in_code_take_scpi_devices_as_given():
    query = ScpiStep(name="q", device="meter", query="READ?", range=(0, 1))
    assert (query.number, query.command, query.threshold) == (0, "READ?", Range(0, 1))
    sweep = TempcoStep(name="t", tempco=DEVICES)  # type: ignore[arg-type]
    assert (sweep.device, sweep.devices) == ("meter", ("chamber", "supply", "meter"))
    assert TempcoStep.model_validate(sweep) == sweep
    with pytest.raises(pydantic.ValidationError, match="valid dictionary"):
        TempcoStep.model_validate("sweep")
    with pytest.raises(pydantic.ValidationError, match="missing; give query:"):
        ScpiStep(name="q", device="meter")


def test_scpi_steps_are_immutable():
    step = scpi(parse_plan(plan_of(SET_VOLTS)).steps[0])
    with pytest.raises(pydantic.ValidationError):
        step.write = "VOLT 6"


# -- bad steps ----------------------------------------------------------------------------

BAD_STEPS = [
    (
        {"name": "r", "device": "meter", "register": "dc_voltage", "range": [0, 1]},
        "field device: meter is a SCPI instrument (scpi: multimeter), not a Modbus device: "
        'talk to it with query: "..." or write: "..." instead of register:',
    ),
    (
        changed(READ_VOUT, device="dmm"),
        "field device: dmm is a Modbus device, not a SCPI instrument: use register: with it, "
        "or declare it as devices: {dmm: {scpi: chamber|power_supply|multimeter}}",
    ),
    (
        changed(READ_VOUT, device="dvm"),
        "field device: unknown SCPI device 'dvm': declare it as devices: "
        "{dvm: {scpi: chamber|power_supply|multimeter}}",
    ),
    (
        changed(READ_VOUT, query="MEAS:VOLT:DC"),
        "field query: 'MEAS:VOLT:DC' is not a query (no ? at the end): send a command with write:",
    ),
    (
        changed(SET_VOLTS, write="VOLT?"),
        "field write: 'VOLT?' is a query (ends with ?): read it with query: and a threshold",
    ),
    (
        changed(SET_VOLTS, write="  "),
        'field write: empty: give a SCPI command, such as query: "MEAS:VOLT:DC?"',
    ),
    (
        changed(READ_VOUT, query=""),
        'field query: empty: give a SCPI command, such as query: "MEAS:VOLT:DC?"',
    ),
    (
        changed(SET_VOLTS, write="VOLT 5\nOUTP ON"),
        "field write: 'VOLT 5\\nOUTP ON' spans lines: give one command per step, on one line",
    ),
    (
        changed(READ_VOUT, query="VOLT?\rVOLT?"),
        "field query: 'VOLT?\\rVOLT?' spans lines",
    ),
    (
        changed(SET_VOLTS, write="VOLT " + "5" * 252),
        "field write: 257 characters is too long for a command: give at most 256",
    ),
    (
        changed(SET_VOLTS, query="VOLT?"),
        "field write: give query: or write:, not both; make them two steps",
    ),
    (
        changed(SET_VOLTS, range=[0, 1]),
        "field range: a write step takes no threshold: judge the value in a query step",
    ),
    (
        changed(READ_VOUT, expected=None, tolerance=None),
        "field expected: missing: a read step needs one threshold",
    ),
    (
        changed(READ_VOUT, tolerance=None),
        "field tolerance: missing: expected 3.3 needs tolerance (absolute) or tolerance_pct",
    ),
    (changed(READ_VOUT, query=5), "field query: 5: input should be a valid string"),
    (
        changed(READ_VOUT, timeout=0),
        "field timeout: 0 s is not a usable timeout",
    ),
    (
        {"name": "q", "device": "meter", "quary": "READ?", "query": "READ?", "range": [0, 1]},
        "field quary: unknown field (did you mean query? known: device, expected, name, "
        "on_exhausted, query, range, requirements, retries, retry_delay, timeout, tolerance, "
        "tolerance_pct, write)",
    ),
    (
        changed(SWEEP, device="meter"),
        "field device: a tempco step takes its devices from tempco: chamber, supply and meter; "
        "drop device:",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "chamber": "supply"}),
        "field tempco.chamber: supply is a power_supply, not a chamber: name a device declared "
        "as scpi: chamber",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "supply": "meter"}),
        "field tempco.supply: meter is a multimeter, not a power_supply",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "meter": "dmm"}),
        "field tempco.meter: dmm is a Modbus device, not a SCPI instrument: use register: with "
        "it, or declare it as devices: {dmm: {scpi: multimeter}}",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "meter": "dvm"}),
        "field tempco.meter: unknown SCPI device 'dvm': declare it as devices: "
        "{dvm: {scpi: multimeter}}",
    ),
    (
        changed(SWEEP, tempco={"chamber": "chamber", "supply": "supply"}),
        "field tempco.meter: missing; add tempco.meter: ...",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "temperatures": [25, 25.0]}),
        "field tempco.temperatures: [25.0, 25.0] has fewer than two distinct temperatures",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "temperatures": [25, "hot"]}),
        "field tempco.temperatures: 'hot': input should be a valid number",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "expected": True}),
        "field tempco.expected: true: input should be a valid number",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "tolerance": -1}),
        "field tempco.tolerance: -1 is negative: give the allowed distance in ppm/C",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "readings": 0}),
        "field tempco.readings: 0 is not allowed: give 1 to 1000 readings per temperature",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "readings": 2.5}),
        "field tempco.readings: 2.5: input should be a valid integer",
    ),
    (
        changed(SWEEP, tempco={**DEVICES, "temperature": [0, 50]}),
        "field tempco.temperature: unknown field (did you mean temperatures? known: chamber, "
        "dut_probe, expected, meter, readings, supply, temperatures, tolerance)",
    ),
    (
        changed(SWEEP, tempco="chamber"),
        "field tempco: give tempco: {chamber: NAME, supply: NAME, meter: NAME, ...}, not text",
    ),
    (changed(SWEEP, expected=50), "field expected: unknown field (known: "),
    (changed(SWEEP, retries=11), "field retries: 11 is not allowed: give 0 to 10"),
    (
        {"name": "w", "device": "supply", "write": 5},
        "field register: missing; say which register the step writes or reads (or query: "
        '"..." / write: "..." for a SCPI instrument, tempco: for a sweep)',
    ),
]


@pytest.mark.parametrize(
    ("fields", "message"), BAD_STEPS, ids=[message.split(":")[0] for _, message in BAD_STEPS]
)
def test_bad_steps_fail_with_one_line(fields, message):
    line = error_of(plan_of(SET_VOLTS, fields))
    assert line.startswith(f"{SOURCE}: step 2 ({fields['name']}), {message}")


def test_settings_the_sweep_refuses_are_a_plan_error(monkeypatch):
    def refuse(**_: object) -> None:
        raise ValueError("soak_s must be >= 0")

    monkeypatch.setattr(steps_module, "TempcoSettings", refuse)
    assert error_of(plan_of(SWEEP)) == (
        f"{SOURCE}: step 1 (sweep), field tempco: not usable settings: soak_s must be >= 0"
    )


BAD_DEVICES = [
    (
        {"a": {"profile": "dmm", "scpi": "chamber"}},
        "device a, field scpi: give one of profile: (a Modbus device), scpi: (a SCPI "
        "instrument) or line: (a line device such as the dut), not several",
    ),
    (
        {"a": {"scpi": "oven"}},
        "device a, field scpi: 'oven': input should be 'chamber', 'power_supply' or 'multimeter'",
    ),
    (
        {"a": {}},
        "device a, field profile: missing; add profile: NAME_OR_PATH for a Modbus device, "
        "scpi: chamber|power_supply|multimeter for a SCPI instrument, or line: dut",
    ),
    (
        {"a": "multimeter"},
        "device a: give {profile: NAME_OR_PATH}, {scpi: chamber|power_supply|multimeter} "
        "or {line: dut}, not text",
    ),
    (
        {"a": {"scpii": "chamber"}},
        "device a, field scpii: unknown field (did you mean scpi? known: line, profile, scpi)",
    ),
]


@pytest.mark.parametrize(("devices", "message"), BAD_DEVICES)
def test_bad_devices_fail_with_one_line(devices, message):
    assert error_of(plan_of(SET_VOLTS, devices=devices)) == f"{SOURCE}: {message}"
