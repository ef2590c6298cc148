"""``discos-simulator`` (``python -m simulators``): list, start, status, stop, --foreground.

Every test runs with its own runtime directory and never on the default ports:
simulators get a random free ``--port-offset`` or ``--ephemeral-ports``, and
whatever a test starts is stopped by the ``run_dir`` fixture, even on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from importlib.metadata import EntryPoint
from pathlib import Path
from socketserver import ThreadingTCPServer
from types import ModuleType

import pytest

from simulators import plugins, runtime
from simulators.cli import main
from simulators.common import ListeningSystem

PY = sys.executable
#: The dut's ports (station.md): TCP listening, TCP sending, UDP listening.
DUT_PORTS = (6000, 6001, 6002)
#: Every default port of every built-in: an offset must clear them all (start without -s).
ALL_PORTS = (*DUT_PORTS, 5020, 5021, 5022, 5023, 5025, 5026, 5027)
#: What start/stop/status act on without -s (station overlaps the four Modbus devices).
STARTED_WITH_ALL = ["actuator", "dmm", "dut", "dvt_bench", "power_supply", "thermocouple"]
IDENTITY = "SIMULATORS,DUT-1000,SN0001,1.0"
WAIT = 5.0  # seconds: the bound on every wait for a process or a socket
HEAVY = "{'yaml','pydantic','sqlalchemy','pymodbus','pyvisa','numpy','rich','click','hypothesis'}"
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


@pytest.fixture(autouse=True)
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


# -- list -------------------------------------------------------------------------


def listed(out: str) -> dict[str, list[str]]:
    """Parse ``list`` output: each simulator's header line, then its address lines."""
    blocks: dict[str, list[str]] = {}
    for line in out.splitlines():
        if line.startswith(" "):
            blocks[next(reversed(blocks))].append(line.strip())
        else:
            blocks[line.split()[0]] = [line]
    return blocks


def test_list_shows_every_builtin_with_its_description_and_addresses(cli):
    status, out, err = cli("list")
    assert status == 0
    assert err == ""
    blocks = listed(out)
    assert sorted(blocks) == sorted([*STARTED_WITH_ALL, "station"])
    assert "A simulated device under test" in blocks["dut"][0]
    assert blocks["station"][1:] == [f"127.0.0.1:{p}/tcp listening" for p in range(5020, 5024)]
    served = blocks["dut"][1:]
    assert served == [
        "127.0.0.1:6000/tcp listening",
        "127.0.0.1:6001/tcp sending",
        "127.0.0.1:6002/udp listening",
    ]


def test_list_honours_port_offset_and_host(cli):
    status, out, _ = cli("--port-offset", "1234", "--host", "0.0.0.0", "list")
    assert status == 0
    served = listed(out)["dut"][1:]
    assert served == [
        "0.0.0.0:7234/tcp listening",
        "0.0.0.0:7235/tcp sending",
        "0.0.0.0:7236/udp listening",
    ]


def test_list_writes_an_ipv6_host_in_brackets_like_start_does(cli):
    # BUG: list prints "::1:6000/tcp" (ambiguous) where start/status print "[::1]:6000".
    status, out, _ = cli("--host", "::1", "list")
    assert status == 0
    assert "[::1]:6000/tcp listening" in out


def test_list_reports_a_plugin_that_cannot_load_and_lists_the_rest(cli, extra_plugin):
    extra_plugin("broken", "no_such_module_for_simulators_tests")
    status, out, _ = cli("list")
    assert status == 0
    broken = next(line for line in out.splitlines() if line.startswith("broken"))
    assert "cannot load" in broken
    assert "no_such_module_for_simulators_tests" in broken
    assert "127.0.0.1:6000/tcp listening" in out


def test_list_reports_a_plugin_with_malformed_servers_without_a_traceback(cli, extra_plugin):
    # BUG: plugins.entries() lets dict(kwargs) raise TypeError for non-mapping kwargs,
    # so list dies with a traceback instead of "(cannot load: ...)".
    module = ModuleType("malformed_sim_for_cli_tests", "Kwargs that are not a mapping.")
    module.System = object  # type: ignore[attr-defined]
    module.servers = [(("127.0.0.1", 0), (), ThreadingTCPServer, 5)]  # type: ignore[attr-defined]
    extra_plugin("malformed", module)
    status, out, _ = cli("list")
    assert status == 0
    assert "cannot load" in next(line for line in out.splitlines() if line.startswith("malformed"))
    assert "127.0.0.1:6000/tcp listening" in out


def test_list_imports_no_heavy_dependency():
    code = (
        "import sys; from simulators.cli import main; main(['list']); "
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY}))"
    )
    result = subprocess.run(
        [PY, "-c", code], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("dut ") for line in lines)
    assert any(line.startswith("power_supply ") for line in lines)
    assert lines[-1] == "[]"


