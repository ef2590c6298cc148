"""The examples of README.rst and of the doc pages run, and print what the pages show.

Each page runs as one shell session (see ``tests/docs/harness.py`` for the
conventions and how ports, runtime directory and run store are kept private).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulators.profiles.schema import parse_profile
from tests.docs.harness import REPO, Session, blocks, free_offset, run_page

#: Doc pages whose console and Python examples run here, as sessions. The other pages'
#: examples are doctests (``make docs``), except doc/benchmarks.rst, whose commands
#: take minutes as shown: tests/test_bench_smoke.py runs each of them with fewer requests.
PAGES = [
    "doc/index.rst",
    "doc/user_guide.rst",
    "doc/dut.rst",
    "doc/modbus_devices.rst",
    "doc/reference_station.rst",
    "doc/controller.rst",
    "doc/batch.rst",
    "doc/mqtt.rst",
    "doc/drifting_station.rst",
    "doc/dvt_bench.rst",
    "doc/spc.rst",
    "doc/reports.rst",
    "doc/web.rst",
]


@pytest.mark.parametrize("page", PAGES)
def test_the_page_examples_run_as_shown(page: str, tmp_path: Path) -> None:
    assert run_page(REPO / page, tmp_path) > 0


def test_readme_quick_start(tmp_path: Path) -> None:
    """README's quick start, command by command, against a started station.

    Its ``mfg-ctl`` commands reach the station on moved ports, so they need
    ``mfg-ctl ... --port-offset N`` (run, simulate-fault and replay).
    """
    assert run_page(REPO / "README.rst", tmp_path) >= 8


def test_the_profile_example_is_a_valid_profile() -> None:
    """The profile shown under "Profiles" loads: every field it uses exists."""
    (example,) = [b for b in blocks(REPO / "doc/modbus_devices.rst") if b.language == "yaml"]
    profile = parse_profile(yaml.safe_load(example.text), "doc/modbus_devices.rst")
    assert profile.name == "bench_psu"
    assert [register.name for register in profile.registers] == [
        "voltage_setpoint",
        "current_readback",
    ]


def test_make_run_session_runs_on_moved_ports(tmp_path: Path) -> None:
    """``examples/dut_session.py`` (what ``make run`` starts with) takes ``--port-offset``."""
    session = Session(tmp_path, free_offset())
    try:
        result = subprocess.run(
            [sys.executable, "examples/dut_session.py", "--port-offset", str(session.offset)],
            cwd=REPO,
            env=session.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        session.close()
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout
    assert f"127.0.0.1:{6000 + session.offset}" in output
    assert "< SIMULATORS,DUT-1000,SN0001,1.0" in output
    assert output.count("< ERR E210 voltage reading unstable") == 2
    assert len(re.findall(r"^  TLM seq=\d+ ", output, re.MULTILINE)) == 3
    assert "POWER=OFF LOAD=0.000" in output
    assert re.search(r"^dut\S* stopped$", output, re.MULTILINE), output


@pytest.mark.parametrize("page", ["README.rst", *PAGES])
def test_every_whole_plan_a_page_shows_passes(page: str, tmp_path: Path) -> None:
    """A YAML block with ``name:`` and ``steps:`` is a plan: it loads, runs and passes."""
    plans = [
        block
        for block in blocks(REPO / page)
        if block.language == "yaml"
        and re.search(r"^name:", block.text, re.MULTILINE)
        and re.search(r"^steps:", block.text, re.MULTILINE)
    ]
    for number, block in enumerate(plans):
        path = tmp_path / f"plan{number}.yaml"
        path.write_text(block.text)
        result = subprocess.run(
            [sys.executable, "-m", "mfg_ctl", "run", str(path)],
            cwd=REPO,
            env={**os.environ, "MFG_CTL_DB": str(tmp_path / "runs.db")},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        where = f"{page}:{block.line}"
        assert result.returncode == 0, f"{where}\n{result.stdout}{result.stderr}"
        assert "[PASS]" in result.stdout.splitlines()[0], where
