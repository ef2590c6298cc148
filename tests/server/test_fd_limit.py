"""Out of file descriptors: the accept loop pauses instead of spinning, and recovers.

The simulator runs in a child process whose descriptor limit is 64; the test
opens 100 connections to it. Its CPU time is read from ``/proc`` (a ratio of
CPU time to elapsed time: a busy loop reads near 1, a paused loop near 0).
"""

from __future__ import annotations

import queue
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from simulators.proc import cpu_seconds

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")

#: Generous bound on every wait: the machine may be slow, never the feature.
BOUND = 30.0
CLIENTS = 100

CHILD = textwrap.dedent(
    """
    import logging, resource, sys
    resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    from simulators import plugins
    from simulators.launcher import Simulator
    with Simulator("dut", plugins.load("dut"), ephemeral=True) as sim:
        print(sim.addresses[0].port, flush=True)
        sys.stdin.read()
    """
)


class Child:
    """The simulator process and the lines of its log, collected as they come."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        self.port = int(self.process.stdout.readline())
        self.lines: queue.Queue[str] = queue.Queue()
        self.log: list[str] = []
        self._collector = threading.Thread(target=self._collect, daemon=True)
        self._collector.start()

    def _collect(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, text: str) -> None:
        """Wait (bounded) for a log line containing ``text``."""
        deadline = time.monotonic() + BOUND
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                continue
            self.log.append(line)
            if text in line:
                return
        pytest.fail(f"no log line with {text!r} in {BOUND} s; log: {self.log}")

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(BOUND)
        self._collector.join(BOUND)  # every line of the log is in self.lines


def test_out_of_descriptors_pauses_accepting_then_serves_again() -> None:
    child = Child()
    clients: list[socket.socket] = []
    try:
        for _ in range(CLIENTS):
            clients.append(socket.create_connection(("127.0.0.1", child.port), timeout=BOUND))
        child.wait_for("cannot accept a connection")
        # Saturated: what does the server burn while it cannot accept anyone?
        start_cpu, start = cpu_seconds(child.process.pid), time.monotonic()
        time.sleep(1.0)
        ratio = (cpu_seconds(child.process.pid) - start_cpu) / (time.monotonic() - start)
        assert ratio < 0.3, f"the server used {ratio:.0%} of a CPU while out of descriptors"
        for client in clients:
            client.close()
        clients.clear()
        with socket.create_connection(("127.0.0.1", child.port), timeout=BOUND) as late:
            late.sendall(b"*IDN?\n")
            assert late.makefile("rb").readline() == b"SIMULATORS,DUT-1000,SN0001,1.0\n"
        child.wait_for("accepting new connections again")
    finally:
        for client in clients:
            client.close()
        child.close()
    # One line when an episode starts and one when it ends, not one per failed accept
    # (closed connections still queued may start a short episode more while drained).
    while not child.lines.empty():
        child.log.append(child.lines.get())
    starts = sum("cannot accept" in line for line in child.log)
    ends = sum("accepting new connections again" in line for line in child.log)
    assert starts == ends >= 1, child.log
