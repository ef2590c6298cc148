"""Simulators as background processes: one process per simulator, tracked in a runtime directory.

The runtime directory holds, per running simulator, ``<key>.json`` (pid and
served addresses, written by the simulator process once every port is bound)
and ``<key>.log`` (its output). ``key`` is the simulator name, plus ``+N`` when
started with ``--port-offset N``, so shifted copies are tracked side by side.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "ENV_RUNTIME_DIR",
    "Instance",
    "LaunchError",
    "instance_key",
    "instances",
    "read",
    "remove",
    "runtime_dir",
    "spawn",
    "terminate",
    "write",
]

#: Overrides where pid and address files live.
ENV_RUNTIME_DIR = "DISCOS_SIMULATORS_RUNTIME_DIR"
#: Seconds ``start`` waits for a simulator to be ready, and ``stop`` for it to exit.
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
_POLL = 0.005


class LaunchError(Exception):
    """A simulator process could not be started or stopped; the message says why."""


@dataclass(frozen=True)
class Instance:
    """A running simulator process and what it serves."""

    key: str
    pid: int
    addresses: list[dict[str, str | int]]

    def endpoints(self) -> list[str]:
        """Return ``host:port`` for every address."""
        return [_endpoint(a) for a in self.addresses]


def _endpoint(address: dict[str, str | int]) -> str:
    host = str(address["host"])
    return f"[{host}]:{address['port']}" if ":" in host else f"{host}:{address['port']}"


def runtime_dir() -> Path:
    """Return (and create) the runtime directory."""
    configured = os.environ.get(ENV_RUNTIME_DIR)
    if configured:
        path = Path(configured)
    elif os.environ.get("XDG_RUNTIME_DIR"):
        path = Path(os.environ["XDG_RUNTIME_DIR"]) / "discos-simulators"
    else:
        path = Path(tempfile.gettempdir()) / f"discos-simulators-{os.getuid()}"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def instance_key(name: str, port_offset: int = 0) -> str:
    """Return the runtime key of simulator ``name`` started with ``port_offset``."""
    return f"{name}+{port_offset}" if port_offset else name


def write(instance: Instance) -> None:
    """Record a running simulator (atomically: readers never see half a file)."""
    path = runtime_dir() / f"{instance.key}.json"
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(instance)))
    temporary.replace(path)


def read(key: str) -> Instance | None:
    """Return the running instance ``key``, or None (stale records are removed)."""
    path = runtime_dir() / f"{key}.json"
    try:
        data = json.loads(path.read_text())
        instance = Instance(str(data["key"]), int(data["pid"]), list(data["addresses"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not alive(instance.pid):
        remove(key, pid=instance.pid)
        return None
    return instance


def instances() -> list[Instance]:
    """Return every running simulator recorded in the runtime directory."""
    found = (read(path.stem) for path in sorted(runtime_dir().glob("*.json")))
    return [instance for instance in found if instance is not None]


def remove(key: str, pid: int | None = None) -> None:
    """Forget instance ``key`` (only if it is still the record of ``pid``, when given)."""
    path = runtime_dir() / f"{key}.json"
    if pid is not None:
        try:
            if json.loads(path.read_text()).get("pid") != pid:
                return
        except (OSError, ValueError):
            return
    with contextlib.suppress(OSError):
        path.unlink()


def alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # pragma: no cover - no /proc: trust kill()
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def spawn(arguments: list[str], key: str, timeout: float = START_TIMEOUT) -> Instance:
    """Start ``python -m simulators ARGUMENTS --foreground start`` in the background.

    Returns once the process has recorded its addresses and every TCP port
    accepts connections; raises :class:`LaunchError` with the process's own
    one-line error if it exits first, and kills it if it is not ready in time.
    """
    log_path = runtime_dir() / f"{key}.log"
    command = [sys.executable, "-m", "simulators", *arguments, "--foreground", "start"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LaunchError(_last_error(log_path) or f"exited with status {process.returncode}")
        instance = read(key)
        if instance is not None and instance.pid == process.pid and _accepting(instance):
            return instance
        time.sleep(_POLL)
    process.kill()
    process.wait()
    remove(key, pid=process.pid)
    raise LaunchError(f"not ready after {timeout:g} s; see {log_path}")


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


def _last_error(log_path: Path) -> str:
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except OSError:  # pragma: no cover - the log vanished
        return ""
    errors = [line for line in lines if line.startswith("error:")]
    return (errors[-1] if errors else (lines[-1] if lines else "")).removeprefix("error: ")


def terminate(instance: Instance, timeout: float = STOP_TIMEOUT) -> None:
    """Stop a running simulator with SIGTERM (SIGKILL after ``timeout``) and forget it."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(instance.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while alive(instance.pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(instance.pid, signal.SIGKILL)
            break
        time.sleep(_POLL)
    remove(instance.key, pid=instance.pid)
