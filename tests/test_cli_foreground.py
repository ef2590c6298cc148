"""``discos-simulator ... --foreground start``: serving in the calling process."""

from __future__ import annotations

import contextlib
import json
import signal
import socket

import pytest

from tests.cli_support import (
    DUT_PORTS,
    IDENTITY,
    WAIT,
    ask,
    cli,
    extra_plugin,
    foreground,
    free_offset,
    one_error_line,
    records,
    run_dir,
)

pytestmark = pytest.mark.usefixtures("run_dir")
__all__ = ["cli", "extra_plugin", "foreground", "run_dir"]  # fixtures, imported for pytest


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
