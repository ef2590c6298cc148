"""The thin client: against a real dut served in this process, and against tiny local peers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest

from simulators import client, plugins
from simulators.client import Client
from simulators.launcher import Simulator

IDENTITY = b"SIMULATORS,DUT-1000,SN0001,1.0\n"
WAIT = 5.0


@pytest.fixture
def dut() -> Iterator[Simulator]:
    """The dut on ports chosen by the OS: [0] TCP listening, [1] TCP sending, [2] UDP."""
    with Simulator("dut", plugins.load("dut"), ephemeral=True) as simulator:
        yield simulator


def connect(simulator: Simulator, index: int = 0, **options: float) -> Client:
    address = simulator.addresses[index]
    return Client(address.host, address.port, address.transport, **options)  # type: ignore[arg-type]


@contextmanager
def peer(handler: Callable[[socket.socket], None]) -> Iterator[int]:
    """A one-connection TCP server running ``handler(connection)``; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(WAIT)

    def run() -> None:
        try:
            connection, _ = listener.accept()
        except OSError:
            return
        with connection:
            connection.settimeout(WAIT)
            with suppress(OSError):
                handler(connection)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(WAIT)


def until_closed(connection: socket.socket) -> None:
    """Wait (bounded) for the client to close its end."""
    while connection.recv(4096):
        pass


# -- TCP ----------------------------------------------------------------------------


def test_query_returns_the_reply_up_to_the_newline(dut):
    with connect(dut) as dut_client:
        assert dut_client.query(b"*IDN?\n") == IDENTITY
        assert dut_client.query(b"POWER?\n") == b"OFF\n"


def test_pipelined_replies_are_returned_one_at_a_time(dut):
    with connect(dut) as dut_client:
        dut_client.send(b"*IDN?\nPOWER ON\nPOWER?\n")
        assert dut_client.receive() == IDENTITY
        assert dut_client.receive() == b"OK\n"
        assert dut_client.receive() == b"ON\n"


def test_query_to_another_terminator_keeps_the_rest(dut):
    with connect(dut) as dut_client:
        assert dut_client.query(b"*IDN?\n", terminator=b",") == b"SIMULATORS,"
        assert dut_client.receive(terminator=b",") == b"DUT-1000,"
        assert dut_client.receive() == b"SN0001,1.0\n"


def test_receive_a_number_of_bytes(dut):
    with connect(dut) as dut_client:
        assert dut_client.query(b"*IDN?\n", size=10) == b"SIMULATORS"
        assert dut_client.receive(size=5) == b",DUT-"
        assert dut_client.receive() == b"1000,SN0001,1.0\n"


def test_receive_a_number_of_bytes_waits_for_every_chunk():
    def two_chunks(connection: socket.socket) -> None:
        connection.sendall(b"abc")
        time.sleep(0.05)
        connection.sendall(b"defgh")
        until_closed(connection)

    with peer(two_chunks) as port, Client("127.0.0.1", port) as tcp:
        assert tcp.receive(size=8) == b"abcdefgh"


def test_nothing_arriving_is_a_timeout(dut):
    with connect(dut, timeout=0.2) as dut_client:
        started = time.monotonic()
        with pytest.raises(TimeoutError):
            dut_client.receive()
        assert time.monotonic() - started < WAIT
        # a late reply is still read whole afterwards
        assert dut_client.query(b"*IDN?\n") == IDENTITY


def test_a_reply_without_its_terminator_is_a_timeout():
    def partial(connection: socket.socket) -> None:
        connection.sendall(b"no newline")
        until_closed(connection)

    with peer(partial) as port, Client("127.0.0.1", port, timeout=0.2) as tcp:
        with pytest.raises(TimeoutError):
            tcp.receive()
        with pytest.raises(TimeoutError):
            tcp.receive(size=100)


@pytest.mark.parametrize("sent", [b"", b"half a rep"])
def test_the_peer_closing_is_a_connection_error(sent):
    def close_early(connection: socket.socket) -> None:
        connection.sendall(sent)

    with (
        peer(close_early) as port,
        Client("127.0.0.1", port) as tcp,
        pytest.raises(ConnectionError, match=f"127.0.0.1:{port} closed the connection"),
    ):
        tcp.receive()


def test_the_simulator_stopping_is_a_connection_error(dut):
    with connect(dut) as dut_client:
        assert dut_client.query(b"*IDN?\n") == IDENTITY
        dut.stop()
        with pytest.raises(ConnectionError):
            dut_client.receive()


