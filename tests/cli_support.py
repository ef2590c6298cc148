"""What the ``discos-simulator`` tests share: helpers, the ``Foreground`` process, fixtures.

Every test runs with its own runtime directory and never on the default ports:
simulators get a random free ``--port-offset`` or ``--ephemeral-ports``, and
whatever a test starts is stopped by the ``run_dir`` fixture, even on failure.
Import the fixtures a test module uses (``from tests.cli_support import cli, run_dir``).
"""

from __future__ import annotations

import os
import queue
import random
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from simulators import plugins, runtime
from simulators.cli import main
from simulators.proc import identity

PY = sys.executable
#: The dut's ports (doc/reference_station.rst): TCP listening, TCP sending, UDP listening.
DUT_PORTS = (6000, 6001, 6002)
#: Every default port of every built-in: an offset must clear them all (start without -s).
ALL_PORTS = (*DUT_PORTS, 5020, 5021, 5022, 5023, 5025, 5026, 5027)
#: What start/stop/status act on without -s (station overlaps the four Modbus devices).
STARTED_WITH_ALL = ["actuator", "dmm", "dut", "dvt_bench", "power_supply", "thermocouple"]
IDENTITY = "SIMULATORS,DUT-1000,SN0001,1.0"
WAIT = 5.0  # seconds: the bound on every wait for a process or a socket
#: What ``list`` must not load (click is the command line itself, so it is not on the list).
HEAVY = "{'yaml','pydantic','sqlalchemy','pymodbus','pyvisa','numpy','rich','hypothesis'}"
ADDRESS = re.compile(r"^\s+(\S+):(\d+)\s+(tcp|udp) (listening|sending)$", re.MULTILINE)

Address = tuple[str, int, str, str]


# -- helpers -------------------------------------------------------------------


def _port_free(port: int) -> bool:
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_offset(*taken: int) -> int:
    """Return a random --port-offset whose dut ports are free (and clear of ``taken``)."""
    for _ in range(500):
        offset = random.randrange(10_000, 26_000)
        if any(abs(offset - other) < 1000 for other in taken):
            continue
        if all(_port_free(port + offset) for port in ALL_PORTS):
            return offset
    pytest.fail("no free port offset found")


def addresses(output: str) -> list[Address]:
    """Parse the ``  host:port  transport role`` lines that start/status print."""
    return [(h, int(p), t, r) for h, p, t, r in ADDRESS.findall(output)]


def started_pid(output: str) -> int:
    match = re.search(r"started \(pid (\d+)\)", output)
    assert match, output
    return int(match.group(1))


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended (no such process, or a zombie nobody reaped yet)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def launched(*command: str, **popen: Any) -> subprocess.Popen[bytes]:
    """Start ``command``; return once it has exec'd (its /proc command line is set).

    Right after ``Popen`` returns, the child may still be inside exec, with an
    empty command line: a record taken then would never match the process.
    """
    process: subprocess.Popen[bytes] = subprocess.Popen(list(command), **popen)
    assert wait_until(lambda: bool(getattr(identity(process.pid), "command", None))), command
    return process


def ask(host: str, port: int, line: bytes = b"*IDN?\n") -> str:
    """Send one line over TCP and return the reply line."""
    with socket.create_connection((host, port), timeout=WAIT) as sock:
        sock.sendall(line)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = sock.recv(4096)
            assert chunk, "connection closed before the reply"
            reply += chunk
    return reply.decode().strip()


def ask_udp(host: str, port: int, line: bytes = b"*IDN?\n") -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(WAIT)
        sock.sendto(line, (host, port))
        return sock.recv(65535).decode().strip()


def records(run_dir: Path) -> list[str]:
    return sorted(path.name for path in run_dir.glob("*.json"))


def no_traceback(text: str) -> None:
    assert "Traceback" not in text, text


def one_error_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    assert lines[0].startswith("error:"), text
    return lines[0]


def simulators(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run ``python -m simulators ARGS`` (inheriting the environment)."""
    return subprocess.run(
        [PY, "-m", "simulators", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Foreground:
    """``python -m simulators ARGS --foreground start`` with its stdout read line by line."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [PY, "-m", "simulators", *args, "--foreground", "start"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def line(self, timeout: float = 15.0) -> str | None:
        """Return the next stdout line, or None once stdout has closed."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no output in {timeout} s; so far: {self.seen}")
        if line is not None:
            self.seen.append(line)
        return line

    def ready(self) -> list[Address]:
        """Wait for ``NAME serving (pid N)`` and its address lines; return the addresses."""
        first = self.line()
        assert first is not None, self.stderr()
        assert first.endswith(f"serving (pid {self.proc.pid})"), first
        found: list[Address] = []
        while len(found) < len(DUT_PORTS):
            line = self.line()
            assert line is not None, self.seen
            found += addresses(line)
        return found

    def wait(self, timeout: float = WAIT) -> int:
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"still running {timeout} s later; output: {self.seen}")

    def rest(self) -> list[str]:
        """Return every remaining stdout line (after the process ended)."""
        rest = []
        while (line := self.line()) is not None:
            rest.append(line)
        return rest

    def stderr(self) -> str:
        if self.proc.poll() is None:
            return ""
        assert self.proc.stderr is not None
        return self.proc.stderr.read()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(WAIT)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


# -- fixtures -------------------------------------------------------------------


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private runtime directory; every simulator recorded in it is stopped afterwards."""
    path = tmp_path / "run"
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(path))
    yield path
    for instance in runtime.instances():
        runtime.terminate(instance, timeout=2.0)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``main(ARGS)`` in this process; return (exit status, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(list(args))
        out, err = capsys.readouterr()
        return status, out, err

    return run


@pytest.fixture
def foreground() -> Iterator[Callable[..., Foreground]]:
    started: list[Foreground] = []

    def start(*args: str) -> Foreground:
        process = Foreground(*args)
        started.append(process)
        return process

    yield start
    for process in started:
        process.close()


@pytest.fixture
def extra_plugin(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, ModuleType | str], None]:
    """Register an extra plugin by entry point: a module object, or a module name to import."""
    extra: list[EntryPoint] = []
    monkeypatch.setattr(plugins, "entry_points", lambda group: list(extra))

    def add(name: str, module: ModuleType | str) -> None:
        if isinstance(module, ModuleType):
            monkeypatch.setitem(sys.modules, module.__name__, module)
            module = module.__name__
        extra.append(EntryPoint(name, module, plugins.ENTRY_POINT_GROUP))

    return add
