"""What ``discos-simulator`` says about running simulators: one word, hints, clashes, types.

Most tests record a live ``sleep`` as a running simulator (a record it would
pass verification with) instead of starting one: the wording does not need a
real simulator, and the tests stay fast. A few start real ones.
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simulators import runtime
from tests.cli_support import (
    WAIT,
    cli,
    free_offset,
    launched,
    one_error_line,
    records,
    run_dir,
    started_pid,
)

pytestmark = pytest.mark.usefixtures("run_dir")
__all__ = ["cli", "run_dir"]  # fixtures, imported for pytest

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def running() -> Iterator[Callable[..., int]]:
    """Record a live process as simulator ``key`` (with ``type`` and ``addresses``); its pid."""
    processes: list[subprocess.Popen[bytes]] = []

    def record(
        key: str, system_type: str | None = None, served: tuple[tuple[str, int, str], ...] = ()
    ) -> int:
        process = launched("sleep", "60")
        processes.append(process)
        addresses: list[dict[str, str | int]] = [
            {"role": "listening", "transport": transport, "host": host, "port": port}
            for host, port, transport in served
        ]
        runtime.write(runtime.record(key, process.pid, addresses, system_type))
        return process.pid

    yield record
    for process in processes:
        process.kill()
        process.wait(WAIT)


# -- one word: stopped; and a hint when another copy runs ------------------------------------


def test_status_of_a_stopped_copy_names_the_copy_that_runs(cli: Cli, running):
    pid = running("dut+100", "clean")
    status, out, _ = cli("-s", "dut", "--port-offset", "200", "status")
    assert status == 3
    assert out == f"dut+200 stopped (a copy runs with --port-offset 100: pid {pid})\n"
    status, out, _ = cli("-s", "dut", "status")
    assert status == 3
    assert out == f"dut stopped (a copy runs with --port-offset 100: pid {pid})\n"


def test_the_hint_names_every_copy(cli: Cli, running):
    shifted = running("dut+100", "clean")
    unshifted = running("dut", "clean")
    status, out, _ = cli("-s", "dut", "--port-offset", "200", "status")
    assert status == 3
    assert out == (
        f"dut+200 stopped (copies run with --port-offset 100: pid {shifted}; "
        f"without --port-offset: pid {unshifted})\n"
    )


def test_stop_of_a_stopped_copy_says_stopped_too_and_touches_no_copy(cli: Cli, running, run_dir):
    pid = running("dut+100", "clean")
    status, out, err = cli("-s", "dut", "--port-offset", "200", "stop")
    assert (status, err) == (0, "")
    assert out == f"dut+200 already stopped (a copy runs with --port-offset 100: pid {pid})\n"
    assert records(run_dir) == ["dut+100.json"]


def test_without_a_copy_there_is_no_hint(cli: Cli, running):
    running("dmm+100", "custom")  # another simulator is no copy of dut
    assert cli("-s", "dut", "status")[1] == "dut stopped\n"
    assert cli("-s", "dut", "stop")[1] == "dut already stopped\n"


# -- starting what runs: same type, or an error -------------------------------------------------


def test_starting_a_running_simulator_with_another_type_is_an_error(cli: Cli, running):
    pid = running("station+100", "custom")
    where = ("-s", "station", "--port-offset", "100")
    status, out, err = cli(*where, "-t", "modbus-tcp", "start")
    assert status == 1
    assert out == ""
    assert err == (
        f"error: station is already running with -t custom (pid {pid}); stop it first "
        "or use --port-offset to run another copy\n"
    )
    for same in (["-t", "custom"], []):  # the same type, or none while the default runs
        status, out, err = cli(*where, *same, "start")
        assert (status, err) == (0, "")
        assert out == f"station is already running (pid {pid})\n"


def test_no_type_asks_for_the_default_one(cli: Cli, running):
    pid = running("station+100", "modbus-tcp")
    status, _, err = cli("-s", "station", "--port-offset", "100", "start")
    assert status == 1
    assert one_error_line(err) == (
        f"error: station is already running with -t modbus-tcp (pid {pid}); stop it first "
        "or use --port-offset to run another copy"
    )


def test_the_record_keeps_the_type_a_simulator_was_started_with(cli: Cli, run_dir: Path):
    where = ("-s", "dut", "--port-offset", str(free_offset()))
    status, out, err = cli(*where, "-t", "markov-flaky", "start")
    assert (status, err) == (0, ""), out
    pid = started_pid(out)
    record = runtime.read(f"dut+{where[-1]}")
    assert record is not None
    assert record.system_type == "markov-flaky"
    status, _, err = cli(*where, "start")  # the default, clean, is not what runs
    assert status == 1
    assert f"already running with -t markov-flaky (pid {pid})" in one_error_line(err)
    assert cli(*where, "-t", "markov-flaky", "start")[0] == 0
    assert cli(*where, "stop")[0] == 0


# -- a port clash with one of ours names it ---------------------------------------------------


def test_a_port_held_by_one_of_our_simulators_is_named(cli: Cli, running, run_dir):
    offset = free_offset()
    port = 5021 + offset  # dmm's port, which station serves too
    station = ("-s", "station", "--port-offset", str(offset), "--foreground", "start")
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", port))
        blocker.listen()
        status, _, err = cli(*station)
        assert status == 1
        assert "already in use: stop what uses it" in one_error_line(err)  # not one of ours

        pid = running(f"dmm+{offset}", "custom", (("127.0.0.1", port, "tcp"),))
        status, out, err = cli(*station)
    assert (status, out) == (1, "")
    assert err == (
        f"error: port 127.0.0.1:{port}/tcp is already in use by simulator dmm (pid {pid}); "
        f"stop it (discos-simulator -s dmm --port-offset {offset} stop) or use --port-offset N\n"
    )
    assert records(run_dir) == [f"dmm+{offset}.json"]


def test_the_owner_of_a_port_is_found_by_port_transport_and_host(running):
    pid = running("dmm+7", "custom", (("127.0.0.1", 5028, "tcp"),))
    wildcard = running("dut+7", "clean", (("0.0.0.0", 6007, "tcp"), ("::1", 6009, "udp")))
    found = {
        (host, port, transport): getattr(runtime.owner_of(host, port, transport), "pid", None)
        for host, port, transport in [
            ("127.0.0.1", 5028, "tcp"),
            ("localhost", 5028, "tcp"),
            ("0.0.0.0", 5028, "tcp"),  # binding every interface clashes with any
            ("127.0.0.1", 5028, "udp"),
            ("127.0.0.1", 5029, "tcp"),
            ("10.0.0.1", 5028, "tcp"),
            ("127.0.0.1", 6007, "tcp"),  # held on every interface
            ("::1", 6009, "udp"),
            ("127.0.0.1", 6009, "udp"),
        ]
    }
    assert found == {
        ("127.0.0.1", 5028, "tcp"): pid,
        ("localhost", 5028, "tcp"): pid,
        ("0.0.0.0", 5028, "tcp"): pid,
        ("127.0.0.1", 5028, "udp"): None,
        ("127.0.0.1", 5029, "tcp"): None,
        ("10.0.0.1", 5028, "tcp"): None,
        ("127.0.0.1", 6007, "tcp"): wildcard,
        ("::1", 6009, "udp"): wildcard,
        ("127.0.0.1", 6009, "udp"): None,
    }


def test_a_background_start_names_the_simulator_that_holds_its_port(cli: Cli, run_dir):
    offset = free_offset()
    status, out, err = cli("-s", "dmm", "--port-offset", str(offset), "start")
    assert (status, err) == (0, ""), out
    pid = started_pid(out)
    status, out, err = cli("-s", "station", "--port-offset", str(offset), "start")
    assert (status, out) == (1, "")
    assert one_error_line(err) == (
        f"error: station: port 127.0.0.1:{5021 + offset}/tcp is already in use by simulator "
        f"dmm (pid {pid}); stop it (discos-simulator -s dmm --port-offset {offset} stop) "
        "or use --port-offset N"
    )
    assert records(run_dir) == [f"dmm+{offset}.json"]


# -- binding --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv", [["--host", "", "-s", "dut", "start"], ["start", "--host", ""], ["list", "--host", ""]]
)
def test_an_empty_host_is_refused_with_one_line(cli: Cli, run_dir, argv):
    status, out, err = cli(*argv)
    assert (status, out) == (1, "")
    assert err == (
        "error: --host is empty: give an address such as 127.0.0.1 (this machine only) "
        "or 0.0.0.0 (every interface)\n"
    )
    assert records(run_dir) == []


def test_a_non_loopback_host_is_warned_about(cli: Cli):
    # -t bogus fails before any port is bound: nothing is exposed by this test
    argv = ("--host", "0.0.0.0", "-s", "dut", "-t", "bogus", "--ephemeral-ports")
    status, _, err = cli(*argv, "--foreground", "start")
    assert status == 1
    warning, error = err.splitlines()
    assert warning == (
        "warning: serving on 0.0.0.0: custom commands ($system_*) are unauthenticated; "
        "anyone who can reach these ports can inject faults or stop the simulator"
    )
    assert error.startswith("error: simulator 'dut': unknown type 'bogus'")
