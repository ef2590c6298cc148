"""The runtime directory: where it is, the instance records in it, spawning and stopping."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators import runtime
from simulators.runtime import Instance, LaunchError
from tests.cli_support import gone, launched

PY = sys.executable
WAIT = 5.0
ADDRESSES: list[dict[str, str | int]] = [
    {"role": "listening", "transport": "tcp", "host": "127.0.0.1", "port": 1},
    {"role": "listening", "transport": "udp", "host": "::1", "port": 2},
]


@pytest.fixture
def run_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "run"
    monkeypatch.setenv(runtime.ENV_RUNTIME_DIR, str(path))
    yield path
    for instance in runtime.instances():
        if instance.pid != os.getpid():
            runtime.terminate(instance, timeout=2.0)


@pytest.fixture
def live_pid() -> Iterator[int]:
    """The pid of a live child process (killed afterwards)."""
    process = launched(PY, "-c", "import time; time.sleep(60)")
    yield process.pid
    process.kill()
    process.wait(WAIT)


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has exited and been reaped."""
    process = subprocess.Popen([PY, "-c", "pass"])
    process.wait(WAIT)
    return process.pid


@pytest.fixture
def zombie_pid() -> Iterator[int]:
    """The pid of a child that has exited but is not reaped yet (so it cannot be reused)."""
    process = subprocess.Popen([PY, "-c", "pass"])
    stat_file = Path(f"/proc/{process.pid}/stat")
    deadline = time.monotonic() + WAIT
    while stat_file.read_text().rsplit(")", 1)[-1].split()[0] != "Z":
        assert time.monotonic() < deadline, "the child never exited"
        time.sleep(0.01)
    yield process.pid
    process.wait(WAIT)


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """A live child process that ignores SIGTERM (it must be killed)."""
    code = (
        "import signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([PY, "-c", code], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"  # its SIGTERM handler is in place
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(WAIT)
    process.stdout.close()


# -- keys ------------------------------------------------------------------------------


def test_instance_key():
    assert runtime.instance_key("dut") == "dut"
    assert runtime.instance_key("dut", 0) == "dut"
    assert runtime.instance_key("dut", 100) == "dut+100"
    assert runtime.instance_key("dut", -5) == "dut+-5"


def test_endpoints_bracket_ipv6_hosts():
    assert Instance("dut", 1, ADDRESSES).endpoints() == ["127.0.0.1:1", "[::1]:2"]


# -- records ------------------------------------------------------------------------------


def test_write_read_remove_round_trip(run_dir, live_pid):
    instance = runtime.record("dut+7", live_pid, ADDRESSES, "clean")
    assert instance.system_type == "clean"
    runtime.write(instance)
    assert sorted(p.name for p in run_dir.iterdir()) == ["dut+7.json"]  # no temporary left
    assert runtime.read("dut+7") == instance
    assert runtime.instances() == [instance]
    runtime.remove("dut+7")
    assert runtime.read("dut+7") is None
    assert list(run_dir.iterdir()) == []
    runtime.remove("dut+7")  # removing what is gone is fine


def test_read_of_nothing_or_garbage_is_none(run_dir):
    assert runtime.read("dut") is None
    (run_dir / "bad.json").write_text("{not json")
    (run_dir / "partial.json").write_text(json.dumps({"key": "partial"}))
    (run_dir / "typed.json").write_text(json.dumps({"key": "t", "pid": [], "addresses": []}))
    for key in ("bad", "partial", "typed"):
        assert runtime.read(key) is None
    assert runtime.instances() == []


def test_a_record_of_a_dead_process_is_removed_on_read(run_dir, dead_pid, live_pid):
    runtime.write(Instance("dut", dead_pid, ADDRESSES, 1, ["python"]))
    runtime.write(runtime.record("live", live_pid, ADDRESSES))
    assert runtime.read("dut") is None
    assert not (run_dir / "dut.json").exists()
    assert [instance.key for instance in runtime.instances()] == ["live"]


def test_a_record_of_a_zombie_is_removed_on_read(run_dir, zombie_pid):
    # kill(pid, 0) alone would call a zombie alive
    runtime.write(Instance("dut", zombie_pid, ADDRESSES, 1, ["python"]))
    assert runtime.read("dut") is None
    assert not (run_dir / "dut.json").exists()


def test_remove_with_a_pid_removes_only_a_matching_record(run_dir, live_pid):
    runtime.write(Instance("dut", live_pid, ADDRESSES))
    runtime.remove("dut", pid=live_pid + 1)
    assert (run_dir / "dut.json").exists()
    runtime.remove("dut", pid=live_pid)
    assert not (run_dir / "dut.json").exists()
    runtime.remove("dut", pid=live_pid)  # no record: nothing to do
    (run_dir / "dut.json").write_text("garbage")
    runtime.remove("dut", pid=live_pid)  # unreadable: not provably ours, kept
    assert (run_dir / "dut.json").exists()


# -- terminate ----------------------------------------------------------------------------


def test_terminate_an_already_dead_process(run_dir, zombie_pid):
    # a zombie: it has exited, and its pid cannot belong to anyone else yet
    instance = Instance("dut", zombie_pid, ADDRESSES, 1, ["python"])
    runtime.write(instance)
    assert not runtime.terminate(instance, timeout=1.0)  # nothing to signal
    assert not (run_dir / "dut.json").exists()


def test_terminate_stops_a_process_with_sigterm(run_dir):
    process = launched(PY, "-c", "import time; time.sleep(60)")
    try:
        instance = runtime.record("dut", process.pid, ADDRESSES)
        runtime.write(instance)
        assert runtime.terminate(instance, timeout=WAIT)
        assert process.wait(WAIT) == -signal.SIGTERM
        assert not (run_dir / "dut.json").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(WAIT)


def test_terminate_kills_a_process_that_ignores_sigterm(run_dir, sleeper):
    instance = runtime.record("dut", sleeper.pid, ADDRESSES)
    runtime.write(instance)
    assert runtime.terminate(instance, timeout=0.2)
    assert sleeper.wait(WAIT) == -signal.SIGKILL
    assert not (run_dir / "dut.json").exists()


def test_terminate_leaves_a_newer_record_alone(run_dir, zombie_pid, live_pid):
    runtime.write(runtime.record("dut", live_pid, ADDRESSES))  # the key was reused meanwhile
    runtime.terminate(Instance("dut", zombie_pid, ADDRESSES), timeout=1.0)
    assert runtime.read("dut") is not None


# -- spawn ---------------------------------------------------------------------------------


def test_spawn_starts_a_simulator_and_returns_when_it_accepts(run_dir):
    instance = runtime.spawn(["-s", "dut", "--ephemeral-ports"], "dut")
    try:
        assert instance == runtime.read("dut")
        assert [a["transport"] for a in instance.addresses] == ["tcp", "tcp", "udp"]
        socket.create_connection(("127.0.0.1", int(instance.addresses[0]["port"])), 1.0).close()
        assert (run_dir / "dut.log").exists()
    finally:
        runtime.terminate(instance)
    assert gone(instance.pid)
    assert runtime.read("dut") is None


def test_spawn_reports_the_error_line_of_a_process_that_exits_at_once(run_dir):
    with pytest.raises(LaunchError) as error:
        runtime.spawn(["-s", "nope"], "nope")
    message = str(error.value)
    assert message.startswith("unknown simulator 'nope'")  # without the "error: " prefix
    assert "\n" not in message
    assert runtime.read("nope") is None


def test_spawn_reports_the_last_line_when_there_is_no_error_line(run_dir):
    with pytest.raises(LaunchError, match="invalid choice"):
        runtime.spawn(["--port-offset", "1", "frobnicate"], "odd")


def test_spawn_reports_the_status_of_a_silent_exit(run_dir, monkeypatch):
    monkeypatch.setattr(sys, "executable", "/bin/false")
    with pytest.raises(LaunchError, match="exited with status 1"):
        runtime.spawn(["-s", "dut"], "dut")


def test_spawn_kills_a_process_that_is_never_ready(run_dir, monkeypatch, tmp_path):
    script = tmp_path / "hangs"
    script.write_text('#!/bin/sh\necho $$ > "$0.pid"\nexec sleep 60\n')
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(script))
    with pytest.raises(
        LaunchError, match=r"not ready after 0\.3 s; see .*hangs\.out and .*hangs\.log"
    ):
        runtime.spawn([], "hangs", timeout=0.3)
    pid = int((tmp_path / "hangs.pid").read_text())
    assert gone(pid)


def test_spawn_waits_until_every_tcp_port_accepts(run_dir, monkeypatch, tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    record = {"key": "deaf", "pid": 0, "addresses": [dict(ADDRESSES[0], port=closed_port)]}
    identity = "from simulators.proc import identity; me = identity(os.getpid())"
    # records itself as serving a port nobody listens on, then never binds it
    script = tmp_path / "deaf"
    script.write_text(
        f"#!{PY}\n"
        "import json, os, time\n"
        f"{identity}\n"
        f"record = {record!r}\n"
        "record.update(pid=os.getpid(), start_time=me.start_time, command=me.command)\n"
        f"with open({str(run_dir / 'deaf.json')!r}, 'w') as out:\n"
        "    json.dump(record, out)\n"
        "print('recorded', flush=True)\n"
        "time.sleep(60)\n"
    )
    script.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(script))
    with pytest.raises(LaunchError, match=r"not ready after 1 s"):
        runtime.spawn([], "deaf", timeout=1.0)
    assert "recorded" in (run_dir / "deaf.out").read_text()
    assert not (run_dir / "deaf.json").exists()  # the killed process's record is gone
