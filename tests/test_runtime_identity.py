"""Records are believed only while their pid is still the process that wrote them.

After a crash the kernel may give a simulator's pid to an unrelated program:
``status`` must not call it running and ``stop`` must never signal it. A record
holds the process's start time (field 22 of ``/proc/PID/stat``) and command
line; both must match the live process.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from simulators import proc, runtime
from simulators.proc import Identity
from simulators.runtime import Instance
from tests.cli_support import (
    cli,
    free_offset,
    gone,
    launched,
    records,
    run_dir,
    started_pid,
    wait_until,
)

pytestmark = pytest.mark.usefixtures("run_dir")
__all__ = ["cli", "run_dir"]  # fixtures, imported for pytest

WAIT = 5.0
ADDRESSES: list[dict[str, str | int]] = [
    {"role": "listening", "transport": "tcp", "host": "127.0.0.1", "port": 1},
]


@pytest.fixture
def sleep() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated program: ``sleep 60``."""
    process = launched("sleep", "60")
    yield process
    process.kill()
    process.wait(WAIT)


@pytest.fixture
def stubborn() -> Iterator[subprocess.Popen[bytes]]:
    """A child that ignores SIGTERM (only SIGKILL ends it)."""
    code = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stdout.readline() == b"ready\n"
    yield process
    if process.poll() is None:
        process.kill()
    process.wait(WAIT)
    process.stdout.close()


def stat_field_22(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])


# -- reading /proc ------------------------------------------------------------------------


def test_identity_of_a_live_process(sleep):
    found = proc.identity(sleep.pid)
    assert found == Identity(stat_field_22(sleep.pid), ["sleep", "60"])
    assert proc.identity(os.getpid()) != found


def test_identity_reads_a_name_with_spaces_and_parentheses(tmp_path, sleep):
    odd = tmp_path / "a) b (c"
    shutil.copy(shutil.which("sleep") or "/bin/sleep", odd)
    process = launched(str(odd), "60")
    try:
        found = proc.identity(process.pid)
        assert found is not None
        assert found.command == [str(odd), "60"]
        assert found.start_time >= stat_field_22(sleep.pid)  # started after the fixture's
    finally:
        process.kill()
        process.wait(WAIT)


def test_identity_of_no_process_or_a_zombie_is_none():
    process = subprocess.Popen(["true"])
    assert wait_until(lambda: proc.identity(process.pid) is None)  # a zombie until reaped
    process.wait(WAIT)
    assert proc.identity(process.pid) is None


def test_cpu_seconds_counts_this_process_and_refuses_a_gone_one():
    before = proc.cpu_seconds(os.getpid())
    spent = time.process_time()
    while time.process_time() - spent < 0.1:  # burn CPU: several clock ticks
        pass
    assert proc.cpu_seconds(os.getpid()) >= before + 0.05
    process = subprocess.Popen(["true"])
    process.wait(WAIT)  # reaped: the pid is free
    with pytest.raises(ProcessLookupError):
        proc.cpu_seconds(process.pid)


def test_send_signal_refuses_a_process_that_is_not_the_expected_one(sleep):
    real = proc.identity(sleep.pid)
    assert real is not None
    assert not proc.send_signal(sleep.pid, replace(real, start_time=real.start_time - 1), 9)
    assert not proc.send_signal(sleep.pid, replace(real, command=["python"]), 9)
    assert sleep.poll() is None
    assert proc.send_signal(sleep.pid, real, signal.SIGTERM)
    assert sleep.wait(WAIT) == -signal.SIGTERM


def test_nothing_is_signalled_or_recorded_for_a_process_that_is_gone():
    process = subprocess.Popen(["true"])
    process.wait(WAIT)
    assert not proc.send_signal(process.pid, Identity(1, ["true"]), signal.SIGTERM)
    with pytest.raises(runtime.LaunchError, match=f"process {process.pid} is not running"):
        runtime.record("dut", process.pid, ADDRESSES)


# -- records ------------------------------------------------------------------------------


def test_a_record_with_a_reused_pid_is_stale_and_removed(run_dir, sleep):
    real = runtime.record("dut", sleep.pid, ADDRESSES)
    assert real.start_time is not None
    for forged in (replace(real, start_time=real.start_time - 1), replace(real, command=["x"])):
        runtime.write(forged)
        assert runtime.read("dut") is None
        assert records(run_dir) == []
    runtime.write(real)
    assert runtime.read("dut") == real  # the true process is believed


