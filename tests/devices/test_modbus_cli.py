"""The done-when of the Modbus devices, from a shell's point of view.

``python -m simulators -s power_supply -t modbus-tcp --ephemeral-ports start``
serves the power supply in a background process; pymodbus reads and writes it,
a fault sent netcat-style changes what pymodbus reads, ``stop`` ends it. The
runtime directory is the test's own; whatever the test starts is stopped by the
fixture, even when the test fails.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pymodbus.client import ModbusTcpClient

from simulators import runtime

ROOT = Path(__file__).resolve().parents[2]
WAIT = 5.0  # seconds: the bound on every wait for a process or a socket
ADDRESS = re.compile(r"^\s+(\S+):(\d+)\s+tcp listening$", re.MULTILINE)
STARTED = re.compile(r"^power_supply started \(pid (\d+)\)$", re.MULTILINE)

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def cli(tmp_path: Path) -> Iterator[Run]:
    """Run ``python -m simulators ARGS`` with a private runtime directory."""
    env = {**os.environ, runtime.ENV_RUNTIME_DIR: str(tmp_path)}
    pids: list[int] = []

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [sys.executable, "-m", "simulators", *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=3 * WAIT,
            check=False,
        )
        pids.extend(int(pid) for pid in STARTED.findall(done.stdout))
        return done

    yield run
    run("-s", "power_supply", "stop")
    for pid in pids:  # only what this test started, by its id
        deadline = time.monotonic() + WAIT
        while runtime.alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        if runtime.alive(pid):
            os.kill(pid, signal.SIGKILL)


def netcat(port: int, payload: bytes) -> bytes:
    """``printf PAYLOAD | nc -N 127.0.0.1 PORT``: send, half-close, print what comes back."""
    with socket.create_connection(("127.0.0.1", port), WAIT) as sock:
        sock.settimeout(WAIT)
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    return received


def refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), 0.5).close()
    except OSError:
        return True
    return False


def test_start_pymodbus_fault_stop(cli):
    started = cli("-s", "power_supply", "-t", "modbus-tcp", "--ephemeral-ports", "start")
    assert started.returncode == 0, started.stderr
    [pid] = (int(pid) for pid in STARTED.findall(started.stdout))
    [(host, port_text)] = ADDRESS.findall(started.stdout)
    port = int(port_text)
    assert host == "127.0.0.1"
    assert port not in (5020, 5021, 5022, 5023)

    client = ModbusTcpClient(host, port=port, timeout=WAIT, retries=0)
    try:
        assert client.connect()
        assert client.read_holding_registers(0, count=3, device_id=1).registers == [0, 0, 0]
        assert client.read_input_registers(100, count=2, device_id=1).registers == [0, 0]
        assert not client.write_register(0, 1200, device_id=1).isError()
        assert not client.write_registers(1, [500, 1], device_id=1).isError()
        assert client.read_input_registers(100, count=2, device_id=1).registers == [1200, 480]
        assert client.write_register(0, 3001, device_id=1).exception_code == 3

        assert netcat(port, b"$system_fault:drift,voltage_readback,5%") == b"ok\n"
        readings = [client.read_input_registers(100, device_id=1).registers[0] for _ in range(3)]
        assert readings == [1205, 1210, 1215]
        assert netcat(port, b"$system_fault:stuck,current_limit%") == b"ok\n"
        assert not client.write_register(1, 100, device_id=1).isError()
        assert client.read_input_registers(101, device_id=1).registers == [480]
        assert netcat(port, b"$system_reset%") == b"ok\n"
        assert client.read_input_registers(100, count=2, device_id=1).registers == [0, 0]
    finally:
        client.close()

    status = cli("-s", "power_supply", "status")
    assert status.returncode == 0
    assert f"power_supply running (pid {pid})" in status.stdout

    stopped = cli("-s", "power_supply", "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert "power_supply stopped" in stopped.stdout
    assert not runtime.alive(pid)
    assert refused(port)
    assert cli("-s", "power_supply", "status").returncode == 3  # LSB: not running
