"""An optional idle timeout per connection: a client that sends nothing is let go."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from simulators import plugins
from simulators.launcher import ServeError, Simulator

WAIT = 30.0  # a hang guard only: the connection closes after the idle timeout


def closed_by_server(host: str, port: int) -> bool:
    """Connect, send nothing, and tell whether the server ends the connection."""
    with socket.create_connection((host, port), timeout=WAIT) as client:
        return client.recv(1) == b""


def test_the_launcher_closes_silent_connections_and_keeps_busy_ones() -> None:
    with Simulator("dut", plugins.load("dut"), ephemeral=True, idle_timeout=0.2) as sim:
        address = sim.addresses[0]
        assert closed_by_server(address.host, address.port)
        with socket.create_connection((address.host, address.port), timeout=WAIT) as busy:
            busy.sendall(b"*IDN?\n")
            assert busy.recv(4096).startswith(b"SIMULATORS,")


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan"), float("inf")])
def test_the_launcher_refuses_a_useless_idle_timeout(seconds: float) -> None:
    with pytest.raises(ServeError, match="idle timeout must be a number of seconds > 0"):
        Simulator("dut", plugins.load("dut"), ephemeral=True, idle_timeout=seconds)


def discos(runtime: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {"DISCOS_SIMULATORS_RUNTIME_DIR": str(runtime), "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        [sys.executable, "-m", "simulators", *arguments],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )


def test_start_passes_the_idle_timeout_to_the_background_simulator(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    started = discos(runtime, "-s", "dut", "--ephemeral-ports", "--idle-timeout", "0.2", "start")
    try:
        assert started.returncode == 0, started.stderr
        first = started.stdout.splitlines()[1].split()[0]  # "  127.0.0.1:PORT  tcp listening"
        host, port = first.rsplit(":", 1)
        assert closed_by_server(host, int(port))
    finally:
        discos(runtime, "-s", "dut", "stop")


@pytest.mark.parametrize("given", ["0", "-3", "soon"])
def test_a_useless_idle_timeout_is_a_usage_error(tmp_path: Path, given: str) -> None:
    result = discos(tmp_path, "-s", "dut", "--idle-timeout", given, "start")
    assert result.returncode == 2
    assert "is not a number of seconds > 0" in result.stderr
