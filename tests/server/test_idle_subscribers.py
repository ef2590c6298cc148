"""Idle subscribers cost (almost) nothing: their handlers sleep until a message comes.

The dut runs in a child process, publishing once a second; 200 subscribers
connect to its telemetry port and read nothing. The child's CPU time, read
from ``/proc``, stays a small fraction of the elapsed time (a ratio, not a
speed); messages still reach the subscribers, and a stop ends the child.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from simulators.proc import cpu_seconds

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

#: Generous bound on every wait: the machine may be slow, never the feature.
BOUND = 30.0
SUBSCRIBERS = 200

CHILD = textwrap.dedent(
    """
    import sys
    from simulators import plugins
    from simulators.launcher import Simulator
    sim = Simulator("dut", plugins.load("dut"), ephemeral=True,
                    system_kwargs={"sampling_time": 1.0})
    sim.start()
    print(sim.addresses[0].port, sim.addresses[1].port, flush=True)
    sim.wait()
    """
)


def test_idle_subscribers_let_the_server_sleep() -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True)
    subscribers: list[socket.socket] = []
    try:
        assert child.stdout is not None
        command_port, telemetry_port = map(int, child.stdout.readline().split())
        for _ in range(SUBSCRIBERS):
            subscriber = socket.create_connection(("127.0.0.1", telemetry_port), timeout=BOUND)
            subscribers.append(subscriber)
        # Every subscriber gets its first message: all are served, none is stuck.
        for subscriber in subscribers:
            assert subscriber.recv(4096).startswith(b"TLM seq=")
        start_cpu, start = cpu_seconds(child.pid), time.monotonic()
        time.sleep(2.0)
        ratio = (cpu_seconds(child.pid) - start_cpu) / (time.monotonic() - start)
        assert ratio < 0.1, f"{SUBSCRIBERS} idle subscribers took {ratio:.0%} of a CPU"
        # Messages still flow after the quiet spell, and a subscriber may send commands.
        assert b"TLM seq=" in subscribers[0].recv(4096)
        subscribers[1].sendall(b"$system_profile%")
        assert b"clean\n" in _read_until(subscribers[1], b"clean\n")
        with socket.create_connection(("127.0.0.1", command_port), timeout=BOUND) as control:
            control.sendall(b"$system_stop%")
            assert control.recv(4096) == b"$server_shutdown%\n"
        assert child.wait(BOUND) == 0
        for subscriber in subscribers[2:]:  # every subscriber sees its connection end
            assert _closed_by_server(subscriber)
    finally:
        for subscriber in subscribers:
            subscriber.close()
        if child.poll() is None:
            child.kill()
            child.wait(BOUND)


def _read_until(sock: socket.socket, ending: bytes) -> bytes:
    data = b""
    while ending not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _closed_by_server(sock: socket.socket) -> bool:
    """Read what is left; True at the end of the stream (a TimeoutError if it never comes)."""
    while sock.recv(65536):
        pass
    return True