def test_an_old_record_without_start_time_is_stale(run_dir, sleep):
    runtime.runtime_dir()
    (run_dir / "dut.json").write_text(
        f'{{"key": "dut", "pid": {sleep.pid}, "addresses": []}}'  # before start times
    )
    assert runtime.read("dut") is None
    assert records(run_dir) == []
    assert not runtime.terminate(Instance("dut", sleep.pid, []))
    assert sleep.poll() is None


def test_a_stale_record_replaced_meanwhile_is_kept(run_dir, sleep, monkeypatch):
    fresh = runtime.record("dut", sleep.pid, ADDRESSES)
    runtime.write(replace(fresh, start_time=1))
    checked = runtime.verified

    def replaced_while_checking(instance: Instance) -> bool:
        runtime.write(fresh)  # a new simulator recorded itself under the same key
        return checked(instance)

    with monkeypatch.context() as patch:
        patch.setattr(runtime, "verified", replaced_while_checking)
        assert runtime.read("dut") is None  # what was read is stale ...
    assert runtime.read("dut") == fresh  # ... but the new record is not removed


def test_terminate_never_signals_a_process_that_is_not_the_recorded_one(run_dir, sleep):
    forged = replace(runtime.record("dut", sleep.pid, ADDRESSES), start_time=1)
    runtime.write(forged)
    assert not runtime.terminate(forged, timeout=0.2)
    assert sleep.poll() is None
    assert records(run_dir) == []


@pytest.mark.parametrize("pid", [0, -1, 2**22 + 1])
def test_a_record_with_a_pid_that_names_no_process_signals_nothing(run_dir, pid):
    # kill(0, ...) and kill(-1, ...) would reach a whole process group or every process
    forged = Instance("dut", pid, ADDRESSES, 1, ["python"])
    runtime.write(forged)
    assert runtime.read("dut") is None
    assert not runtime.terminate(forged, timeout=0.2)
    assert not proc.send_signal(pid, Identity(1, ["python"]), signal.SIGTERM)


def test_terminate_checks_again_before_sigkill(run_dir, stubborn, monkeypatch):
    instance = runtime.record("dut", stubborn.pid, ADDRESSES)
    runtime.write(instance)
    real_identity = proc.identity
    signalled: list[int] = []
    real_send = proc.send_signal

    def send(pid: int, expected: Identity, signum: int) -> bool:
        signalled.append(signum)
        return real_send(pid, expected, signum)

    def reused_after_sigterm(pid: int) -> Identity | None:
        found = real_identity(pid)
        if signalled and found is not None:  # as if the pid now were another program's
            return replace(found, start_time=found.start_time + 1)
        return found

    monkeypatch.setattr(runtime, "send_signal", send)
    monkeypatch.setattr(runtime, "identity", reused_after_sigterm)
    monkeypatch.setattr(proc, "identity", reused_after_sigterm)
    runtime.terminate(instance, timeout=0.2)
    assert signalled == [signal.SIGTERM]  # no SIGKILL for what is no longer ours
    assert stubborn.poll() is None


# -- the command line: the reported failure, reproduced ----------------------------------------


def test_after_a_crash_and_pid_reuse_status_says_stopped_and_stop_spares_the_pid(
    cli: Callable[..., tuple[int, str, str]], run_dir: Path, sleep: subprocess.Popen[bytes]
):
    offset = free_offset()
    where = ("-s", "dut", "--port-offset", str(offset))
    key = f"dut+{offset}"
    status, out, err = cli(*where, "start")
    assert (status, err) == (0, ""), out
    crashed = started_pid(out)
    record = (run_dir / f"{key}.json").read_text()
    os.kill(crashed, signal.SIGKILL)
    assert wait_until(lambda: gone(crashed))

    # The kernel gave the pid to `sleep`: the record now names it.
    forged = record.replace(f'"pid": {crashed}', f'"pid": {sleep.pid}')
    (run_dir / f"{key}.json").write_text(forged)
    status, out, _ = cli(*where, "status")
    assert status == 3
    assert out == f"{key} stopped\n"
    assert records(run_dir) == []

    (run_dir / f"{key}.json").write_text(forged)
    status, out, _ = cli(*where, "stop")
    assert status == 0
    assert out == f"{key} already stopped\n"
    assert sleep.poll() is None  # the unrelated process lives on
    assert records(run_dir) == []

    (run_dir / f"{key}.json").write_text(forged)
    status, out, _ = cli(*where, "start")  # not "already running"
    assert status == 0, out
    assert started_pid(out) != sleep.pid
    assert cli(*where, "stop")[0] == 0
    assert sleep.poll() is None
