"""Fixtures of the SPC tests: ``ctl`` runs ``mfg-ctl`` in this process, ``write_csv`` a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mfg_ctl.cli.main import main
from tests.controller.cli.support import Ctl, Result


@pytest.fixture
def ctl(capsys: pytest.CaptureFixture[str]) -> Ctl:
    """``mfg-ctl ARGS`` in this process: exit status, stdout, stderr."""

    def run(*args: object) -> Result:
        status = main([str(arg) for arg in args])
        captured = capsys.readouterr()
        return Result(status, captured.out, captured.err)

    return run


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` (or a header and one column of values) to a CSV file in ``tmp_path``."""

    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
