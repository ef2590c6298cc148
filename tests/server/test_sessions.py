"""Sessions: one per connection, opened and closed by the server; the byte-wise adapter."""

from __future__ import annotations

import logging
import queue
import time

import pytest

from simulators.commands import CustomCommand
from simulators.common import ListeningSystem, Publisher, Reply, SendingSystem
from simulators.host import SystemHost
from simulators.launcher import Simulator
from simulators.session import ByteSession, Session, takes_text
from simulators.utils import SimulatedClock
from tests.server.conftest import answer, frame
from tests.server.test_server import connect

#: Generous bound on every wait: the machine may be slow, never the feature.
BOUND = 30.0


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + BOUND
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


# -- the server opens one session per connection and closes it -------------------------


def test_each_connection_has_its_own_session_closed_when_it_ends(fake: Simulator) -> None:
    system = fake.systems[0]
    with connect(fake, 0) as first, connect(fake, 0) as second:
        first.send(frame(b"ABCD")[:4])
        second.send(frame(b"xy"))
        assert second.receive(4) == answer(b"xy")
        assert system.sessions == 2  # type: ignore[attr-defined]
        first.send(b"CD")
        assert first.receive(6) == answer(b"ABCD")
    wait_for(lambda: system.sessions == 0, "the sessions were not closed")  # type: ignore[attr-defined]


def test_a_udp_datagram_gets_a_session_of_its_own(fake: Simulator) -> None:
    system = fake.systems[1]
    with connect(fake, 2, "udp") as client:
        assert client.query(frame(b"one")) == answer(b"one")
        client.send(frame(b"cut")[:3])  # a partial frame ends with its datagram
        assert client.query(frame(b"two")) == answer(b"two")
    assert system.sessions == 0  # type: ignore[attr-defined]


# -- the byte-wise contract behind the adapter -----------------------------------------


class Lines(ListeningSystem):
    """Byte-wise, the framework's way: bytes in, bytes out, parser_state kept per session."""

    parser_state = ("line",)

    def __init__(self) -> None:
        self.line = b""

    def parse(self, byte: bytes) -> bool | bytes:
        if byte == b"!":
            raise ValueError("exclamation")
        if byte != b"\n":
            self.line += byte
            return True
        line, self.line = self.line, b""
        if line == b"close":
            return Reply(close=True)
        return line.upper() + b"\n" if line else False


def test_the_adapter_keeps_parser_state_per_session(caplog: pytest.LogCaptureFixture) -> None:
    system = Lines()
    first, second = system.open_session(), system.open_session()
    assert isinstance(first, ByteSession)
    assert not first.text
    assert first.feed(b"ab") == []
    assert second.feed(b"cd\nef") == [b"CD\n"]
    with caplog.at_level(logging.WARNING):
        assert first.feed(b"!c\n") == [b"ABC\n"]
    assert "Lines: bad message: exclamation" in caplog.text
    assert second.feed(b"\n") == [b"EF\n"]
    third = system.open_session()  # starts from the idle parser, whatever the others hold
    assert first.feed(b"half") == []
    assert third.feed(b"new\n") == [b"NEW\n"]
    (closing,) = third.feed(b"close\n")
    assert isinstance(closing, Reply)
    assert closing.close


class Chunked(ListeningSystem):
    """An older System with its own parse_chunk: the adapter hands it whole slices."""

    def __init__(self) -> None:
        self.slices: list[bytes] = []

    def parse(self, byte):
        return byte

    def parse_chunk(self, data: bytes) -> list[bytes]:
        self.slices.append(data)
        return [data[::-1]]


def test_an_own_parse_chunk_gets_whole_slices() -> None:
    system = Chunked()
    assert system.open_session().feed(b"abc") == [b"cba"]
    assert system.slices == [b"abc"]
    assert not system.speaks_discos()  # an own parse_chunk is this framework's


class Framed(ListeningSystem):
    """A System with sessions: parse() and parse_chunk() drive its own session."""

    def open_session(self) -> Session:
        return Doubler()


class Doubler(Session):
    def feed(self, data: bytes) -> list[bytes]:
        return [data * 2] if data != b"-" else []


def test_parse_and_parse_chunk_drive_a_systems_own_session() -> None:
    system = Framed()
    assert system.parse_chunk(b"ab") == [b"abab"]
    assert system.parse(b"x") == b"xx"
    assert system.parse(b"-") is True
    assert not system.speaks_discos()


# -- DISCOS modules: str bytes, str replies -------------------------------------------


class Discos(ListeningSystem):
    """Written as DISCOS modules are: no annotations, str in, str out."""

    def __init__(self):
        self.msg = ""

    def parse(self, byte):
        if byte == "?":
            return 0.5  # neither a bool nor a reply: logged, nothing sent
        if byte == "x":
            raise KeyError("a bug")  # logged with its traceback; the connection goes on
        self.msg += byte
        if not self.msg.endswith("\n"):
            return True
        msg, self.msg = self.msg, ""
        return "é" + msg if msg.strip() else ""


def test_a_discos_parse_gets_str_and_answers_latin_1(caplog: pytest.LogCaptureFixture) -> None:
    system = Discos()
    assert system.speaks_discos()
    session = system.open_session()
    assert isinstance(session, ByteSession)
    assert session.text
    with caplog.at_level(logging.WARNING):
        assert session.feed(b"a?x\xe9\n\n") == ["éaé\n".encode("latin-1")]
    assert "unexpected response: 0.5" in caplog.text
    assert "parse failed: 'a bug'" in caplog.text
    assert "Traceback" in caplog.text


def test_the_discos_rule_reads_parse_annotation_or_the_class_attribute() -> None:
    def untyped(self, byte):
        return True

    def typed_text(self: object, byte: str) -> bool:
        return True

    def typed_bytes(self: object, byte: bytes) -> bool:
        return True

    assert takes_text(untyped)
    assert takes_text(typed_text)
    assert not takes_text(typed_bytes)
    assert not takes_text(lambda: None)

    class Declared(Discos):
        discos_style = False

    class Stated(Lines):
        discos_style = True

    assert not Declared().speaks_discos()
    assert Stated().speaks_discos()
    assert not Lines().speaks_discos()  # parser_state: the framework's own byte-wise contract


# -- a System that only sends has no session ----------------------------------------------


class Ticker(SendingSystem):
    """Streams ``tick``; protocol bytes sent to it are ignored, custom commands answered."""

    def __init__(self) -> None:
        self.publisher = Publisher(lambda: b"tick\n", 0.01, self.lock, SimulatedClock())

    def subscribe(self, q: queue.Queue[bytes]) -> None:
        self.publisher.subscribe(q)

    def unsubscribe(self, q: queue.Queue[bytes]) -> None:
        self.publisher.unsubscribe(q)

    def system_echo(self, word: str) -> str:
        return word


def test_a_sending_system_ignores_protocol_bytes_and_answers_commands() -> None:
    host = SystemHost(Ticker(), lambda: None)
    assert host.open_session() is None
    assert not host.discos
    replies, stop = host.process(None, [b"junk", CustomCommand("echo", ("hi",)), b"more"])
    assert (replies, stop) == ([b"hi\n"], False)
