"""What an ordering group learns by peeking at a connection, and what it must not take away."""

from __future__ import annotations

import select
import socket
import struct
import time
from collections.abc import Iterator

import pytest

from simulators.ordering import SO_TIMESTAMPNS, Member

WAIT = 30.0  # a hang guard, never a budget


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    """A client and the server side of its loopback connection, stamped as our servers are."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        client = socket.create_connection(listener.getsockname(), timeout=WAIT)
        server, _ = listener.accept()
    with client, server:
        yield client, server


def readable(sock: socket.socket) -> None:
    assert select.select([sock], [], [], WAIT)[0], "nothing arrived"


def test_the_stamp_of_unread_bytes_is_kept_until_they_are_read(pair) -> None:
    client, server = pair
    member = Member(server)
    assert member.arrived() is None  # nothing to read yet
    before = time.time_ns()
    client.sendall(b"OUTP ON\n")
    readable(server)
    first = member.arrived()
    assert first is not None
    assert before - 1_000_000 <= first <= time.time_ns()  # the kernel's receive time
    client.sendall(b"MEAS?\n")  # may be merged into the unread segment and restamp it
    time.sleep(0.01)
    assert member.arrived() == first  # the first answer stands until the bytes are read


def test_an_end_of_stream_holds_no_request(pair) -> None:
    client, server = pair
    client.shutdown(socket.SHUT_WR)
    readable(server)
    member = Member(server)
    assert member.arrived() is None
    assert member.error is None
    assert server.recv(10) == b""


def test_a_reset_taken_by_a_peek_is_kept_for_the_reader(pair) -> None:
    client, server = pair
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # a reset, not an orderly end
    readable(server)
    member = Member(server)
    assert member.arrived() is None
    assert isinstance(member.error, ConnectionResetError)
    # The kernel reports a reset once: the reader now sees an end of stream, which is
    # why the handler ends the connection on member.error instead.
    assert server.recv(10) == b""
