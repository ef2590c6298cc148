"""A real dut simulator on ephemeral ports, a station file pointing at it, and ``mfg-ctl``.

Imported by the line-step and identity tests as pytest fixtures; every
simulator started is stopped after its test.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mfg_ctl.cli.main import main
from simulators import plugins
from simulators.client import Client
from simulators.launcher import Simulator

ROOT = Path(__file__).resolve().parents[2]
WAIT = 30.0  # seconds: the bound on every socket wait of these tests


def closed_port() -> int:
    """A loopback port nothing listens on (just released by the OS)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Served:
    """A dut simulator started by a test: where its command port is, and a raw client."""

    host: str
    port: int

    def custom(self, name: str, *args: object) -> str:
        """Send ``$system_<name>:args%`` to the dut and return its answer."""
        client = Client(self.host, self.port, timeout=WAIT)
        try:
            return client.custom(name, *args)
        finally:
            client.close()

    def query(self, line: str) -> str:
        """Send one command line to the dut and return its reply line."""
        client = Client(self.host, self.port, timeout=WAIT)
        try:
            return client.query(f"{line}\n".encode()).decode().strip()
        finally:
            client.close()

    def station(self, folder: Path, station_id: str = "") -> Path:
        """A station file in ``folder`` naming this dut ``dut``."""
        path = folder / "station.yaml"
        head = f"station_id: {station_id}\n" if station_id else ""
        path.write_text(
            f"{head}devices:\n  dut: {{host: {self.host}, port: {self.port}, protocol: line}}\n"
        )
        return path


@dataclass(frozen=True)
class Result:
    """What ``mfg-ctl`` did: exit status, stdout, stderr."""

    status: int
    out: str
    err: str


@pytest.fixture
def dut() -> Iterator[Served]:
    """A clean dut (no random faults) on an ephemeral port."""
    with Simulator("dut", plugins.load("dut"), ephemeral=True) as simulator:
        address = simulator.addresses[0]
        yield Served(address.host, address.port)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private run store and runtime directory; relative plan paths start at the project."""
    db = tmp_path / "runs.db"
    monkeypatch.setenv("MFG_CTL_DB", str(db))
    monkeypatch.setenv("DISCOS_SIMULATORS_RUNTIME_DIR", str(tmp_path))
    for name in ("MFG_CTL_STATION_ID", "MFG_CTL_STAGE", "MFG_CTL_OPERATOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT)
    return db


@pytest.fixture
def ctl(isolated: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``mfg-ctl ARGS`` in this process, with a private store."""

    def run(*args: object) -> Result:
        status = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run
