"""``discos-simulator`` start, status and stop (``python -m simulators`` is the same).

Every test runs with its own runtime directory and never on the default ports
(see :mod:`tests.cli_support`).
"""

from __future__ import annotations

import json
import re
import socket

import pytest

from simulators import plugins
from tests.cli_support import (
    DUT_PORTS,
    IDENTITY,
    STARTED_WITH_ALL,
    WAIT,
    _port_free,
    addresses,
    ask,
    ask_udp,
    cli,
    free_offset,
    gone,
    no_traceback,
    one_error_line,
    records,
    run_dir,
    simulators,
    started_pid,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("run_dir")
__all__ = ["cli", "run_dir"]  # fixtures, imported for pytest


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
    assert out == f"{key} already stopped\n"  # the word status uses


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
    no_traceback((run_dir / f"dut+{offset}.out").read_text())

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
