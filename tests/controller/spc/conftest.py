"""Fixtures of the SPC tests: ``ctl`` runs ``mfg-ctl`` in this process, ``write_csv`` a file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.controller.cli.support import Ctl, in_process


@pytest.fixture
def ctl(capsys: pytest.CaptureFixture[str]) -> Ctl:
    """``mfg-ctl ARGS`` in this process: exit status, stdout, stderr."""
    return in_process(capsys)


@pytest.fixture
def write_csv(tmp_path: Path) -> Callable[..., Path]:
    """Write ``text`` (or a header and one column of values) to a CSV file in ``tmp_path``."""

    def write(text: str, name: str = "data.csv") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write
