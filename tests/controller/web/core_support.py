"""What the web core tests share beyond ``support.py``: gated devices, tmp plan folders, SSE.

:class:`GatedRegisters` is a fake register client whose calls wait on a gate:
a test holds a run in its first step, acts (stops it, starts another), then
lets it go, with no sleeps. :func:`gate_devices` routes every run the
launcher starts to such clients instead of real devices.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from mfg_ctl.connect import Connected
from mfg_ctl.plan import Plan
from mfg_ctl.stations import Station
from tests.controller.cli.test_signals import TEARDOWN  # the supply's output switched off
from tests.controller.sequencer_fakes import DEVICES, PLAN, FakeRegisters
from tests.controller.web.support import WAIT

#: The sequencer tests' demo plan (four steps on a supply and a meter) with that teardown.
GATED_PLAN = PLAN + TEARDOWN


class Gate:
    """Holds every device call until opened; says when the first call arrived."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.entered = threading.Event()

    def pass_through(self) -> None:
        """Called by a device call: note it, then wait for the gate (bounded)."""
        self.entered.set()
        if not self.opened.wait(WAIT):
            raise TimeoutError("the test never opened the gate")


class GatedRegisters(FakeRegisters):
    """A fake register client whose every call passes the gate first."""

    def __init__(self, gate: Gate, values: dict[tuple[str, int], int]) -> None:
        super().__init__(values)
        self.gate = gate

    def read(self, table: str, address: int, timeout: float) -> int:
        self.gate.pass_through()
        return super().read(table, address, timeout)

    def write(self, address: int, value: int, timeout: float) -> None:
        self.gate.pass_through()
        super().write(address, value, timeout)


def gate_devices(monkeypatch: pytest.MonkeyPatch) -> Gate:
    """Every run the launcher starts from now on talks to gated fakes; the gate starts shut."""
    gate = Gate()

    @contextmanager
    def fake_devices(_plan: Plan, _station: Station | None, _framing: Any) -> Any:
        clients = {
            "power_supply": GatedRegisters(gate, {("input", 100): 1200, ("input", 101): 480}),
            "dmm": GatedRegisters(gate, {("input", 100): 4980}),
        }
        yield Connected(clients, DEVICES, "custom")  # type: ignore[arg-type]

    monkeypatch.setattr("mfg_ctl.web.launcher.open_devices", fake_devices)
    return gate


def plans_folder(tmp_path: Path, **plans: str) -> Path:
    """A plans folder in ``tmp_path`` holding ``name.yaml`` for each plan text given."""
    folder = tmp_path / "plans"
    folder.mkdir(exist_ok=True)
    for name, text in plans.items():
        (folder / f"{name}.yaml").write_text(text)
    return folder


def parse_sse(body: str) -> list[dict[str, str]]:
    """The blocks of an SSE body as dicts of their fields (a comment block is ``{":": text}``)."""
    blocks = []
    for raw in body.split("\n\n"):
        if not raw:
            continue
        fields: dict[str, str] = {}
        for line in raw.split("\n"):
            name, _, value = line.partition(":")
            fields[name or ":"] = value.removeprefix(" ")
        blocks.append(fields)
    return blocks


def message_ids(blocks: Iterable[dict[str, str]]) -> list[int]:
    """The ids of the messages among SSE blocks, in order (each one's data must be JSON)."""
    ids = []
    for block in blocks:
        if "id" in block:
            json.loads(block["data"])
            ids.append(int(block["id"]))
    return ids
