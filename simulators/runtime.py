"""Simulators as background processes: one process per simulator, tracked in a runtime directory.

The runtime directory (private: owned by the user, mode 0700) holds, per
simulator, ``<key>.json`` (its record: pid, the process's start time and
command line, the ``-t`` type and the served addresses, written by the
simulator process once every port is bound), ``<key>.log`` (its log, appended
across restarts and rotated) and ``<key>.out`` (what the last start printed
before it was serving). ``key`` is the simulator name, plus ``+N`` when started
with ``--port-offset N``, so shifted copies are tracked side by side.

A record is believed only while the process with its pid has the recorded
start time and command line: a pid reused by another program after a crash is
never signalled, and its record is dropped as stale.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from simulators.proc import Identity, identity, send_signal

__all__ = [
    "ENV_RUNTIME_DIR",
    "Instance",
    "LaunchError",
    "RuntimeDirError",
    "alive",
    "instance_key",
    "instances",
    "owner_of",
    "read",
    "record",
    "remove",
    "runtime_dir",
    "spawn",
    "terminate",
    "verified",
    "write",
]

#: Overrides where records and logs live.
ENV_RUNTIME_DIR = "DISCOS_SIMULATORS_RUNTIME_DIR"
#: Seconds ``start`` waits for a simulator to be ready, and ``stop`` for it to exit.
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
_POLL = 0.005


class LaunchError(Exception):
    """A simulator process could not be started or stopped; the message says why."""


class RuntimeDirError(LaunchError):
    """The runtime directory is not private to this user: records in it cannot be trusted."""


@dataclass(frozen=True)
class Instance:
    """A simulator process, who it is, how it was started and what it serves."""

    key: str
    pid: int
    addresses: list[dict[str, str | int]]
    start_time: int | None = None  # None: an old record that cannot be verified
    command: list[str] = field(default_factory=list)
    system_type: str | None = None

    def endpoints(self) -> list[str]:
        """Return ``host:port`` for every address."""
        return [_endpoint(a) for a in self.addresses]

    @property
    def name(self) -> str:
        """The simulator's name (the key without its ``+N`` port offset)."""
        return self.key.partition("+")[0]

    @property
    def port_offset(self) -> int:
        """The ``--port-offset`` it was started with."""
        offset = self.key.partition("+")[2]
        return int(offset) if offset else 0


def _endpoint(address: dict[str, str | int]) -> str:
    host = str(address["host"])
    return f"[{host}]:{address['port']}" if ":" in host else f"{host}:{address['port']}"


# -- the runtime directory ---------------------------------------------------------------


def runtime_dir() -> Path:
    """Return the runtime directory, creating it private (0700) if it does not exist.

    Raises :class:`RuntimeDirError` when it is a symbolic link, not a directory,
    owned by another user or open to group or others: anyone who can write
    records there could make ``stop`` signal any process.
    """
    configured = os.environ.get(ENV_RUNTIME_DIR)
    if configured:
        path = Path(configured)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(os.environ["XDG_RUNTIME_DIR"]) / "discos-simulators"
    else:
        path = Path(tempfile.gettempdir()) / f"discos-simulators-{os.getuid()}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:
            pass  # checked below, never changed: it may not be ours
        else:
            os.chmod(path, 0o700)  # mkdir's mode was masked by the umask
    except OSError as error:
        raise RuntimeDirError(
            f"cannot create runtime directory {path}: {error.strerror or error}; "
            f"set {ENV_RUNTIME_DIR} to a private directory"
        ) from None
    _check_private(path)
    return path


def _check_private(path: Path) -> None:
    try:
        status = os.lstat(path)
    except OSError as error:  # pragma: no cover - removed between mkdir and lstat
        raise RuntimeDirError(f"runtime directory {path}: {error.strerror or error}") from None
    problems = []
    if stat.S_ISLNK(status.st_mode):
        problems.append("a symbolic link")
    elif not stat.S_ISDIR(status.st_mode):
        problems.append("not a directory")
    else:
        if status.st_uid != os.getuid():
            problems.append(f"owned by uid {status.st_uid}")
        if stat.S_IMODE(status.st_mode) & 0o077:
            problems.append(f"mode {stat.S_IMODE(status.st_mode):04o}")
    if problems:
        raise RuntimeDirError(
            f"runtime directory {path} is {' and '.join(problems)}: remove it or set "
            f"{ENV_RUNTIME_DIR} to a private directory (yours, mode 0700)"
        )


def instance_key(name: str, port_offset: int = 0) -> str:
    """Return the runtime key of simulator ``name`` started with ``port_offset``."""
    return f"{name}+{port_offset}" if port_offset else name


# -- process identity --------------------------------------------------------------------


def verified(instance: Instance) -> bool:
    """Whether ``instance``'s pid is still the process that wrote the record."""
    expected = _expected(instance)
    return expected is not None and identity(instance.pid) == expected


def _expected(instance: Instance) -> Identity | None:
    if instance.start_time is None:
        return None  # an old record: nothing to check it against
    return Identity(instance.start_time, instance.command)


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    return identity(pid) is not None


def record(
    key: str, pid: int, addresses: list[dict[str, str | int]], system_type: str | None = None
) -> Instance:
    """Describe live process ``pid`` serving ``addresses`` (raises LaunchError if it is gone)."""
    found = identity(pid)
    if found is None or not found.command:
        raise LaunchError(f"process {pid} is not running")
    return Instance(key, pid, addresses, found.start_time, found.command, system_type)


