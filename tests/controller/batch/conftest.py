"""Fixtures of the ``mfg-ctl batch`` tests: a private store, runtime dir and ``ctl``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mfg_ctl.cli.main import main
from tests.controller.cli.support import ROOT, Ctl, Result


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private run store and runtime directory; relative paths start at the project."""
    db = tmp_path / "runs.db"
    monkeypatch.setenv("MFG_CTL_DB", str(db))
    monkeypatch.setenv("DISCOS_SIMULATORS_RUNTIME_DIR", str(tmp_path))
    monkeypatch.chdir(ROOT)
    return db


@pytest.fixture
def ctl(capsys: pytest.CaptureFixture[str]) -> Ctl:
    """``mfg-ctl ARGS`` in this process: exit status, stdout, stderr."""

    def run(*args: object) -> Result:
        status = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run
