"""Fixtures of the trends tests: a private run store (``db``) and ``ctl`` in this process."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.controller.cli.support import Ctl, in_process, isolate


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own run store (also ``$MFG_CTL_DB``) and runtime folder."""
    return isolate(tmp_path, monkeypatch)


@pytest.fixture
def ctl(capsys: pytest.CaptureFixture[str], db: Path) -> Ctl:
    """``mfg-ctl ARGS`` in this process, on the test's store: exit status, stdout, stderr."""
    del db  # the store is set up by asking for it
    return in_process(capsys)