# -- start / status / stop ----------------------------------------------------------


def test_start_status_stop_in_process(cli, run_dir):
    offset = free_offset()
    where = ("-s", "dut", "--port-offset", str(offset))
    key = f"dut+{offset}"

    status, out, err = cli(*where, "start")
    assert (status, err) == (0, "")
    pid = started_pid(out)
    served = addresses(out)
    assert [(port, transport, role) for _, port, transport, role in served] == [
        (6000 + offset, "tcp", "listening"),
        (6001 + offset, "tcp", "sending"),
        (6002 + offset, "udp", "listening"),
    ]
    assert all(host == "127.0.0.1" for host, *_ in served)
    # start returned: every TCP port accepts connections right now
    for host, port, transport, _ in served:
        if transport == "tcp":
            socket.create_connection((host, port), timeout=1.0).close()
    assert ask("127.0.0.1", 6000 + offset) == IDENTITY
    assert records(run_dir) == [f"{key}.json"]
    assert json.loads((run_dir / f"{key}.json").read_text())["pid"] == pid

    status, out, _ = cli(*where, "status")
    assert status == 0
    assert f"{key} running (pid {pid})" in out
    assert addresses(out) == served

    status, out, _ = cli(*where, "start")
    assert status == 0
    assert f"dut is already running (pid {pid})" in out
    assert addresses(out) == served

    status, _, err = cli(*where, "--foreground", "start")
    assert status == 1
    assert "already running" in one_error_line(err)

    status, out, _ = cli(*where, "stop")
    assert status == 0
    assert f"{key} stopped" in out
    assert gone(pid)
    assert records(run_dir) == []

    status, out, _ = cli(*where, "status")
    assert status == 3
    assert f"{key} stopped" in out

    status, out, err = cli(*where, "stop")
    assert (status, err) == (0, "")
    assert f"{key} is not running" in out


def test_start_status_stop_through_python_m(run_dir):
    offset = free_offset()
    where = ("-s", "dut", "--port-offset", str(offset))

    started = simulators(*where, "start")
    assert started.returncode == 0, started.stderr
    assert started.stderr == ""
    pid = started_pid(started.stdout)
    assert [port for _, port, *_ in addresses(started.stdout)] == [
        port + offset for port in DUT_PORTS
    ]
    socket.create_connection(("127.0.0.1", 6000 + offset), timeout=1.0).close()
    socket.create_connection(("127.0.0.1", 6001 + offset), timeout=1.0).close()
    assert ask_udp("127.0.0.1", 6002 + offset) == IDENTITY

    running = simulators(*where, "status")
    assert running.returncode == 0
    assert f"dut+{offset} running (pid {pid})" in running.stdout

    again = simulators(*where, "start")
    assert again.returncode == 0
    assert "already running" in again.stdout

    stopped = simulators(*where, "stop")
    assert stopped.returncode == 0
    assert f"dut+{offset} stopped" in stopped.stdout
    assert wait_until(lambda: gone(pid))
    assert records(run_dir) == []

    after = simulators(*where, "status")
    assert after.returncode == 3
    assert f"dut+{offset} stopped" in after.stdout


def test_without_system_start_status_stop_act_on_every_simulator(cli, run_dir):
    offset = free_offset()
    shift = ("--port-offset", str(offset))
    assert plugins.started_with_all() == STARTED_WITH_ALL

    status, out, _ = cli(*shift, "start")
    assert status == 0
    pids = [int(pid) for pid in re.findall(r"started \(pid (\d+)\)", out)]
    assert len(set(pids)) == len(STARTED_WITH_ALL)  # one process per simulator
    assert "station" not in out
    assert ask("127.0.0.1", 6000 + offset) == IDENTITY

    status, out, _ = cli(*shift, "status")
    assert status == 0
    for name in STARTED_WITH_ALL:
        assert f"{name}+{offset} running (pid" in out

    status, out, _ = cli(*shift, "stop")
    assert status == 0
    for name in STARTED_WITH_ALL:
        assert f"{name}+{offset} stopped" in out
    assert all(gone(pid) for pid in pids)
    assert records(run_dir) == []

    status, out, _ = cli(*shift, "status")
    assert status == 0  # without -s, status reports; it does not fail
    assert f"dut+{offset} stopped" in out
    status, out, err = cli(*shift, "stop")
    assert (status, out, err) == (0, "", "")


