"""Random bytes never break the engine, and its buffers stay bounded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from .toy import Toy, build

LIMIT = 64
QUEUE = 5

# Fragments that reach deep into the parser, mixed with arbitrary bytes.
FRAGMENTS = st.sampled_from(
    [
        b"VOLT",
        b"VOLT?",
        b":SOUR",
        b"OUTP2",
        b" ",
        b";",
        b":",
        b",",
        b"?",
        b"\n",
        b"\r\n",
        b"*IDN?",
        b"*ESE ",
        b"*STB?",
        b"SYST:ERR?",
        b"MAX",
        b" 5 mV",
        b"#H1F",
        b"'",
        b'"',
        b"(",
        b")",
        b"1e999",
        b"ON",
        b"DISP:TEXT ",
        b"MEAS:VOLT? ",
        b"\xff",
        b"\x00",
    ]
)
CHUNKS = st.lists(st.one_of(st.binary(max_size=40), FRAGMENTS), max_size=40)


@settings(max_examples=300, deadline=None)
@given(CHUNKS)
def test_random_streams_never_raise_and_stay_bounded(chunks: list[bytes]) -> None:
    engine = build(Toy(), max_line=LIMIT, queue_size=QUEUE)
    for chunk in chunks:
        replies = engine.feed(chunk)
        assert engine.buffered <= LIMIT
        assert len(engine.errors) <= QUEUE
        assert all(reply.endswith(b"\n") and reply.count(b"\n") == 1 for reply in replies)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.integers(min_value=1, max_value=7))
def test_split_points_do_not_change_the_replies(data: bytes, step: int) -> None:
    whole = build(Toy(), max_line=LIMIT).feed(data)
    pieces = build(Toy(), max_line=LIMIT)
    split = [r for i in range(0, len(data), step) for r in pieces.feed(data[i : i + step])]
    assert split == whole
