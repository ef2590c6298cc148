"""A DISCOS-style module, unchanged, served by the real server and talked to with plain sockets.

``str`` bytes into ``parse``, ``str`` replies out as latin-1, custom commands
in DISCOS's form (``$system_<name>%%%%%``, answered with the method's text
alone) and in ours (``$system_<name>%``, answered with a line), a sending
server, a datagram ended by a newline, and ``$system_stop%%%%%``.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest

from simulators.launcher import Simulator
from tests.server import discos_module

#: Generous bound on every wait: the machine may be slow, never the feature.
BOUND = 30.0


@pytest.fixture
def discos() -> Iterator[Simulator]:
    """The module: [0] TCP listen, [1] TCP send, [2] UDP listen."""
    with Simulator("discos", discos_module, ephemeral=True) as simulator:
        yield simulator


def connect(simulator: Simulator, index: int) -> socket.socket:
    address = simulator.addresses[index]
    return socket.create_connection((address.host, address.port), timeout=BOUND)


def read_until(sock: socket.socket, end: bytes) -> bytes:
    data = b""
    while not data.endswith(end):
        chunk = sock.recv(4096)
        assert chunk, f"the connection ended after {data!r}"
        data += chunk
    return data


def greeted(simulator: Simulator) -> socket.socket:
    sock = connect(simulator, 0)
    assert read_until(sock, b"\r\n") == b"WELCOME\r\n"  # a str greeting, sent as latin-1
    return sock


def test_str_parse_answers_str_replies(discos: Simulator) -> None:
    with greeted(discos) as sock:
        sock.sendall(b"junk#TEMP?\n")  # bytes before the header are refused one by one
        assert read_until(sock, b"\n") == b"TEMP 21.5\n"
        sock.sendall(b"#SET 30\n#TEMP?\n")
        assert read_until(sock, b"TEMP 30.0\n") == b"ack\nTEMP 30.0\n"
        sock.sendall(b"#SET x\n")
        assert read_until(sock, b"\n") == b"nak\n"


def test_bad_messages_bugs_and_odd_answers_are_logged_and_the_connection_kept(
    discos: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING), greeted(discos) as sock:
        sock.sendall(b"#BAD\n#BUG\n#ODD\n#TEMP?\n")
        assert read_until(sock, b"\n") == b"TEMP 21.5\n"
    assert "System: bad message: unknown command 'BAD'" in caplog.text
    assert "System: parse failed:" in caplog.text
    assert "no_such_attribute" in caplog.text
    assert "System: unexpected response: 0.0" in caplog.text


def test_a_command_in_discos_form_is_answered_with_its_text_alone(discos: Simulator) -> None:
    with greeted(discos) as sock:
        sock.sendall(b"$system_setup:7%%%%%#TEMP?\n")
        assert read_until(sock, b"\n") == b"setup 7TEMP 7.0\n"
        # None, an unknown command, a failing one: nothing is sent, as DISCOS did
        sock.sendall(b"$system_quiet%%%%%$system_nosuch%%%%%$system_setup:x%%%%%#TEMP?\n")
        assert read_until(sock, b"\n") == b"TEMP 0.0\n"


def test_a_command_in_our_form_is_answered_with_a_line(discos: Simulator) -> None:
    with greeted(discos) as sock:
        sock.sendall(b"$system_setup:8%$system_quiet%")
        assert read_until(sock, b"ok\n") == b"setup 8\nok\n"


def test_the_sending_server_streams_and_takes_commands(discos: Simulator) -> None:
    with connect(discos, 1) as sock:
        assert read_until(sock, b"\n").endswith(b"TEMP 21.5\n")
        sock.sendall(b"$system_setup:9%%%%%")
        assert b"setup 9" in read_until(sock, b"TEMP 9.0\n")


def test_a_datagram_is_one_message_ended_by_a_newline(discos: Simulator) -> None:
    address = discos.addresses[2]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(BOUND)
        sock.sendto(b"#TEMP?", (address.host, address.port))
        assert sock.recv(4096) == b"TEMP 21.5\n"
        sock.sendto(b"$system_setup:5%%%%%", (address.host, address.port))
        assert sock.recv(4096) == b"setup 5"


def test_stop_in_discos_form_answers_in_discos_form_and_stops(discos: Simulator) -> None:
    system = discos.systems[0]
    with greeted(discos) as sock:
        sock.sendall(b"$system_stop%%%%%")
        assert read_until(sock, b"%%%%%") == b"$server_shutdown%%%%%"
    assert discos.wait(BOUND)
    assert system.stopped.is_set()  # type: ignore[attr-defined]
