"""The dut System without sockets: its line protocol through sessions, bytes or chunks."""

from __future__ import annotations

import logging
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.devices.dut import IDENTITY, MAX_LINE, DutSystem, System
from tests.devices.dut_helpers import (
    feed_bytes,
    feed_chunks,
)

# -- the System without sockets ----------------------------------------------------


def test_identity_and_case_insensitive_headers():
    dut = DutSystem()
    assert dut.execute("*IDN?") == IDENTITY == "SIMULATORS,DUT-1000,SN0001,1.0"
    assert dut.execute("  *idn?  ") == IDENTITY
    assert dut.execute("power on") == "OK"
    assert dut.execute("Power?") == "ON"


@pytest.mark.parametrize(
    ("argument", "state"), [("ON", "ON"), ("off", "OFF"), ("1", "ON"), ("0", "OFF")]
)
def test_power_switches_the_output(argument, state):
    dut = DutSystem()
    dut.execute("POWER ON" if state == "OFF" else "POWER OFF")
    assert dut.execute(f"POWER {argument}") == "OK"
    assert dut.execute("POWER?") == state


def test_load_and_measurements():
    dut = DutSystem()
    assert dut.execute("POWER?") == "OFF"
    assert dut.execute("LOAD?") == "0.000"
    assert dut.execute("LOAD 1.5") == "OK"
    assert dut.execute("LOAD?") == "1.500"
    assert float(dut.execute("MEAS:VOLT?")) == pytest.approx(0.0, abs=0.01)  # still off
    assert float(dut.execute("MEAS:CURR?")) == pytest.approx(0.0, abs=0.003)
    dut.execute("POWER ON")
    volt, curr, temp = (dut.execute(f"MEAS:{q}?") for q in ("VOLT", "CURR", "TEMP"))
    assert re.fullmatch(r"\d\.\d{4}", volt)
    assert re.fullmatch(r"\d\.\d{4}", curr)
    assert re.fullmatch(r"\d+\.\d{2}", temp)
    assert float(volt) == pytest.approx(5.0 - 0.05 * 1.5, abs=0.012)
    assert float(curr) == pytest.approx(1.5, abs=0.003)
    assert float(temp) == pytest.approx(25.0 + 8.0 * 4.925 * 1.5, abs=0.3)


def test_status_reports_every_quantity_and_the_profile():
    dut = DutSystem()
    assert dut.execute("STATUS?") == (
        "POWER=OFF LOAD=0.000 VOLT=0.0000 CURR=0.0000 TEMP=25.00 PROFILE=clean"
    )
    dut.execute("POWER ON")
    dut.execute("LOAD 2")
    assert dut.execute("status?") == (
        "POWER=ON LOAD=2.000 VOLT=4.9000 CURR=2.0000 TEMP=103.40 PROFILE=clean"
    )


def test_rst_switches_off_and_unloads():
    dut = DutSystem()
    dut.execute("POWER ON")
    dut.execute("LOAD 1")
    assert dut.execute("*RST") == "OK"
    assert (dut.execute("POWER?"), dut.execute("LOAD?")) == ("OFF", "0.000")


@pytest.mark.parametrize(
    ("line", "reply"),
    [
        ("FOO", "ERR E100 unknown command 'FOO'; try *IDN?, POWER ON, LOAD 0.1, MEAS:VOLT?"),
        ("MEAS:VOLTAGE?", "ERR E100 unknown command 'MEAS:VOLTAGE?'; try *IDN?"),
        ("", "ERR E100 unknown command ''"),
        ("POWER MAYBE", "ERR E101 POWER takes ON or OFF, got 'MAYBE'"),
        ("POWER", "ERR E101 POWER takes ON or OFF, got ''"),
        ("LOAD abc", "ERR E101 LOAD takes a current in amperes, got 'abc'"),
        ("LOAD", "ERR E101 LOAD takes a current in amperes, got ''"),
        ("LOAD 2.5", "ERR E102 load must be between 0 and 2 A, got 2.5"),
        ("LOAD -1", "ERR E102 load must be between 0 and 2 A, got -1"),
        ("LOAD nan", "ERR E102 load must be between 0 and 2 A, got nan"),
    ],
)
def test_unknown_commands_and_bad_values_answer_one_err_line(line, reply):
    dut = DutSystem()
    dut.execute("LOAD 0.5")
    answer = dut.execute(line)
    assert answer.startswith(reply)
    assert "\n" not in answer
    assert dut.execute("LOAD?") == "0.500"  # nothing changed


def test_a_session_answers_one_line_per_command():
    dut = DutSystem()
    replies, dropped = feed_bytes(dut, b"*IDN?\nPOWER ON\r\n\n  \nPOWER?\nLOAD")
    assert replies == [IDENTITY.encode() + b"\n", b"OK\n", b"ON\n"]
    assert dropped == 0
    session = dut.open_session()
    assert session.feed(b"LOAD") == []
    assert session.feed(b" 1") == []
    assert session.feed(b"\n") == [b"OK\n"]
    assert session.feed(b"\n") == []  # an empty line is not answered


