"""Fixtures of the ``mfg-ctl`` CLI tests: a private store and runtime dir, ``ctl``, stations.

Everything goes through ``main([...])`` as a user's shell would, except where a
real process matters (a subprocess ``run`` and ``serve``). Devices a test drives
are served here on ephemeral ports and described by a station file in
``tmp_path``; the run store and the runtime directory are the test's own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from simulators import plugins
from simulators.launcher import Simulator
from tests.controller.cli.support import (
    Ctl,
    Served,
    in_process,
    isolate,
    write_station,
)


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private run store and runtime directory (see ``isolate``)."""
    return isolate(tmp_path, monkeypatch)


@pytest.fixture
def ctl(capsys: pytest.CaptureFixture[str]) -> Ctl:
    """``mfg-ctl ARGS`` in this process: exit status, stdout, stderr."""
    return in_process(capsys)


@pytest.fixture
def serve_station(tmp_path: Path) -> Iterator[Callable[[str], Served]]:
    """Serve the reference station on ephemeral ports; every one started is stopped."""
    started: list[Simulator] = []

    def serve(framing: str = "custom") -> Served:
        module = plugins.load("station")
        simulator = Simulator("station", module, system_type=framing, ephemeral=True)
        simulator.start()
        started.append(simulator)
        names = [entry.kwargs["profile"] for entry in plugins.entries(module)]
        ports = {name: a.port for name, a in zip(names, simulator.addresses, strict=True)}
        path = write_station(tmp_path / f"station-{len(started)}.yaml", ports, framing)
        return Served(path, ports, framing)

    yield serve
    for simulator in started:
        simulator.stop()


@pytest.fixture
def station(serve_station: Callable[[str], Served]) -> Served:
    return serve_station("custom")
