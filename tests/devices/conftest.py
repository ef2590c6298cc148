"""Fixtures of the device tests: the dvt_bench rig; simulators and clients for the wire tests.

Every simulator runs on ephemeral ports and is stopped at teardown; every
socket wait is bounded by ``WAIT``.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pymodbus.client import ModbusTcpClient

from simulators import plugins
from simulators.launcher import Simulator
from simulators.modbus_client import ModbusClient
from tests.devices.dvt_rig import Rig
from tests.devices.modbus_wire import (
    HOST,
    WAIT,
)

# -- fixtures ---------------------------------------------------------------------


@pytest.fixture
def serve() -> Iterator[Callable[..., Simulator]]:
    """Start a built-in simulator on ephemeral ports; all are stopped at teardown."""
    started: list[Simulator] = []

    def start(name: str, framing: str = "modbus-tcp") -> Simulator:
        simulator = Simulator(name, plugins.load(name), system_type=framing, ephemeral=True)
        simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture
def port(serve: Callable[..., Simulator]) -> Callable[..., int]:
    """The port of a freshly started single-device simulator."""

    def start(name: str, framing: str = "modbus-tcp") -> int:
        return serve(name, framing).addresses[0].port

    return start


@pytest.fixture
def raw() -> Iterator[Callable[[int], socket.socket]]:
    """Plain TCP connections, closed at teardown."""
    sockets: list[socket.socket] = []

    def connect(port: int) -> socket.socket:
        sock = socket.create_connection((HOST, port), WAIT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(WAIT)
        sockets.append(sock)
        return sock

    yield connect
    for sock in sockets:
        sock.close()


@pytest.fixture
def pymodbus_client() -> Iterator[Callable[..., ModbusTcpClient]]:
    """pymodbus TCP clients (no retries), closed at teardown."""
    clients: list[ModbusTcpClient] = []

    def connect(port: int, **kwargs: Any) -> ModbusTcpClient:
        client = ModbusTcpClient(HOST, port=port, timeout=WAIT, retries=0, **kwargs)
        clients.append(client)
        assert client.connect()
        return client

    yield connect
    for client in clients:
        client.close()


@pytest.fixture
def ours() -> Iterator[Callable[..., ModbusClient]]:
    """Our clients, closed at teardown."""
    clients: list[ModbusClient] = []

    def connect(port: int, framing: str = "modbus-tcp") -> ModbusClient:
        client = ModbusClient(HOST, port, framing=framing, timeout=WAIT)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


@pytest.fixture
def rig() -> Rig:
    """The three dvt_bench instruments on one bench that follows a manual clock."""
    return Rig()
