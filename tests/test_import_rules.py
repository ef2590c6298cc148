"""The import rules of ``.importlinter`` hold, and a change that breaks one is caught.

``make lint`` runs ``lint-imports``; these tests prove the contracts can fail:
a copy of the packages with one forbidden import added must break exactly
the contract that forbids it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", str(tree / ".importlinter")],
        cwd=tree, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A copy of both packages and the contracts, to break on purpose."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for package in ("simulators", "mfg_ctl"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=ignore)
    shutil.copy(ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def add_import(module: Path, line: str) -> None:
    text = module.read_text()
    head, sep, rest = text.partition("from __future__ import annotations\n")
    module.write_text(head + sep + line + "\n" + rest if sep else line + "\n" + text)


def test_the_project_keeps_every_contract(tree: Path) -> None:
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("simulators/protocols/lines.py", "import socket", "protocols and physics are sans-IO"),
        ("simulators/physics/ldo.py", "import simulators.common", "import nothing else"),
        ("simulators/devices/dut/model.py", "import simulators.server", "devices import the"),
        ("simulators/common.py", "import simulators.protocols.modbus", "imports no protocol"),
        ("simulators/clock.py", "import mfg_ctl.plan", "simulators never imports mfg_ctl"),
        ("mfg_ctl/run/sequencer.py", "import mfg_ctl.steps.scpi", "the sequencer performs"),
        ("mfg_ctl/steps/scpi.py", "import mfg_ctl.store", "step kinds know the contract"),
        ("mfg_ctl/report/model.py", "import mfg_ctl.cli.main", "only the command line"),
        ("mfg_ctl/connect.py", "import simulators.host", "mfg_ctl reaches simulators"),
        ("mfg_ctl/batch/runner.py", "import mfg_ctl.events.mqtt", "publishers of run events"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tree: Path, module: str, line: str, contract: str
) -> None:
    add_import(tree / module, line)
    result = lint_imports(tree)
    assert result.returncode == 1, result.stdout
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert contract in " ".join(broken.split()), result.stdout