def test_two_copies_run_side_by_side_with_different_offsets(cli, run_dir):
    first = free_offset()
    second = free_offset(first)
    for offset in (first, second):
        status, out, err = cli("-s", "dut", "--port-offset", str(offset), "start")
        assert (status, err) == (0, ""), out
    assert records(run_dir) == sorted([f"dut+{first}.json", f"dut+{second}.json"])
    assert ask("127.0.0.1", 6000 + first) == IDENTITY
    assert ask("127.0.0.1", 6000 + second) == IDENTITY

    # without -s, status lists every running copy, whatever its offset
    status, out, _ = cli("status")
    assert status == 0
    assert f"dut+{first} running" in out
    assert f"dut+{second} running" in out

    status, out, _ = cli("-s", "dut", "--port-offset", str(first), "stop")
    assert status == 0
    assert records(run_dir) == [f"dut+{second}.json"]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", 6000 + first), timeout=1.0)
    assert ask("127.0.0.1", 6000 + second) == IDENTITY

    status, out, _ = cli("stop")  # every copy, whatever its offset
    assert status == 0
    assert f"dut+{second} stopped" in out
    assert records(run_dir) == []


def test_ephemeral_ports_start_prints_the_real_ports(cli, run_dir):
    status, out, err = cli("-s", "dut", "--ephemeral-ports", "start")
    assert (status, err) == (0, "")
    served = addresses(out)
    assert [(transport, role) for _, _, transport, role in served] == [
        ("tcp", "listening"),
        ("tcp", "sending"),
        ("udp", "listening"),
    ]
    ports = [port for _, port, *_ in served]
    assert all(port not in DUT_PORTS and port > 0 for port in ports)
    assert ask("127.0.0.1", ports[0]) == IDENTITY
    assert ask_udp("127.0.0.1", ports[2]) == IDENTITY
    with socket.create_connection(("127.0.0.1", ports[1]), timeout=WAIT) as telemetry:
        assert telemetry.recv(4096).startswith(b"TLM ")

    status, out, _ = cli("-s", "dut", "stop")
    assert status == 0
    assert records(run_dir) == []


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind(("::1", 0))
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_start_on_ipv6_prints_bracketed_addresses(cli, run_dir):
    status, out, err = cli("-s", "dut", "--host", "::1", "--ephemeral-ports", "start")
    assert (status, err) == (0, ""), out
    endpoints = re.findall(r"^\s+\[::1\]:(\d+)\s+(tcp|udp) (listening|sending)$", out, re.M)
    assert [(t, r) for _, t, r in endpoints] == [
        ("tcp", "listening"),
        ("tcp", "sending"),
        ("udp", "listening"),
    ]
    assert ask("::1", int(endpoints[0][0])) == IDENTITY
    with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as udp:
        udp.settimeout(WAIT)
        udp.sendto(b"*IDN?\n", ("::1", int(endpoints[2][0])))
        assert udp.recv(4096).decode().strip() == IDENTITY
    assert cli("-s", "dut", "stop")[0] == 0
    assert records(run_dir) == []


def test_start_with_a_port_in_use_fails_cleanly_and_leaves_nothing_running(cli, run_dir):
    offset = free_offset()
    busy = 6000 + offset
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", busy))
        blocker.listen()
        status, out, err = cli("-s", "dut", "--port-offset", str(offset), "start")
    assert status != 0
    line = one_error_line(err)
    assert str(busy) in line
    assert "--port-offset" in line
    assert "started" not in out
    assert records(run_dir) == []
    no_traceback((run_dir / f"dut+{offset}.log").read_text())

    status, out, _ = cli("-s", "dut", "--port-offset", str(offset), "status")
    assert status == 3
    assert "stopped" in out
    # nothing kept the ports the failed start had already bound
    assert all(_port_free(port + offset) for port in DUT_PORTS)


def test_foreground_with_a_udp_port_in_use_releases_what_it_bound(cli, run_dir):
    offset = free_offset()
    busy = 6002 + offset
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as blocker:
        blocker.bind(("127.0.0.1", busy))
        status, _, err = cli("-s", "dut", "--port-offset", str(offset), "--foreground", "start")
    assert status == 1
    line = one_error_line(err)
    assert f"{busy}/udp" in line
    assert "--port-offset" in line
    assert records(run_dir) == []
    assert _port_free(6000 + offset)
    assert _port_free(6001 + offset)


# -- --foreground -------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_foreground_exits_0_on_a_signal_and_removes_its_record(foreground, run_dir, signum):
    server = foreground("-s", "dut", "--ephemeral-ports")
    served = server.ready()
    record = json.loads((run_dir / "dut.json").read_text())
    assert record["pid"] == server.proc.pid
    assert [a["port"] for a in record["addresses"]] == [port for _, port, *_ in served]
    assert ask("127.0.0.1", served[0][1]) == IDENTITY

    server.proc.send_signal(signum)
    assert server.wait() == 0
    assert server.rest() == ["dut stopped"]
    assert records(run_dir) == []
    assert server.stderr() == ""


