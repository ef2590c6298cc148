"""Modbus device profiles, derive expressions and the register model, without sockets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulators.common import Reply
from simulators.devices._modbus.model import RegisterError, RegisterModel
from simulators.devices._modbus.system import ModbusSystem
from simulators.profiles import ProfileError, load_profile, parse_profile, resolve_profile
from simulators.profiles.expression import Expression
from simulators.protocols.modbus import (
    ExceptionCode,
    ReadInputRegisters,
    WriteSingleRegister,
    client_framer,
)

STATION = {
    "power_supply": {("holding", 0): 0, ("holding", 1): 0, ("holding", 2): 0,
                     ("input", 100): 0, ("input", 101): 0},
    "dmm": {("input", 100): 4980, ("input", 101): 120, ("input", 102): 1000},
    "actuator": {("holding", 0): 0, ("input", 100): 0, ("input", 101): 1},
    "thermocouple": {("input", 100): 2300, ("input", 101): 2310, ("input", 102): 2290,
                     ("input", 103): 2305, ("input", 110): 2500},
}


def device(name: str) -> RegisterModel:
    return RegisterModel(resolve_profile(name))


@pytest.mark.parametrize("name", sorted(STATION))
def test_builtin_profiles_give_the_station_defaults(name: str) -> None:
    dev = device(name)
    for (table, address), value in STATION[name].items():
        assert dev.read(table, address, 1) == [value], (name, table, address)


def test_power_supply_readbacks_follow_the_setpoints() -> None:
    psu = device("power_supply")
    psu.write(0, [1200, 500])
    assert psu.read("input", 100, 2) == [0, 0]  # output off
    psu.write(2, [1])
    assert psu.read("input", 100, 2) == [1200, 480]
    psu.write(1, [300])
    assert psu.read("input", 101, 1) == [300]  # capped at the limit


def test_actuator_follows_and_reports_moving_when_stuck() -> None:
    actuator = device("actuator")
    actuator.write(0, [500])
    assert actuator.read("input", 100, 2) == [500, 1]
    actuator.values.fault("stuck", "position")
    actuator.write(0, [700])
    assert actuator.read("input", 100, 2) == [500, 0]  # stuck: never arrives


@pytest.mark.parametrize(
    ("table", "address", "values", "code"),
    [
        ("holding", 3, [1], ExceptionCode.ILLEGAL_DATA_ADDRESS),
        ("holding", 100, [1], ExceptionCode.ILLEGAL_DATA_ADDRESS),
        ("holding", 0, [3001], ExceptionCode.ILLEGAL_DATA_VALUE),
        ("holding", 2, [2], ExceptionCode.ILLEGAL_DATA_VALUE),
        ("holding", 1, [10, 2], ExceptionCode.ILLEGAL_DATA_VALUE),
        ("holding", 2, [1, 0], ExceptionCode.ILLEGAL_DATA_ADDRESS),
    ],
)
def test_bad_writes_are_refused_whole(
    table: str, address: int, values: list[int], code: ExceptionCode
) -> None:
    psu = device("power_supply")
    with pytest.raises(RegisterError) as refused:
        psu.write(address, values)
    assert refused.value.code == code
    assert psu.read("holding", 0, 3) == [0, 0, 0]


def test_reads_spanning_a_gap_are_refused() -> None:
    with pytest.raises(RegisterError, match="no input register at address 103"):
        device("dmm").read("input", 101, 3)


def test_drift_set_stuck_reset() -> None:
    dmm = device("dmm")
    dmm.values.fault("drift", "dc_voltage", "5")
    assert [dmm.read("input", 100, 1)[0] for _ in range(3)] == [4985, 4990, 4995]
    assert dmm.read("input", 101, 2) == [120, 1000]  # the others keep serving
    dmm.values.set_text("dc_voltage", "4000")
    assert dmm.read("input", 100, 1) == [4005]  # set restarts the drift from the new value
    dmm.values.set_text("101", "99")  # by address, when only one table has it
    assert dmm.read("input", 101, 1) == [99]
    dmm.reset()
    assert dmm.read("input", 100, 3) == [4980, 120, 1000]
    assert dmm.values.describe_faults() == "none"


def test_stuck_ignores_writes_and_set_moves_it() -> None:
    psu = device("power_supply")
    psu.values.fault("stuck", "voltage_setpoint")
    psu.write(0, [1200])
    assert psu.read("holding", 0, 1) == [0]
    psu.values.set_text("voltage_setpoint", "42")
    assert psu.read("holding", 0, 1) == [42]


def test_set_pins_a_derived_register_until_reset() -> None:
    psu = device("power_supply")
    psu.values.set_text("voltage_readback", "777")
    psu.write(2, [1])
    assert psu.read("input", 100, 1) == [777]
    psu.reset()
    assert psu.read("input", 100, 1) == [0]


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("nope", "1", "unknown register 'nope'"),
        ("7", "1", "address 7 names 0 registers; use a name"),
        ("voltage_setpoint", "x", "value must be an integer"),
        ("voltage_setpoint", "70000", "value must be 0-65535"),
    ],
)
def test_bad_set_commands(key: str, value: str, message: str) -> None:
    psu = device("power_supply")
    with pytest.raises(ValueError, match=message):
        psu.values.set_text(key, value)


def test_an_address_in_both_tables_needs_a_name() -> None:
    both = RegisterModel(
        parse_profile(
            {
                "name": "both",
                "registers": [
                    {"name": "setpoint", "address": 5, "table": "holding"},
                    {"name": "reading", "address": 5, "table": "input"},
                ],
            }
        )
    )
    with pytest.raises(ValueError, match="address 5 names 2 registers; use a name"):
        both.values.set_text("5", "1")
    both.values.set_text("reading", "3")
    assert both.read("input", 5, 1) == [3]


def test_noise_is_seeded_and_values_fit_sixteen_bits() -> None:
    profile = parse_profile(
        {
            "name": "noisy",
            "registers": [
                {"name": "reading", "address": 0, "table": "input", "default": 100, "noise": 5},
                {"name": "low", "address": 1, "table": "input", "default": 0, "noise": 50},
            ],
        }
    )
    first = RegisterModel(profile, seed=7)
    second = RegisterModel(profile, seed=7)
    readings = [first.read("input", 0, 2) for _ in range(50)]
    assert readings == [second.read("input", 0, 2) for _ in range(50)]
    assert len({r[0] for r in readings}) > 5
    assert all(0 <= low <= 0xFFFF for _, low in readings)
    other = RegisterModel(profile, seed=8)
    assert [other.read("input", 0, 2) for _ in range(50)] != readings


def test_profile_faults_apply_at_start_and_after_reset() -> None:
    data = yaml_profile(faults=["drift,dc_voltage,2"])
    dmm = RegisterModel(parse_profile(data))
    assert dmm.read("input", 100, 1) == [4982]
    dmm.reset()
    assert dmm.values.describe_faults() == "drift dc_voltage +2 per read"


def test_describe_lists_registers() -> None:
    listing = device("power_supply").describe().splitlines()
    assert listing[0] == "holding 0 voltage_setpoint = 0 (rw, 0-3000)"
    assert "holding 2 output_enable = 0 (rw, 0/1)" in listing
    assert "input 101 current_readback = 0 (ro, 0-65535)" in listing


def yaml_profile(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "dmm",
        "registers": [
            {"name": "dc_voltage", "address": 100, "table": "input", "default": 4980},
        ],
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"registers": []}, "registers: List should have at least 1 item"),
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"registers": [{"name": "x", "address": 1, "table": "coil"}]},
         "register 1 \\(x\\), field table: Input should be 'holding' or 'input'"),
        ({"registers": [{"name": "x", "address": 70000, "table": "input"}]},
         "register 1 \\(x\\), field address: Input should be less than or equal to 65535"),
        ({"registers": [{"name": "x", "address": 1, "table": "input", "access": "rw"}]},
         "input registers are read-only"),
        ({"registers": [{"name": "x", "address": 1, "table": "holding", "range": [5, 1]}]},
         "range low 5 is above high 1"),
        ({"registers": [{"name": "x", "address": 1, "table": "holding", "range": [0, 1],
                         "choices": [0]}]}, "either range or choices"),
        ({"registers": [{"name": "x", "address": 1, "table": "holding", "range": [1, 2]}]},
         "default 0 is not an accepted value"),
        ({"registers": [{"name": "x", "address": 1, "table": "holding", "derive": "1"}]},
         "only input registers can be derived"),
        ({"registers": [{"name": "x", "address": 1, "table": "input", "derive": "y + 1"}]},
         "derive uses unknown names \\['y'\\]"),
        ({"registers": [{"name": "a", "address": 1, "table": "input", "derive": "b"},
                        {"name": "b", "address": 2, "table": "input", "derive": "a"}]},
         "derive expressions form a loop: a -> b -> a"),
        ({"registers": [{"name": "a", "address": 1, "table": "input"},
                        {"name": "a", "address": 2, "table": "input"}]},
         "register names used twice: a"),
        ({"registers": [{"name": "a", "address": 1, "table": "input"},
                        {"name": "b", "address": 1, "table": "input"}]},
         "addresses used twice"),
        ({"parameters": {"min": 1}, "registers": [{"name": "min", "address": 1, "table": "input"}]},
         "names used for both a register and a parameter"),
        ({"registers": [{"name": "x", "address": 1, "table": "input", "derive": "x.y"}]},
         "not allowed in an expression: Attribute"),
    ],
)
def test_invalid_profiles_name_the_field(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        parse_profile(yaml_profile(**changes), "my.yaml")


def test_profile_files(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read"):
        load_profile(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: [unclosed\n")
    with pytest.raises(ProfileError, match=r"broken\.yaml: not valid YAML"):
        load_profile(broken)
    good = tmp_path / "mine.yaml"
    good.write_text("name: mine\nregisters:\n  - {name: r, address: 5, table: input, default: 9}\n")
    assert RegisterModel(resolve_profile(str(good))).read("input", 5, 1) == [9]


@pytest.mark.parametrize(
    ("source", "values", "result"),
    [
        ("a + b * 2", {"a": 1, "b": 3}, 7),
        ("max(a, 10) - abs(-2)", {"a": 1}, 8),
        ("round(a / 3)", {"a": 10}, 3),
        ("a > 1 and b < 1", {"a": 2, "b": 0}, 1),
        ("not a", {"a": 0}, 1),
        ("-a % 7", {"a": 1}, 6),
    ],
)
def test_expressions(source: str, values: dict[str, float], result: float) -> None:
    assert Expression(source).evaluate(values) == result


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("a +", "not a valid expression"),
        ("'text'", "only numbers are allowed as constants"),
        ("open(a)", "only min, max, abs and round can be called"),
        ("max(a, key=b)", "no keyword arguments"),
        ("_secret", "not allowed in an expression: _secret"),
        ("[a]", "not allowed in an expression: List"),
        ("lambda: 1", "not allowed in an expression: Lambda"),
    ],
)
def test_unsafe_or_broken_expressions_are_refused(source: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Expression(source)


def test_arithmetic_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="a / b: division by zero"):
        Expression("a / b").evaluate({"a": 1, "b": 0})
    assert repr(Expression("a")) == "Expression('a')"


def test_system_applies_response_faults_and_ignores_other_units() -> None:
    system = ModbusSystem("dmm", framing="custom")
    client = client_framer("custom")
    read = client.encode(ReadInputRegisters(1, 100, 1))
    assert system.system_fault("delay", "250", "2") == "ok"
    assert system.system_fault("drop", "3") == "ok"
    first, second, third = (system.parse_chunk(read) for _ in range(3))
    assert not isinstance(first[0], Reply)
    assert isinstance(second[0], Reply)
    assert second[0].delay_s == 0.25
    assert isinstance(third[0], Reply)
    assert third[0].close
    assert system.system_faults().splitlines() == [
        "delay 250 ms every 2nd response",
        "drop connection every 3rd response",
    ]
    assert system.system_clear_faults() == "ok"
    other_unit = client_framer("custom").encode(ReadInputRegisters(2, 100, 1))
    assert system.parse_chunk(other_unit) == []
    # byte by byte through parse(): True until the frame is complete
    results = [system.parse(read[i : i + 1]) for i in range(len(read))]
    assert results[:-1] == [True] * (len(read) - 1)
    assert isinstance(results[-1], bytes)
    assert system.system_reset() == "ok"
    assert "dc_voltage = 4980" in system.system_registers()


def test_system_rejects_an_unknown_framing() -> None:
    with pytest.raises(ValueError, match="unknown framing 'rtu'"):
        ModbusSystem("dmm", framing="rtu")


def test_writes_through_the_system_in_both_framings() -> None:
    for framing in ("custom", "modbus-tcp"):
        system = ModbusSystem("power_supply", framing=framing)
        client = client_framer(framing)
        client.feed(b"".join(system.parse_chunk(client.encode(WriteSingleRegister(1, 0, 1200)))))
        assert client.next_message() is not None
        assert system.model.read("holding", 0, 1) == [1200]
