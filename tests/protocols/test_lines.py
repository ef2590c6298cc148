"""The bounded line framer: tables of (bytes fed, lines out), and any cut of a stream."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.protocols.lines import TOO_LONG, LineFramer, Overflow

LIMIT = 8

CASES = [
    # (what is fed, one feed at a time; what each feed returns)
    ([b"*IDN?\n"], [[b"*IDN?"]]),
    ([b"A\r\nB\n"], [[b"A\r", b"B"]]),  # a CR is kept for the protocol to strip
    ([b"\n\n"], [[b"", b""]]),  # empty lines are lines
    ([b"VO", b"LT", b"?\n"], [[], [], [b"VOLT?"]]),
    ([b"X" * LIMIT + b"\n"], [[b"X" * LIMIT]]),  # exactly the bound: kept
    ([b"X" * (LIMIT + 1) + b"\nOK\n"], [[TOO_LONG, b"OK"]]),  # one over: dropped
    ([b"X" * LIMIT, b"X\nOK\n"], [[], [TOO_LONG, b"OK"]]),  # over across two feeds
    ([b"X" * (LIMIT + 1), b"XX", b"X\nOK\n"], [[TOO_LONG], [], [b"OK"]]),  # reported once
    ([b"OK\n" + b"X" * (LIMIT + 1)], [[b"OK", TOO_LONG]]),  # after the lines before it
    ([b"X" * (LIMIT + 1) + b"\n" + b"Y" * (LIMIT + 1) + b"\n"], [[TOO_LONG, TOO_LONG]]),
]


@pytest.mark.parametrize(("feeds", "outputs"), CASES)
def test_lines_and_overflows_come_out_in_order(
    feeds: list[bytes], outputs: list[list[bytes | Overflow]]
) -> None:
    framer = LineFramer(LIMIT)
    assert [framer.feed(data) for data in feeds] == outputs


def test_buffered_and_clear() -> None:
    framer = LineFramer(LIMIT)
    assert framer.feed(b"*ID") == []
    assert framer.buffered == 3
    framer.clear()
    assert framer.buffered == 0
    assert framer.feed(b"N?\n") == [b"N?"]
    assert framer.feed(b"X" * (LIMIT + 1)) == [TOO_LONG]
    framer.clear()  # the overlong line is forgotten too
    assert framer.feed(b"OK\n") == [b"OK"]


def test_a_bound_below_one_byte_is_refused() -> None:
    with pytest.raises(ValueError, match="max_line must be at least one byte"):
        LineFramer(0)


def reference(data: bytes, limit: int) -> list[bytes | Overflow]:
    """What the framer must return for ``data`` fed whole: the lines, each checked."""
    *lines, rest = data.split(b"\n")
    out: list[bytes | Overflow] = [TOO_LONG if len(line) > limit else line for line in lines]
    if len(rest) > limit:
        out.append(TOO_LONG)
    return out


@settings(max_examples=200, deadline=None)
@given(
    lines=st.lists(st.binary(max_size=2 * LIMIT).map(lambda b: b.replace(b"\n", b"")), max_size=12),
    cuts=st.lists(st.integers(0, 400), max_size=8),
)
def test_any_cut_of_a_stream_gives_the_same_lines(lines: list[bytes], cuts: list[int]) -> None:
    data = b"\n".join(lines)
    framer = LineFramer(LIMIT)
    out: list[bytes | Overflow] = []
    edges = sorted({0, len(data), *(cut for cut in cuts if cut < len(data))})
    for start, end in itertools.pairwise(edges):
        out.extend(framer.feed(data[start:end]))
    assert out == reference(data, LIMIT)
    assert framer.buffered <= LIMIT