def test_foreground_stops_on_system_stop_while_another_client_stays(foreground, run_dir):
    server = foreground("-s", "dut", "--ephemeral-ports")
    host, port, *_ = server.ready()[0]
    with (
        socket.create_connection((host, port), timeout=WAIT) as stopper,
        socket.create_connection((host, port), timeout=WAIT) as bystander,
    ):
        bystander.sendall(b"*IDN?\n")
        assert bystander.recv(4096) == (IDENTITY + "\n").encode()
        stopper.sendall(b"$system_stop%")
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = stopper.recv(4096)
            assert chunk, "closed before the shutdown reply"
            reply += chunk
        assert reply == b"$server_shutdown%\n"
        assert server.wait() == 0
        with contextlib.suppress(ConnectionResetError):
            assert bystander.recv(4096) == b""  # the server ended this connection too
    assert server.rest() == ["dut stopped"]
    assert records(run_dir) == []


def test_cli_stop_ends_a_foreground_simulator(cli, foreground, run_dir):
    offset = free_offset()
    server = foreground("-s", "dut", "--port-offset", str(offset))
    assert [port for _, port, *_ in server.ready()] == [port + offset for port in DUT_PORTS]
    status, out, _ = cli("-s", "dut", "--port-offset", str(offset), "stop")
    assert status == 0
    assert f"dut+{offset} stopped" in out
    assert server.wait() == 0
    assert records(run_dir) == []


def test_foreground_without_system_is_an_error_with_two_simulators(cli, extra_plugin, run_dir):
    extra_plugin("another", "no_such_module_for_simulators_tests")
    status, out, err = cli("--ephemeral-ports", "--foreground", "start")
    assert status == 1
    assert out == ""
    assert "add -s NAME" in one_error_line(err)


def test_foreground_without_system_is_an_error(foreground, run_dir):
    # BUG: with a single simulator installed, --foreground without -s serves it.
    server = foreground("--ephemeral-ports")
    first = server.line(timeout=10.0)
    assert first is None, f"it served instead of refusing: {first}"
    assert server.wait() != 0
    line = one_error_line(server.stderr())
    assert "-s" in line
    assert records(run_dir) == []


# -- errors --------------------------------------------------------------------------


def test_unknown_simulator_is_one_error_line(cli, run_dir):
    status, out, err = cli("-s", "nope", "start")
    assert status == 1
    assert out == ""
    line = one_error_line(err)
    assert "'nope'" in line
    assert "dut" in line  # names what is known
    assert records(run_dir) == []

    status, _, err = cli("-s", "nope", "--foreground", "start")
    assert status == 1
    assert "'nope'" in one_error_line(err)


def test_unknown_type_fails_with_the_list_of_types(run_dir):
    offset = free_offset()
    result = simulators("-s", "dut", "-t", "bogus", "--port-offset", str(offset), "start")
    assert result.returncode == 1
    line = one_error_line(result.stderr)
    assert "bogus" in line
    for name in ("clean", "factory-flaky", "markov-flaky"):
        assert name in line
    assert "started" not in result.stdout
    assert records(run_dir) == []


def test_a_good_type_is_served(cli, run_dir):
    offset = free_offset()
    where = ("-s", "dut", "--port-offset", str(offset))
    status, out, err = cli(*where, "-t", "factory-flaky", "--verbose", "start")
    assert (status, err) == (0, ""), out
    assert ask("127.0.0.1", 6000 + offset, b"$system_profile%").startswith("factory-flaky")
    assert cli(*where, "stop")[0] == 0


def test_type_on_a_simulator_without_types_is_an_error(cli, extra_plugin, run_dir):
    module = ModuleType("untyped_sim_for_cli_tests", "A simulator without types.")

    class System(ListeningSystem):
        def parse(self, byte: bytes) -> bool | bytes:
            return True

    module.System = System  # type: ignore[attr-defined]
    module.servers = [(("127.0.0.1", 0), (), ThreadingTCPServer, {})]  # type: ignore[attr-defined]
    extra_plugin("untyped", module)
    status, out, err = cli("-s", "untyped", "-t", "x", "--ephemeral-ports", "--foreground", "start")
    assert status == 1
    assert "drop -t" in one_error_line(err)
    assert "serving" not in out
    assert records(run_dir) == []


@pytest.mark.parametrize(
    "argv",
    [[], ["bogus"], ["--port-offset", "x", "list"], ["list", "--no-such-option"]],
)
def test_bad_usage_exits_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("usage: discos-simulator")
    no_traceback(err)


def test_bad_usage_through_python_m_has_no_traceback():
    result = simulators("frobnicate")
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    no_traceback(result.stderr)


def test_interrupt_is_an_error_exit_not_a_traceback(cli, monkeypatch):
    def interrupted() -> dict[str, plugins.PluginInfo]:
        raise KeyboardInterrupt

    monkeypatch.setattr(plugins, "discover", interrupted)
    status, _, err = cli("status")
    assert status == 1
    no_traceback(err)
