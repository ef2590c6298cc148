"""Properties over generated messages and streams: round trips, CRC, robustness, bounds."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from simulators.protocols.modbus import (
    ClientFramer,
    CustomClientFramer,
    CustomServerFramer,
    MbapClientFramer,
    MbapServerFramer,
    ModbusProtocolError,
    ReadHoldingRegisters,
    Request,
    Response,
    ServerFramer,
    crc16_modbus,
)

from .helpers import drain, request_for, requests, responses

SETTINGS = settings(deadline=None, max_examples=200)
FEW = settings(deadline=None, max_examples=60)


def _with_tid(request: Request, tid: int | None) -> Request:
    return dataclasses.replace(request, transaction_id=tid)


# Round trips: what one side encodes, the other decodes to the same message.


@SETTINGS
@given(requests(tcp=False))
def test_custom_requests_round_trip(request):
    server = CustomServerFramer()
    server.feed(CustomClientFramer().encode(request))
    assert drain(server) == [request]
    assert server.buffered == 0


@SETTINGS
@given(responses(tcp=False))
def test_custom_responses_round_trip(response):
    client = CustomClientFramer()
    client.encode(request_for(response))
    client.feed(CustomServerFramer().encode(response))
    assert drain(client) == [response]
    assert client.buffered == 0


@SETTINGS
@given(requests(tcp=True))
def test_mbap_requests_round_trip(request):
    server = MbapServerFramer()
    server.feed(MbapClientFramer().encode(request))
    assert drain(server) == [request]
    assert server.buffered == 0


@SETTINGS
@given(requests(tcp=True))
def test_mbap_requests_without_transaction_id_get_one(request):
    server = MbapServerFramer()
    server.feed(MbapClientFramer().encode(_with_tid(request, None)))
    assert drain(server) == [_with_tid(request, 1)]


@SETTINGS
@given(responses(tcp=True))
def test_mbap_responses_round_trip(response):
    client = MbapClientFramer()
    client.encode(_with_tid(request_for(response), response.transaction_id))
    client.feed(MbapServerFramer().encode(response))
    assert drain(client) == [response]
    assert client.buffered == 0


# The CRC catches any single-bit error in a custom frame.


def _flip(data: bytes, bit: int) -> bytes:
    index, mask = divmod(bit, 8)
    return data[:index] + bytes((data[index] ^ (1 << mask),)) + data[index + 1 :]


@SETTINGS
@given(requests(tcp=False) | responses(tcp=False), st.data())
def test_every_single_bit_flip_in_a_custom_frame_fails_the_crc(message, data):
    if isinstance(message, Request):
        wire = CustomClientFramer().encode(message)
    else:
        wire = CustomServerFramer().encode(message)
    frames = [wire[start : start + 8] for start in range(0, len(wire), 8)]
    for frame in frames:
        assert crc16_modbus(frame) == 0
        assert all(crc16_modbus(_flip(frame, bit)) for bit in range(64))
    # and the decoders say so: the damaged frame is reported, never decoded
    frame = data.draw(st.sampled_from(frames))
    damaged = _flip(frame, data.draw(st.integers(0, 63)))
    for framer in (CustomServerFramer(), CustomClientFramer()):
        framer.feed(damaged)
        [error] = drain(framer)
        assert isinstance(error, ModbusProtocolError)
        assert (error.reason, error.dropped) == ("bad CRC", damaged)


# Streams: valid frames mixed with junk and damage, fed in arbitrary chunks.
# Nothing but ModbusProtocolError escapes, the buffer stays bounded, and every
# byte fed is accounted for: in a decoded message, in an error, or buffered.


def _encoder(framer: ServerFramer | ClientFramer):
    """Re-encode what ``framer`` decoded, to count its bytes."""
    if isinstance(framer, CustomServerFramer):
        return CustomClientFramer().encode
    if isinstance(framer, MbapServerFramer):
        return MbapClientFramer().encode
    if isinstance(framer, CustomClientFramer):
        return CustomServerFramer().encode
    return MbapServerFramer().encode


def _feed_in_chunks(framer, stream: bytes, chunks: list[int]):
    encode = _encoder(framer)
    decoded = dropped = 0
    messages = []
    position = 0
    for size in [*chunks, len(stream)]:
        framer.feed(stream[position : position + size])
        position += size
        for outcome in drain(framer):
            if isinstance(outcome, ModbusProtocolError):
                assert outcome.dropped
                dropped += len(outcome.dropped)
            else:
                messages.append(outcome)
                decoded += len(encode(outcome))
        assert framer.buffered <= framer.max_buffered
        if position >= len(stream):
            break
    assert decoded + dropped + framer.buffered == len(stream)
    return messages


def _damage(data: st.DataObject, stream: bytes) -> bytes:
    for _ in range(data.draw(st.integers(0, 3))):
        if not stream:
            break
        at = data.draw(st.integers(0, len(stream) - 1))
        match data.draw(st.sampled_from(("flip", "drop", "insert"))):
            case "flip":
                stream = _flip(stream, 8 * at + data.draw(st.integers(0, 7)))
            case "drop":
                stream = stream[:at] + stream[at + 1 :]
            case _:
                stream = stream[:at] + data.draw(st.binary(min_size=1, max_size=9)) + stream[at:]
    return stream


chunk_sizes = st.lists(st.integers(1, 40), max_size=30)


def _stream_test(framer, pieces, tcp: bool, data: st.DataObject, chunks):
    if isinstance(framer, ClientFramer):
        for piece in pieces:
            if isinstance(piece, Response):
                tid = piece.transaction_id
                framer.encode(_with_tid(request_for(piece), tid))
    server = MbapServerFramer() if tcp else CustomServerFramer()
    client = MbapClientFramer() if tcp else CustomClientFramer()
    stream = b"".join(
        piece
        if isinstance(piece, bytes)
        else server.encode(piece)
        if isinstance(piece, Response)
        else client.encode(piece)
        for piece in pieces
    )
    _feed_in_chunks(framer, _damage(data, stream), chunks)


@SETTINGS
@given(st.lists(requests(tcp=False) | st.binary(max_size=30), max_size=8), chunk_sizes, st.data())
def test_custom_server_survives_any_stream(pieces, chunks, data):
    _stream_test(CustomServerFramer(), pieces, False, data, chunks)


@SETTINGS
@given(st.lists(responses(tcp=False) | st.binary(max_size=30), max_size=8), chunk_sizes, st.data())
def test_custom_client_survives_any_stream(pieces, chunks, data):
    _stream_test(CustomClientFramer(), pieces, False, data, chunks)


@SETTINGS
@given(st.lists(requests(tcp=True) | st.binary(max_size=30), max_size=8), chunk_sizes, st.data())
def test_mbap_server_survives_any_stream(pieces, chunks, data):
    _stream_test(MbapServerFramer(), pieces, True, data, chunks)


@SETTINGS
@given(st.lists(responses(tcp=True) | st.binary(max_size=30), max_size=8), chunk_sizes, st.data())
def test_mbap_client_survives_any_stream(pieces, chunks, data):
    _stream_test(MbapClientFramer(), pieces, True, data, chunks)


FRAMERS = st.sampled_from(
    (CustomServerFramer, CustomClientFramer, MbapServerFramer, MbapClientFramer)
)


@SETTINGS
@given(FRAMERS, st.binary(max_size=3000), chunk_sizes)
def test_random_bytes_only_raise_protocol_errors_and_stay_bounded(framer_class, stream, chunks):
    _feed_in_chunks(framer_class(), stream, chunks)


# After junk, the next good frames are found again.

CUSTOM_GOOD = bytes.fromhex("01 03 00 64 00 02 85 d4")
MBAP_GOOD = bytes.fromhex("12 34 00 00 00 06 01 03 01 02 00 03")


@FEW
@given(st.binary(max_size=600), st.integers(2, 4))
def test_custom_server_recovers_after_junk(junk, copies):
    # junk may hide the first copy (a false CRC match across its start), never the last
    messages = _feed_in_chunks(CustomServerFramer(), junk + CUSTOM_GOOD * copies, [])
    assert messages[-1] == ReadHoldingRegisters(1, 100, 2)


@FEW
@given(st.binary(max_size=600))
def test_mbap_server_recovers_after_junk(junk):
    # enough copies to outlast a plausible-looking header in the junk (<= 260 bytes)
    messages = _feed_in_chunks(MbapServerFramer(), junk + MBAP_GOOD * 25, [])
    assert messages[-1] == ReadHoldingRegisters(1, 0x0102, 3, transaction_id=0x1234)
