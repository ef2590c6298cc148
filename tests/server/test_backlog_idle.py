"""Servers under many connections: a deep listen backlog and an optional idle timeout."""

from __future__ import annotations

import select
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.host import SystemHost
from simulators.launcher import Simulator
from simulators.server import ServeError, make_server
from tests.server import fake_devices
from tests.server.conftest import answer, frame

#: Generous bound on every wait here: the machine may be slow, never the feature.
BOUND = 20.0


def somaxconn() -> int:
    """The kernel's cap on any listen backlog."""
    try:
        return int(Path("/proc/sys/net/core/somaxconn").read_text())
    except (OSError, ValueError):
        return 128


@pytest.fixture
def unserved() -> Iterator[socketserver.TCPServer]:
    """A listening server whose accept loop is not running yet."""
    host = SystemHost(fake_devices.FrameSystem(), lambda: None)
    server = make_server(host, "listening", ("127.0.0.1", 0), socketserver.ThreadingTCPServer)
    yield server
    server.server_close()
    server.close_connections()


def test_the_listen_backlog_is_deep(unserved: socketserver.TCPServer) -> None:
    assert unserved.request_queue_size >= 128


def test_a_burst_of_connects_completes_before_any_accept(unserved: socketserver.TCPServer) -> None:
    # With socketserver's backlog of 5, the kernel completes 6 handshakes and drops
    # the other SYNs while nothing accepts; with ours, the whole burst gets in.
    burst = min(300, somaxconn())
    port = unserved.server_address[1]
    clients = []
    try:
        for _ in range(burst):
            client = socket.socket()
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", port))
            clients.append(client)
        connected = _wait_connected(clients)
        assert connected == burst
        serving = threading.Thread(target=unserved.serve_forever, args=(0.05,), daemon=True)
        serving.start()
        for client in clients:  # every one of them is served once accepted
            client.setblocking(True)
            client.settimeout(BOUND)
            client.sendall(frame(b"hi"))
        for client in clients:
            assert _receive(client, 4) == answer(b"hi")
        unserved.shutdown()
    finally:
        for client in clients:
            client.close()


def _wait_connected(clients: list[socket.socket]) -> int:
    """Wait (bounded) until every handshake completed; return how many did."""
    poller = select.poll()
    waiting = {client.fileno(): client for client in clients}
    for fd in waiting:
        poller.register(fd, select.POLLOUT)
    deadline = time.monotonic() + BOUND
    done = 0
    while waiting and time.monotonic() < deadline:
        for fd, _event in poller.poll(100):
            client = waiting.pop(fd)
            poller.unregister(fd)
            assert client.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0
            done += 1
    return done


def _receive(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_an_idle_connection_is_closed_after_the_system_idle_timeout() -> None:
    with Simulator("fake", fake_devices, ephemeral=True) as sim:
        sim.systems[0].idle_timeout = 0.2
        address = sim.addresses[0]
        with socket.create_connection((address.host, address.port), timeout=BOUND) as client:
            client.sendall(frame(b"abc"))
            assert _receive(client, 5) == answer(b"abc")
            assert client.recv(1) == b""  # closed by the server once idle, not a timeout here


def test_idle_timeout_is_off_by_default_and_a_server_may_set_its_own() -> None:
    system = fake_devices.FrameSystem()
    assert system.idle_timeout is None
    host = SystemHost(system, lambda: None)
    server = make_server(
        host, "listening", ("127.0.0.1", 0), socketserver.ThreadingTCPServer, idle_timeout=0.2
    )
    serving = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    serving.start()
    try:
        assert server.connection_idle_timeout() == 0.2
        with socket.create_connection(server.server_address[:2], timeout=BOUND) as client:
            assert client.recv(1) == b""
    finally:
        server.shutdown()
        server.server_close()
        server.close_connections()


@pytest.mark.parametrize("seconds", [0.0, -1.0])
def test_a_non_positive_idle_timeout_is_refused(seconds: float) -> None:
    host = SystemHost(fake_devices.FrameSystem(), lambda: None)
    with pytest.raises(ServeError, match="idle timeout must be > 0 s"):
        make_server(
            host, "listening", ("127.0.0.1", 0), socketserver.TCPServer, idle_timeout=seconds
        )
