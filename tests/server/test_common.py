"""The plugin contract: required methods enforced, type selection, the Publisher."""

from __future__ import annotations

import logging
import queue
import time

import pytest

from simulators.common import (
    SHUTDOWN_REPLY,
    BaseSystem,
    ListeningSystem,
    MultiTypeSystem,
    Publisher,
    SendingSystem,
)
from simulators.utils import SimulatedClock


def test_a_listening_system_needs_sessions_or_parse() -> None:
    class Neither(ListeningSystem):
        pass

    with pytest.raises(TypeError, match=r"defines open_session\(\) or parse\(byte\)"):
        Neither()


def test_subscribe_and_unsubscribe_are_really_abstract() -> None:
    class NoSubscribe(SendingSystem):
        def unsubscribe(self, q: queue.Queue[bytes]) -> None:
            pass

    with pytest.raises(TypeError, match="subscribe"):
        NoSubscribe()  # type: ignore[abstract]


def test_base_system_commands_and_lock() -> None:
    class Plain(BaseSystem):
        def __init__(self) -> None:  # does not call super().__init__()
            self.value = 1

    system = Plain()
    assert system.system_stop() == SHUTDOWN_REPLY
    assert system.system_greet() is None
    with system.lock, system.lock:  # re-entrant, there even without super().__init__()
        pass
    assert "$system_help%" in system.system_help()


class Upper(ListeningSystem):
    """Answers a line in upper case; rejects a lone newline; '!' is a bad message."""

    def __init__(self) -> None:
        self.line = b""

    def parse(self, byte: bytes) -> bool | bytes:
        if byte == b"!":
            raise ValueError("exclamation")
        if byte == b"\n":
            line, self.line = self.line, b""
            return line.upper() + b"\n" if line else False
        self.line += byte
        return True


def test_default_parse_chunk_feeds_bytes_one_at_a_time(caplog: pytest.LogCaptureFixture) -> None:
    system = Upper()
    with caplog.at_level(logging.WARNING):
        assert system.parse_chunk(b"ab\n\ncd!e\nf") == [b"AB\n", b"CDE\n"]
    assert system.line == b"f"
    assert "exclamation" in caplog.text


class Kinds(MultiTypeSystem):
    systems = {"upper": Upper, "other": Upper}  # noqa: RUF012 - the contract's shape
    default = "upper"


def test_multi_type_system_builds_the_chosen_type() -> None:
    assert isinstance(Kinds(), Upper)
    assert isinstance(Kinds(system_type="other"), Upper)
    with pytest.raises(ValueError, match="unknown type 'x'; choose one of: other, upper"):
        Kinds(system_type="x")


def _publisher(sampling_time: float = 0.01) -> tuple[Publisher, list[int]]:
    counter = [0]

    def sample() -> bytes:
        counter[0] += 1
        return str(counter[0]).encode()

    system = Upper()
    return Publisher(sample, sampling_time, system.lock, SimulatedClock(speed=10.0)), counter


def test_publisher_feeds_every_subscriber_at_the_sampling_time() -> None:
    publisher, _ = _publisher(0.1)  # 0.1 simulated s at 10x: 10 ms real
    first: queue.Queue[bytes] = queue.Queue()
    second: queue.Queue[bytes] = queue.Queue()
    with publisher.lock:  # both subscribed before the sampler's first message
        publisher.subscribe(first)
        publisher.subscribe(second)
    assert publisher.subscribers == 2
    assert first.get(timeout=30) == second.get(timeout=30)
    assert int(first.get(timeout=30)) < int(first.get(timeout=30))
    publisher.unsubscribe(first)
    publisher.unsubscribe(second)
    publisher.unsubscribe(second)  # twice is harmless
    assert publisher.subscribers == 0


def test_publisher_thread_ends_and_restarts() -> None:
    publisher, counter = _publisher()
    q: queue.Queue[bytes] = queue.Queue()
    publisher.subscribe(q)
    q.get(timeout=2)
    publisher.unsubscribe(q)
    time.sleep(0.05)
    stopped_at = counter[0]
    time.sleep(0.05)
    assert counter[0] == stopped_at  # no sampling without subscribers
    publisher.subscribe(q)
    q.get(timeout=2)
    publisher.unsubscribe(q)


def test_a_slow_subscriber_loses_its_oldest_messages() -> None:
    publisher, counter = _publisher()
    slow: queue.Queue[bytes] = queue.Queue(maxsize=2)
    publisher.subscribe(slow)
    deadline = time.monotonic() + 30.0  # a hang guard: five samples take ~5 ms
    while counter[0] < 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    publisher.unsubscribe(slow)
    values = [int(slow.get_nowait()), int(slow.get_nowait())]
    assert values[0] + 1 == values[1]
    assert values[0] > 2  # the first ones were dropped


def test_publisher_rejects_a_bad_sampling_time() -> None:
    with pytest.raises(ValueError, match="sampling_time"):
        Publisher(lambda: b"", 0, Upper().lock)
