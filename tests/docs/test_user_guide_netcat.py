"""The user guide's netcat session and its Python alternative, run against a real ``dut``.

The console blocks are read from ``doc/user_guide.rst`` itself, so the page
cannot drift from what the simulator answers. The netcat commands need
OpenBSD's netcat with ``-N`` (Debian's ``netcat-openbsd``); without it they
are skipped, and the Python line, which works anywhere, still runs.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators import plugins
from simulators.launcher import Simulator

GUIDE = Path(__file__).resolve().parents[2] / "doc" / "user_guide.rst"
DOCUMENTED_PORT = "6000"


def console_blocks() -> list[list[str]]:
    """Return the lines of every ``console`` code block of the user guide."""
    blocks: list[list[str]] = []
    lines = GUIDE.read_text().splitlines()
    for number, line in enumerate(lines):
        if line.strip() == ".. code-block:: console":
            block = []
            for body in lines[number + 2 :]:
                if body and not body.startswith("   "):
                    break
                block.append(body[3:])
            blocks.append([line for line in block if line])
    return blocks


def session(block: list[str]) -> list[tuple[str, list[str]]]:
    """Split a console block into (command, the output lines shown after it)."""
    steps: list[tuple[str, list[str]]] = []
    for line in block:
        if line.startswith("$ "):
            steps.append((line[2:], []))
        else:
            steps[-1][1].append(line)
    return steps


def netcat_with_n() -> bool:
    path = shutil.which("nc")
    if path is None:
        return False
    usage = subprocess.run([path, "-h"], capture_output=True, text=True, check=False, timeout=10)
    return "-N" in usage.stdout + usage.stderr


@pytest.fixture
def dut_port() -> Iterator[str]:
    with Simulator("dut", plugins.load("dut"), ephemeral=True) as dut:
        yield str(dut.addresses[0].port)


def run(command: str, port: str) -> str:
    shifted = command.replace(f" 127.0.0.1 {DOCUMENTED_PORT}", f" 127.0.0.1 {port}")
    shifted = shifted.replace(f'"127.0.0.1", {DOCUMENTED_PORT})', f'"127.0.0.1", {port})')
    assert shifted != command, f"no port to replace in {command!r}"
    result = subprocess.run(
        ["bash", "-c", shifted], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(not netcat_with_n(), reason="needs OpenBSD netcat with -N (netcat-openbsd)")
def test_the_netcat_session_answers_as_documented(dut_port):
    block = next(b for b in console_blocks() if any("| nc -N" in line for line in b))
    steps = [(command, shown) for command, shown in session(block) if "| nc " in command]
    assert len(steps) == 4
    for command, shown in steps:
        out = run(command, dut_port)
        if shown:
            assert out.splitlines() == shown, command
        else:
            assert "$system_help%" in out


def test_the_python_alternative_to_netcat_works(dut_port):
    line = next(
        line for block in console_blocks() for line in block if line.startswith("$ python3 -c")
    )
    out = run(line[2:], dut_port)
    assert "$system_help%  List the custom commands" in out
    assert "$system_stop%" in out