# -- records -----------------------------------------------------------------------------


def write(instance: Instance) -> None:
    """Record a running simulator (atomically: readers never see half a file)."""
    path = runtime_dir() / f"{instance.key}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(instance)))
    temporary.replace(path)


def _parse(text: str) -> Instance | None:
    try:
        data = json.loads(text)
        start_time = data.get("start_time")
        system_type = data.get("system_type")
        return Instance(
            str(data["key"]),
            int(data["pid"]),
            list(data["addresses"]),
            None if start_time is None else int(start_time),
            [str(part) for part in data.get("command", [])],
            None if system_type is None else str(system_type),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


def read(key: str) -> Instance | None:
    """Return the running instance ``key``, or None.

    A record whose pid is no longer the process that wrote it (it exited, or
    the pid now belongs to another program) is stale: it is removed, unless it
    was replaced meanwhile.
    """
    path = runtime_dir() / f"{key}.json"
    try:
        text = path.read_text()
    except OSError:
        return None
    instance = _parse(text)
    if instance is None:
        return None
    if not verified(instance):
        _remove_if_unchanged(path, text)
        return None
    return instance


def _remove_if_unchanged(path: Path, text: str) -> None:
    with contextlib.suppress(OSError):
        if path.read_text() == text:
            path.unlink()


def instances() -> list[Instance]:
    """Return every running simulator recorded in the runtime directory."""
    found = (read(path.stem) for path in sorted(runtime_dir().glob("*.json")))
    return [instance for instance in found if instance is not None]


def remove(key: str, pid: int | None = None, start_time: int | None = None) -> None:
    """Forget instance ``key``; with ``pid``/``start_time``, only if it is still that record."""
    path = runtime_dir() / f"{key}.json"
    if pid is not None or start_time is not None:
        try:
            current = _parse(path.read_text())
        except OSError:
            return
        if current is None:
            return  # unreadable: not provably the one meant
        if pid is not None and current.pid != pid:
            return
        if start_time is not None and current.start_time != start_time:
            return
    with contextlib.suppress(OSError):
        path.unlink()


def owner_of(host: str, port: int, transport: str) -> Instance | None:
    """Return the running simulator of ours that serves ``port``/``transport`` on ``host``."""
    wildcards = {"", "0.0.0.0", "::"}  # noqa: S104 - compared with, never bound

    def same_host(other: str) -> bool:
        local = {"localhost": "127.0.0.1"}
        return local.get(other, other) == local.get(host, host) or bool({other, host} & wildcards)

    for instance in instances():
        for address in instance.addresses:
            if (
                address["port"] == port
                and address["transport"] == transport
                and same_host(str(address["host"]))
            ):
                return instance
    return None


# -- processes ---------------------------------------------------------------------------


def spawn(arguments: list[str], key: str, timeout: float = START_TIMEOUT) -> Instance:
    """Start ``python -m simulators ARGUMENTS --foreground start`` in the background.

    The process logs to ``<key>.log`` (appended, rotated); what it prints before
    it serves goes to ``<key>.out``. Returns once the process has recorded its
    addresses and every TCP port accepts connections; raises
    :class:`LaunchError` with the process's own one-line error if it exits
    first, and kills it if it is not ready in time.
    """
    directory = runtime_dir()
    out_path = directory / f"{key}.out"
    log_path = directory / f"{key}.log"
    command = [
        sys.executable,
        "-m",
        "simulators",
        *arguments,
        "--log-file",
        str(log_path),
        "--foreground",
        "start",
    ]
    with out_path.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LaunchError(_last_error(out_path) or f"exited with status {process.returncode}")
        instance = read(key)
        if instance is not None and instance.pid == process.pid and _accepting(instance):
            return instance
        time.sleep(_POLL)
    process.kill()
    process.wait()
    remove(key, pid=process.pid)
    raise LaunchError(f"not ready after {timeout:g} s; see {out_path} and {log_path}")


def _accepting(instance: Instance) -> bool:
    for address in instance.addresses:
        if address["transport"] != "tcp":
            continue
        try:
            with socket.create_connection((str(address["host"]), int(address["port"])), 1.0):
                pass
        except OSError:
            return False
    return True


def _last_error(out_path: Path) -> str:
    try:
        lines = out_path.read_text(errors="replace").splitlines()
    except OSError:  # pragma: no cover - the file vanished
        return ""
    errors = [line for line in lines if line.startswith("error:")]
    return (errors[-1] if errors else (lines[-1] if lines else "")).removeprefix("error: ")


def terminate(instance: Instance, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop a simulator with SIGTERM (SIGKILL after ``timeout``) and forget it.

    The process is signalled only while it is still the one recorded (checked
    again before SIGKILL); returns False when it was not, and nothing was sent.
    """
    if not _signal(instance, signal.SIGTERM):
        remove(instance.key, pid=instance.pid, start_time=instance.start_time)
        return False
    deadline = time.monotonic() + timeout
    while _exiting(instance):
        if time.monotonic() > deadline:
            _signal(instance, signal.SIGKILL)
            break
        time.sleep(_POLL)
    remove(instance.key, pid=instance.pid, start_time=instance.start_time)
    return True


def _exiting(instance: Instance) -> bool:
    """Whether the signalled process is still there (its command line empties as it exits)."""
    found = identity(instance.pid)
    return found is not None and found.start_time == instance.start_time


def _signal(instance: Instance, signum: int) -> bool:
    expected = _expected(instance)
    return expected is not None and send_signal(instance.pid, expected, signum)
