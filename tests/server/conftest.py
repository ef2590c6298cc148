"""Fixtures: the fake binary device served on ephemeral loopback ports."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.launcher import Simulator
from tests.server import fake_devices


@pytest.fixture
def fake() -> Iterator[Simulator]:
    """The fake plugin: [0] TCP listen, [1] TCP send, [2] UDP listen, [3] UDP send, [4] greeter."""
    simulator = Simulator("fake", fake_devices, ephemeral=True)
    simulator.start()
    yield simulator
    simulator.stop()


def frame(payload: bytes) -> bytes:
    """Build a request frame of the fake device."""
    return bytes([fake_devices.HEADER, len(payload)]) + payload


def answer(payload: bytes) -> bytes:
    """The fake device's reply to ``payload`` (not inverted)."""
    return bytes([0x5A, len(payload)]) + payload[::-1]