def test_each_session_keeps_its_own_partial_line():
    dut = DutSystem()
    first, second = dut.open_session(), dut.open_session()
    assert first.feed(b"POWER") == []
    assert second.feed(b"*IDN?\nLOAD?") == [IDENTITY.encode() + b"\n"]
    assert first.feed(b" ON\n") == [b"OK\n"]
    assert second.feed(b"\n") == [b"0.000\n"]
    first.close()  # nothing to release: harmless


def test_parse_chunk_is_one_conversation_and_parse_one_byte_of_it():
    dut = DutSystem()
    assert dut.parse_chunk(b"POWER O") == []
    assert dut.parse(b"N") is True
    assert dut.parse(b"\n") == b"OK\n"


VALID_LINES = [
    "*IDN?", "*idn?", "POWER ON", "power off", "POWER 1", "POWER?", "LOAD 0.5", "load 1.25",
    "LOAD?", "MEAS:VOLT?", "meas:curr?", "MEAS:TEMP?", "STATUS?", "*RST",
]  # fmt: skip
INVALID_LINES = ["LOAD 3", "LOAD abc", "POWER MAYBE", "FOO", "", "   ", "MEAS:VOLT"]

line_strategy = st.one_of(
    st.sampled_from(VALID_LINES).map(str.encode),
    st.sampled_from(INVALID_LINES).map(str.encode),
    st.binary(max_size=40).map(lambda data: data.replace(b"\n", b"")),
)


@st.composite
def split_streams(draw):
    lines = draw(st.lists(line_strategy, max_size=25))
    endings = draw(st.lists(st.sampled_from([b"\n", b"\r\n"]), min_size=len(lines)))
    data = b"".join(line + end for line, end in zip(lines, endings, strict=False))
    data += draw(st.sampled_from([b"", b"POW", b"*ID"]))  # maybe a partial last line
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=10)))
    return data, cuts


@settings(max_examples=60, deadline=None)
@given(stream=split_streams(), seed=st.integers(0, 2**16))
def test_bytes_one_at_a_time_and_any_chunks_give_identical_replies(stream, seed):
    data, cuts = stream
    by_byte = System(system_type="factory-flaky", seed=seed)
    by_chunk = System(system_type="factory-flaky", seed=seed)
    byte_session, chunk_session = by_byte.open_session(), by_chunk.open_session()
    replies = [
        reply for index in range(len(data)) for reply in byte_session.feed(data[index : index + 1])
    ]
    chunked = []
    for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True):
        chunked.extend(chunk_session.feed(data[start:end]))
    assert chunked == replies
    assert all(reply.endswith(b"\n") and reply.count(b"\n") == 1 for reply in replies)
    # the partial last line waits in both
    assert byte_session.feed(b"\n") == chunk_session.feed(b"\n")


def test_line_of_max_length_is_answered():
    line = b"X" * MAX_LINE + b"\n"
    replies, dropped = feed_bytes(DutSystem(), line)
    assert dropped == 0
    assert len(replies) == 1
    assert replies[0].startswith(b"ERR E100 unknown command 'XXX")
    assert DutSystem().parse_chunk(line) == replies


def test_a_line_one_byte_too_long_is_dropped_once_and_the_next_answered(caplog):
    data = b"X" * (MAX_LINE + 1) + b"\n*IDN?\n"
    replies, dropped = feed_bytes(DutSystem(), data)
    assert dropped == 1
    assert replies == [IDENTITY.encode() + b"\n"]
    with caplog.at_level(logging.WARNING):
        assert DutSystem().parse_chunk(data) == replies
    assert f"command line longer than {MAX_LINE} bytes dropped" in caplog.text


def test_parse_chunk_drops_an_unfinished_line_one_byte_too_long():
    dut = DutSystem()
    assert dut.parse_chunk(b"X" * (MAX_LINE + 1)) == []
    assert dut.parse_chunk(b"\n*IDN?\n") == [IDENTITY.encode() + b"\n"]


@pytest.mark.parametrize("mode", ["byte by byte", "parse_chunk whole", "chunks of 100"])
def test_an_overlong_line_is_dropped_whole_and_the_next_line_answered(mode):
    data = b"X" * (3 * MAX_LINE) + b"\n*IDN?\n"
    dut = DutSystem()
    if mode == "byte by byte":
        replies, dropped = feed_bytes(dut, data)
        assert dropped == 1
    elif mode == "parse_chunk whole":
        replies = dut.parse_chunk(data)
    else:
        replies = feed_chunks(dut, data, 100)
    assert replies == [IDENTITY.encode() + b"\n"]


def test_replies_stay_ascii_for_non_ascii_input():
    (reply,) = DutSystem().parse_chunk(b"\xffOO\n")
    assert reply.startswith(b"ERR E100 unknown command")
    reply.decode("ascii")
