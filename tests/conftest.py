"""Fixtures shared by the top-level tests."""

from __future__ import annotations

import pytest

from simulators import clock as clock_module


@pytest.fixture
def fresh_default_clock(monkeypatch):
    """Forget the process-wide clock so the next default_clock() builds a new one."""
    monkeypatch.setattr(clock_module, "_default", None)
    return monkeypatch
