"""Test plugin: a length-prefixed binary device, a streaming device and a greeter.

Frame: 0xA5, length N, N payload bytes. The reply is 0x5A, N, the payload
reversed (or inverted, after ``$system_invert%``). A payload starting with
``SLOW`` is answered after 1 s; ``HANGUP`` closes the connection instead.
"""

from __future__ import annotations

import logging
import queue
import time
from socketserver import ThreadingTCPServer, ThreadingUDPServer

from simulators.common import ListeningSystem, Publisher, Reply, SendingSystem, ServerSpec, Session
from simulators.utils import SimulatedClock

HEADER = 0xA5

logger = logging.getLogger(__name__)


class FrameSystem(ListeningSystem, SendingSystem):
    """Answers length-prefixed frames; streams a counter; counts increments racily."""

    def __init__(self, greeting: bytes | None = None, sampling_time: float = 0.01) -> None:
        self.sessions = 0  # open sessions
        self.greeting = greeting
        self.inverted = False
        self.count = 0
        self.clock = SimulatedClock()
        self.sampling_time = sampling_time
        self._samples = 0
        self._publisher = Publisher(self._sample, sampling_time, self.lock, self.clock)

    def open_session(self) -> FrameSession:
        self.sessions += 1
        return FrameSession(self)

    def answer(self, payload: bytes) -> bytes:
        if payload == b"bad":
            raise ValueError("bad payload")
        body = bytes(255 - b for b in payload) if self.inverted else payload[::-1]
        reply = bytes([0x5A, len(body)]) + body
        if payload.startswith(b"SLOW"):
            return Reply(reply, delay_s=1.0)
        if payload == b"HANGUP":
            return Reply(close=True)
        return reply

    def system_greet(self) -> bytes | None:
        return self.greeting

    def system_invert(self) -> str:
        """Invert payloads instead of reversing them."""
        self.inverted = True
        return "inverted"

    def system_increment(self) -> str:
        """A read-modify-write that loses updates unless calls are serialized."""
        value = self.count
        time.sleep(0.0005)
        self.count = value + 1
        return str(self.count)

    def system_count(self) -> str:
        return str(self.count)

    def system_echo(self, *args: str) -> str:
        return "|".join(args)

    def system_fail(self) -> str:
        raise RuntimeError("it broke\non two lines")

    def system_nothing(self) -> None:
        return None

    def system_raw(self) -> bytes:
        return b"raw bytes"

    def subscribe(self, q: queue.Queue[bytes]) -> None:
        self._publisher.subscribe(q)

    def unsubscribe(self, q: queue.Queue[bytes]) -> None:
        self._publisher.unsubscribe(q)

    def _sample(self) -> bytes:
        self._samples += 1
        return f"sample {self._samples}\n".encode()

    @property
    def subscribers(self) -> int:
        return self._publisher.subscribers


class FrameSession(Session):
    """One connection's partial frame; junk before a header is skipped, a bad frame logged."""

    def __init__(self, system: FrameSystem) -> None:
        self.system = system
        self.frame = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        replies = []
        for byte in data:
            if not self.frame and byte != HEADER:
                continue
            self.frame.append(byte)
            if len(self.frame) < 2 or len(self.frame) < 2 + self.frame[1]:
                continue
            payload, self.frame = bytes(self.frame[2:]), bytearray()
            try:
                replies.append(self.system.answer(payload))
            except ValueError as error:
                self.system.bad_input_log.log(logger, logging.WARNING, "bad message: %s", error)
        return replies

    def close(self) -> None:
        self.system.sessions -= 1


class ByteFrameSystem(ListeningSystem):
    """The same frames, written byte-wise (``parse``, ``parser_state``): the adapter's path."""

    parser_state = ("_frame",)

    def __init__(self) -> None:
        self._frame = bytearray()

    def parse(self, byte: bytes) -> bool | bytes:
        if not self._frame and byte[0] != HEADER:
            return False
        self._frame += byte
        if len(self._frame) < 2 or len(self._frame) < 2 + self._frame[1]:
            return True
        payload, self._frame = bytes(self._frame[2:]), bytearray()
        if payload == b"bad":
            raise ValueError("bad payload")
        return bytes([0x5A, len(payload)]) + payload[::-1]


System = FrameSystem

servers: list[ServerSpec] = [
    (("127.0.0.1", 0), ("127.0.0.1", 0), ThreadingTCPServer, {"greeting": None}),
    (("127.0.0.1", 0), ("127.0.0.1", 0), ThreadingUDPServer, {}),
    (("127.0.0.1", 0), (), ThreadingTCPServer, {"greeting": b"hello\n"}),
]

__all__ = ["HEADER", "ByteFrameSystem", "FrameSession", "FrameSystem", "System", "servers"]
