"""The dut's error codes: refused commands (E1xx), device faults by the part that failed (E2xx)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.devices.dut import DutSystem
from simulators.devices.dut.errors import CATALOGUE, FailureKind
from tests.devices.dut_helpers import custom

DOC = Path(__file__).resolve().parents[2] / "doc" / "dut.rst"

#: What each command answers when the unit fails it: written out here, not read from the table.
FAULT_REPLIES = {
    "POWER ON": "ERR E201 power stage did not start",
    "POWER?": "ERR E201 power stage did not start",
    "*IDN?": "ERR E202 communication error",
    "*RST": "ERR E202 communication error",
    "STATUS?": "ERR E202 communication error",
    "LOAD?": "ERR E202 communication error",
    "LOAD 0.5": "ERR E203 electronic load fault",
    "MEAS:VOLT?": "ERR E210 voltage reading unstable",
    "MEAS:CURR?": "ERR E211 current reading unstable",
    "MEAS:TEMP?": "ERR E212 temperature sensor not responding",
}

ERROR_LINE = re.compile(r"ERR (E\d{3}) \S.*")


@pytest.mark.parametrize(("command", "reply"), FAULT_REPLIES.items())
def test_a_device_fault_names_the_part_that_failed(command, reply):
    dut = DutSystem()
    dut.system_fail_next("1")
    assert dut.execute(command) == reply
    assert dut.execute(command.lower()) != reply  # one forced failure, then the unit answers


def test_every_command_of_the_dut_has_a_fault_code():
    headers = {command.split()[0] for command in FAULT_REPLIES}
    assert headers == {"POWER", "POWER?", "*IDN?", "*RST", "STATUS?", "LOAD?", "LOAD"} | {
        "MEAS:VOLT?",
        "MEAS:CURR?",
        "MEAS:TEMP?",
    }
    dut = DutSystem()
    assert all(not dut.execute(command).startswith("ERR") for command in FAULT_REPLIES)


def test_a_failed_request_changes_nothing():
    dut = DutSystem()
    dut.execute("LOAD 0.25")
    dut.system_fail_next("3")
    assert dut.execute("POWER ON").startswith("ERR E201 ")
    assert dut.execute("LOAD 1").startswith("ERR E203 ")
    assert dut.execute("*RST").startswith("ERR E202 ")
    assert (dut.execute("POWER?"), dut.execute("LOAD?")) == ("OFF", "0.250")
    dut.execute("POWER ON")
    dut.system_fail_next("1")
    assert dut.execute("*RST").startswith("ERR E202 ")
    assert dut.execute("POWER?") == "ON"  # the failed *RST did not switch it off


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ("VOLT?", "E100"),
        ("POWER MAYBE", "E101"),
        ("LOAD one", "E101"),
        ("LOAD 2.01", "E102"),
        ("LOAD -0.1", "E102"),
    ],
)
def test_a_refused_command_has_its_own_code_and_keeps_its_reason(command, code):
    reply = DutSystem().execute(command)
    assert reply.startswith(f"ERR {code} ")
    assert command.split()[-1] in reply  # the reply says what was wrong with it


def test_a_fault_comes_before_the_argument_is_checked():
    dut = DutSystem()
    dut.system_fail_next("2")
    assert dut.execute("LOAD 9") == "ERR E203 electronic load fault"
    assert dut.execute("POWER MAYBE") == "ERR E201 power stage did not start"
    assert dut.execute("LOAD 9").startswith("ERR E102 ")


def test_the_catalogue_is_one_consistent_table():
    codes = [error.code for error in CATALOGUE]
    assert codes == sorted(set(codes))
    assert all(re.fullmatch(r"E\d{3}", code) for code in codes)
    for error in CATALOGUE:
        expected = FailureKind.REFUSED if error.code < "E200" else FailureKind.DEVICE_FAULT
        assert error.kind is expected, error
        assert bool(error.commands) == (error.kind is FailureKind.DEVICE_FAULT), error
    commands = [command for error in CATALOGUE for command in error.commands]
    assert len(commands) == len(set(commands))  # a command fails with one code only


def documented_rows() -> list[tuple[str, str, str, str]]:
    """The rows of doc/dut.rst's error-code table: code, kind, text, when."""
    text = DOC.read_text(encoding="utf-8")
    rows = re.findall(
        r"^   \* - ``(E\d{3})``\n     - (.+)\n     - (.+)\n     - ((?:.+\n)(?:       .+\n)*)",
        text,
        re.MULTILINE,
    )
    return [(code, kind, meaning, " ".join(when.split())) for code, kind, meaning, when in rows]


def test_the_documented_table_is_the_catalogue():
    rows = documented_rows()
    assert [(code, kind, text) for code, kind, text, _ in rows] == [
        (error.code, error.kind.value, error.text) for error in CATALOGUE
    ]
    for (code, _kind, _text, when), error in zip(rows, CATALOGUE, strict=True):
        for command in error.commands:
            assert f"``{command}``" in when, (code, command)


@settings(max_examples=80, deadline=None)
@given(
    lines=st.lists(
        st.one_of(
            st.sampled_from([*FAULT_REPLIES, "LOAD 3", "LOAD x", "POWER 2", "NOPE", "MEAS:VOLT"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20),
        ),
        max_size=30,
    ),
    seed=st.integers(0, 2**16),
)
def test_every_error_reply_carries_a_catalogue_code_of_the_right_kind(lines, seed):
    known = {error.code: error.kind for error in CATALOGUE}
    dut = DutSystem(profile="factory-flaky", seed=seed)
    dut.system_set_profile("factory-flaky", "0.3")
    for line in lines:
        reply = dut.execute(line)
        if not reply.startswith("ERR"):
            continue
        found = ERROR_LINE.fullmatch(reply)
        assert found, reply
        assert found[1] in known, reply
        header = line.strip().partition(" ")[0].upper()
        unknown = header not in {command.split()[0] for command in FAULT_REPLIES}
        assert (found[1] == "E100") == unknown, (line, reply)


def test_consecutive_faults_each_name_their_own_part():
    dut = DutSystem()
    assert custom(dut, "fail_next", 4) == "ok"
    replies = [dut.execute(query) for query in ("MEAS:VOLT?", "MEAS:CURR?", "MEAS:TEMP?", "LOAD?")]
    assert [reply.split()[1] for reply in replies] == ["E210", "E211", "E212", "E202"]
    assert not dut.execute("MEAS:VOLT?").startswith("ERR")
