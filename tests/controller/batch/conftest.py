"""Fixtures of the ``mfg-ctl batch`` tests: a private store, runtime dir and ``ctl``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.controller.cli.support import Ctl, in_process, isolate


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private run store and runtime directory (see ``isolate``)."""
    return isolate(tmp_path, monkeypatch)


@pytest.fixture
def ctl(capsys: pytest.CaptureFixture[str]) -> Ctl:
    """``mfg-ctl ARGS`` in this process: exit status, stdout, stderr."""
    return in_process(capsys)
