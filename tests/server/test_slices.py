"""A client streaming garbage holds the System's lock a slice at a time, never a whole read.

The System here counts how often its lock is taken and records, for every
session ``feed``, which hold of the lock it ran in; the bytes parsed per
hold must stay within one slice, and a second client is answered correctly
while the first streams.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from simulators.common import ListeningSystem, Session
from simulators.host import SLICE, SystemHost
from simulators.server import make_server

#: Generous bound on every wait: the machine may be slow, never the feature.
BOUND = 60.0
_RLock: Any = type(threading.RLock())


class CountingRLock(_RLock):  # type: ignore[misc]
    """An RLock that counts its outermost acquisitions (a "hold")."""

    def __init__(self) -> None:
        super().__init__()
        self.holds = 0
        self.depth = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        acquired: bool = super().acquire(blocking, timeout)
        if acquired:
            self.depth += 1
            if self.depth == 1:
                self.holds += 1
        return acquired

    __enter__ = acquire

    def release(self) -> None:
        self.depth -= 1
        super().release()

    def __exit__(self, *_exc: object) -> None:
        self.release()

    # What threading.Condition uses to release and take back a held lock.
    def _release_save(self) -> tuple[Any, int]:
        depth, self.depth = self.depth, 0
        return super()._release_save(), depth

    def _acquire_restore(self, state: tuple[Any, int]) -> None:
        inner, depth = state
        super()._acquire_restore(inner)
        self.depth = depth
        self.holds += 1


class Recorder(ListeningSystem):
    """Ignores ``x``; answers ``!`` to every ``?``; records the lock hold of each feed.

    A ``G`` holds the parser until :attr:`gate` opens, so a test can fill the
    socket's buffers before the server reads them.
    """

    def __init__(self) -> None:
        self.counting = CountingRLock()
        self.lock = self.counting
        self.parsed: list[tuple[int, int]] = []  # (hold, bytes)
        self.gate = threading.Event()

    def open_session(self) -> Session:
        return RecorderSession(self)


class RecorderSession(Session):
    def __init__(self, recorder: Recorder) -> None:
        self.recorder = recorder

    def feed(self, data: bytes) -> list[bytes]:
        recorder = self.recorder
        if data.startswith(b"G"):
            recorder.gate.wait(BOUND)
            data = data[1:]
        recorder.parsed.append((recorder.counting.holds, len(data)))
        return [b"!"] * data.count(b"?")


@pytest.fixture
def served() -> Iterator[tuple[Recorder, tuple[str, int]]]:
    system = Recorder()
    server = make_server(
        SystemHost(system, lambda: None),
        "listening",
        ("127.0.0.1", 0),
        socketserver.ThreadingTCPServer,
    )
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield system, server.server_address[:2]
    server.shutdown()
    server.server_close()
    server.close_connections()


def test_a_megabyte_is_parsed_a_slice_per_hold_of_the_lock(
    served: tuple[Recorder, tuple[str, int]],
) -> None:
    system, address = served
    flood = b"x" * (1 << 20) + b"?"
    with socket.create_connection(address, timeout=BOUND) as streamer:
        streamer.sendall(b"G")
        # Fill the kernel's buffers while the server is held, so its next reads are full.
        streamer.setblocking(False)
        sent = 0
        try:
            while sent < len(flood):
                sent += streamer.send(flood[sent:])
        except BlockingIOError:
            pass
        streamer.settimeout(BOUND)
        system.gate.set()
        streamer.sendall(flood[sent:])
        assert streamer.recv(1) == b"!"  # everything before it was parsed
    per_hold = Counter[int]()
    for hold, size in system.parsed:
        per_hold[hold] += size
    assert sum(per_hold.values()) == (1 << 20) + 1
    assert max(per_hold.values()) <= SLICE


def test_a_client_is_answered_while_another_streams_garbage(
    served: tuple[Recorder, tuple[str, int]],
) -> None:
    _system, address = served
    garbage = b"x" * (1 << 16)
    stop = threading.Event()
    streamed = [0]

    def stream() -> None:
        with socket.create_connection(address, timeout=BOUND) as streamer:
            while not stop.is_set():
                streamer.sendall(garbage)
                streamed[0] += len(garbage)
            streamer.sendall(b"?")
            assert streamer.recv(1) == b"!"

    streaming = threading.Thread(target=stream)
    streaming.start()
    try:
        with socket.create_connection(address, timeout=BOUND) as client:
            for _ in range(50):
                client.sendall(b"?")
                assert client.recv(1) == b"!"
    finally:
        stop.set()
        streaming.join(BOUND)
    assert not streaming.is_alive()
    assert streamed[0] > 0
