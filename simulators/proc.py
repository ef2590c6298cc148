"""Which process a pid is: its start time and command line, read from ``/proc``.

A pid alone names whatever process holds it now; after a crash the kernel may
give it to an unrelated program. The start time (field 22 of
``/proc/PID/stat``, in clock ticks after boot) and the command line tell the
process that wrote a record from a later one with the same pid.
"""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Identity", "cpu_seconds", "identity", "send_signal", "stat_fields"]

#: Clock ticks per second, the unit of the times in ``/proc/PID/stat``.
CLOCK_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Identity:
    """What tells one process from a later one with the same pid."""

    start_time: int  # clock ticks after boot: field 22 of /proc/PID/stat
    command: list[str]  # /proc/PID/cmdline, one string per argument


def stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/PID/stat`` from field 3 (the state) on; None if unreadable.

    "PID (name) STATE ...": the name may hold spaces and parentheses, so the
    fields are counted after the last ")". Field N of proc(5) is item N - 3.
    """
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return status.rsplit(")", 1)[-1].split()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, all threads) process ``pid`` has used; OSError if it is gone."""
    fields = stat_fields(pid)
    if fields is None:
        raise ProcessLookupError(f"no process {pid}")
    return (int(fields[14 - 3]) + int(fields[15 - 3])) / CLOCK_TICKS_PER_S


def identity(pid: int) -> Identity | None:
    """Return the identity of live process ``pid``, or None (no such process, or a zombie).

    On a system without ``/proc`` nothing can be told apart: None.
    """
    fields = stat_fields(pid)
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    # STATE is field 3 (item 0), the start time field 22 (item 19).
    if fields is None or len(fields) < 20 or fields[0] == "Z":
        return None
    # Empty while the process execs or exits (and for kernel threads): no arguments yet.
    if command.endswith(b"\0"):
        command = command[:-1]
    arguments = [os.fsdecode(part) for part in command.split(b"\0")] if command else []
    return Identity(int(fields[19]), arguments)


def send_signal(pid: int, expected: Identity, signum: int) -> bool:
    """Send ``signum`` to ``pid`` only if it is still the process ``expected``.

    The process is pinned with a pidfd before its identity is checked, so the
    signal cannot reach a process that took the pid in between. Returns whether
    the signal was sent.
    """
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    except OSError:  # pragma: no cover - a kernel without pidfd: check, then kill
        pidfd = None
    try:
        if identity(pid) != expected:
            return False
        if pidfd is None:  # pragma: no cover
            os.kill(pid, signum)
        else:
            signal.pidfd_send_signal(pidfd, signum)
    except ProcessLookupError:
        return False
    finally:
        if pidfd is not None:
            os.close(pidfd)
    return True
