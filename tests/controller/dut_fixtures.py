"""A real dut simulator on ephemeral ports, a station file pointing at it, and ``mfg-ctl``.

Imported by the line-step and identity tests as pytest fixtures; every
simulator started is stopped after its test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.launcher import Simulator
from tests.controller.cli.support import Result, in_process, isolate

WAIT = 30.0  # seconds: the bound on every socket wait of these tests


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


@pytest.fixture
def dut() -> Iterator[Served]:
    """A clean dut (no random faults) on an ephemeral port."""
    with Simulator("dut", plugins.load("dut"), ephemeral=True) as simulator:
        address = simulator.addresses[0]
        yield Served(address.host, address.port)


@pytest.fixture
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private run store and runtime directory (see ``isolate``)."""
    return isolate(tmp_path, monkeypatch)


@pytest.fixture
def ctl(isolated: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., Result]:
    """``mfg-ctl ARGS`` in this process, with a private store."""
    del isolated  # the store is set up by asking for it
    return in_process(capsys)