def test_connecting_to_a_closed_port_fails():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        Client("127.0.0.1", port, timeout=1.0)


def test_the_reply_size_guard(monkeypatch):
    monkeypatch.setattr(client, "MAX_REPLY", 16)

    def endless(connection: socket.socket) -> None:
        connection.sendall(b"x" * 100)
        until_closed(connection)

    with (
        peer(endless) as port,
        Client("127.0.0.1", port) as tcp,
        pytest.raises(ValueError, match="no terminator in the first 16 bytes"),
    ):
        tcp.receive()


def test_the_context_manager_closes_the_socket():
    closed = threading.Event()

    def watch(connection: socket.socket) -> None:
        until_closed(connection)
        closed.set()

    with peer(watch) as port:
        with Client("127.0.0.1", port) as tcp:
            pass
        assert tcp.sock.fileno() == -1
        assert closed.wait(WAIT), "the peer never saw the connection close"


def test_close_closes_the_socket(dut):
    dut_client = connect(dut)
    dut_client.close()
    assert dut_client.sock.fileno() == -1
    with pytest.raises(OSError, match="Bad file descriptor"):
        dut_client.send(b"*IDN?\n")


def test_a_bad_transport_is_a_value_error():
    with pytest.raises(ValueError, match="'sctp'"):
        Client("127.0.0.1", 1, "sctp")  # type: ignore[arg-type]


# -- custom commands ------------------------------------------------------------------


def test_custom_returns_a_multi_line_reply_whole(dut):
    with connect(dut) as dut_client:
        text = dut_client.custom("help")
        lines = text.splitlines()
        assert len(lines) > 3
        assert all(line.startswith("$system_") for line in lines)
        assert any(line.startswith("$system_help%") for line in lines)
        assert any(line.startswith("$system_stop%") for line in lines)
        assert not text.endswith("\n")
        # nothing of the help is left to be mistaken for the next reply
        assert dut_client.query(b"*IDN?\n") == IDENTITY


def test_custom_with_arguments(dut):
    with connect(dut) as dut_client:
        assert dut_client.custom("profile") == "clean"
        assert dut_client.custom("fail_next", 1) == "ok"
        assert dut_client.query(b"*IDN?\n") == b"ERR E202 communication error\n"
        assert dut_client.query(b"*IDN?\n") == IDENTITY
        assert dut_client.custom("fail_next", "many").startswith("error:")
        assert dut_client.custom("no_such_command").startswith("error: unknown command")


def test_custom_includes_every_line_already_received():
    reply = b"first\n" + b"y" * 70_000 + b"\nlast\n"  # more than one recv() reads

    def early_reply(connection: socket.socket) -> None:
        connection.sendall(reply)  # already waiting when the client asks
        until_closed(connection)

    with peer(early_reply) as port, Client("127.0.0.1", port) as tcp:
        deadline = time.monotonic() + WAIT
        while len(tcp.sock.recv(len(reply), socket.MSG_PEEK)) < len(reply):
            assert time.monotonic() < deadline, "the reply never arrived whole"
            time.sleep(0.01)
        assert tcp.custom("big") == reply.decode().rstrip("\n")


def test_custom_when_the_peer_closes_after_its_reply():
    def reply_and_close(connection: socket.socket) -> None:
        assert connection.recv(100) == b"$system_bye:now%"
        connection.sendall(b"see\nyou\n")

    with peer(reply_and_close) as port, Client("127.0.0.1", port) as tcp:
        assert tcp.custom("bye", "now") == "see\nyou"
        with pytest.raises(ConnectionError):
            tcp.receive()


# -- UDP -------------------------------------------------------------------------------


def test_udp_query(dut):
    with connect(dut, 2) as udp:
        assert udp.transport == "udp"
        assert udp.query(b"*IDN?\n") == IDENTITY
        assert udp.query(b"STATUS?\n").startswith(b"POWER=OFF ")


def test_udp_custom_returns_the_whole_datagram(dut):
    with connect(dut, 2) as udp:
        lines = udp.custom("help").splitlines()
        assert len(lines) > 3
        assert any(line.startswith("$system_stop%") for line in lines)
        assert udp.query(b"*IDN?\n") == IDENTITY


def test_udp_silence_is_a_timeout():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        port = silent.getsockname()[1]
        with Client("127.0.0.1", port, "udp", timeout=0.2) as udp:
            udp.send(b"*IDN?\n")
            assert silent.recv(100) == b"*IDN?\n"
            with pytest.raises(TimeoutError):
                udp.receive()
