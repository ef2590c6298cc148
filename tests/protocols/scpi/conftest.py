"""Fixtures: a fresh toy instrument and its engine for each test."""

from __future__ import annotations

import pytest

from simulators.protocols.scpi import ScpiEngine

from .toy import Toy, build


@pytest.fixture
def toy() -> Toy:
    return Toy()


@pytest.fixture
def engine(toy: Toy) -> ScpiEngine:
    return build(toy)
