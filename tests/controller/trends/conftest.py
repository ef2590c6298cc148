"""Fixtures of the trends tests: a private run store (``db``) and ``ctl`` in this process."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfg_ctl.cli.main import main
from tests.controller.cli.support import ROOT, Ctl, Result


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own run store (also ``$MFG_CTL_DB``) and runtime folder."""
    path = tmp_path / "runs.db"
    monkeypatch.setenv("MFG_CTL_DB", str(path))
    monkeypatch.setenv("DISCOS_SIMULATORS_RUNTIME_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    return path


@pytest.fixture
def ctl(capsys: pytest.CaptureFixture[str], db: Path) -> Ctl:
    """``mfg-ctl ARGS`` in this process, on the test's store: exit status, stdout, stderr."""
    del db  # the store is set up by asking for it

    def run(*args: object) -> Result:
        status = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run
