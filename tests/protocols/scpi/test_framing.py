"""Bytes to program messages: terminators, partial lines, bounds."""

from __future__ import annotations

import pytest

from simulators.protocols.scpi import ScpiEngine

from .toy import IDN, Toy, build, drain, run

IDN_LINE = f"{IDN}\n".encode()


def test_partial_lines_wait_for_their_newline(engine: ScpiEngine) -> None:
    assert engine.feed(b"VOL") == []
    assert engine.buffered == 3
    assert engine.feed(b"T 5\nVOLT") == []
    assert engine.feed(b"?\n") == [b"+5.00000000E+00\n"]
    assert engine.buffered == 0


def test_one_byte_at_a_time(engine: ScpiEngine) -> None:
    replies = [reply for byte in b"*IDN?\r\n*OPC?\n" for reply in engine.feed(bytes([byte]))]
    assert replies == [IDN_LINE, b"1\n"]


@pytest.mark.parametrize(
    ("data", "replies"),
    [
        (b"*IDN?\r\n", [IDN_LINE]),
        (b"*IDN?\n*IDN?\n", [IDN_LINE, IDN_LINE]),
        (b"  *IDN? \t\n", [IDN_LINE]),
        (b"*IDN?\x00\n", [IDN_LINE]),
        (b"\n\r\n  \n\t\n", []),
        (b"*IDN? ; *OPC? \r\n", [f"{IDN};1\n".encode()]),
    ],
)
def test_terminators_and_white_space(engine: ScpiEngine, data: bytes, replies: list[bytes]) -> None:
    assert run(engine, data) == (replies, [])


def test_non_ascii_bytes_are_an_invalid_character(engine: ScpiEngine) -> None:
    assert run(engine, b"VOLT \xff\n*OPC?\n") == ([b"1\n"], [-101])


def test_oversized_line_in_one_feed_is_dropped() -> None:
    engine = build(Toy(), max_line=16)
    data = b"VOLT " + b"1" * 20 + b"\n*IDN?\n"
    assert run(engine, data) == ([IDN_LINE], [-223])


def test_line_of_exactly_the_limit_is_kept() -> None:
    engine = build(Toy(), max_line=16)
    assert run(engine, b"VOLT 00000000005\nVOLT?\n") == ([b"+5.00000000E+00\n"], [])


def test_oversized_partial_line_is_dropped_up_to_its_newline() -> None:
    engine = build(Toy(), max_line=16)
    assert run(engine, b"X" * 10) == ([], [])
    assert run(engine, b"X" * 10) == ([], [-223])
    assert engine.buffered == 0
    assert run(engine, b"X" * 100) == ([], [])  # one error per oversized line
    assert engine.buffered == 0
    assert run(engine, b"XX\n*IDN?\n") == ([IDN_LINE], [])


def test_default_limit_is_64_kib(engine: ScpiEngine) -> None:
    engine.feed(b"A" * (64 * 1024))
    assert drain(engine) == []
    engine.feed(b"A")
    assert drain(engine) == [-223]


def test_device_clear_drops_partial_input() -> None:
    engine = build(Toy(), max_line=16)
    engine.feed(b"VOLT 5")
    engine.device_clear()
    assert engine.buffered == 0
    engine.feed(b"X" * 20)
    engine.device_clear()
    assert run(engine, b"*IDN?\n") == ([IDN_LINE], [-223])
