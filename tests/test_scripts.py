"""The operational scripts under ``scripts/`` run as a user runs them from a checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_support import free_offset

ROOT = Path(__file__).resolve().parents[1]
BIN = str(Path(sys.executable).parent)
WAIT = 120.0  # a hang guard for a whole demo, never a budget


def openbsd_netcat() -> bool:
    try:
        found = subprocess.run(["nc", "-h"], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return False
    return "OpenBSD netcat" in found.stdout + found.stderr


def script_env(tmp_path: Path) -> dict[str, str]:
    runtime_dir = tmp_path / "run"
    runtime_dir.mkdir(mode=0o700)
    return {
        **os.environ,
        "BIN": BIN,
        "XDG_RUNTIME_DIR": str(runtime_dir),
        "MFG_CTL_DB": str(tmp_path / "runs.db"),
    }


@pytest.mark.skipif(not openbsd_netcat(), reason="needs OpenBSD netcat (netcat-openbsd)")
def test_fault_demo_breaks_the_dmm_finds_it_and_reruns_only_the_failed_step(tmp_path):
    env = script_env(tmp_path)
    offset = free_offset()
    demo = subprocess.run(
        ["bash", "scripts/fault_demo.sh", str(offset)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=WAIT, check=False,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    out = demo.stdout
    dmm = 5021 + offset
    assert f"$ printf '$system_set:dc_voltage,4000%%' | nc -N 127.0.0.1 {dmm}\nok\n" in out
    assert " 9 FAIL check_dmm_dc_voltage: measured 4000, expected 5000 +/- 50 (delta 1000)" in out
    assert "10/11 passed" in out
    assert "9 ok check_dmm_dc_voltage: measured 4980, expected 5000 +/- 50 (delta 20)\n" in out
    assert "1/1 passed" in out
    assert f"devices: stations/local.yaml (ports +{offset})" in demo.stderr
    # The station was stopped on the way out: nothing answers on its ports.
    status = subprocess.run(
        [f"{BIN}/discos-simulator", "-s", "station", "--port-offset", str(offset), "status"],
        env=env, capture_output=True, text=True, timeout=WAIT, check=False,
    )
    assert "running" not in status.stdout.replace("not running", ""), status.stdout


def test_fault_demo_refuses_an_offset_that_is_not_a_number(tmp_path):
    demo = subprocess.run(
        ["bash", "scripts/fault_demo.sh", "12x"],
        cwd=ROOT, env=script_env(tmp_path), capture_output=True, text=True, timeout=WAIT,
        check=False,
    )
    assert demo.returncode == 2
    assert demo.stderr == "fault_demo.sh: PORT_OFFSET must be a number, got '12x'\n"
    assert demo.stdout == ""


def test_local_ci_explains_its_options_and_refuses_unknown_ones():
    shown = subprocess.run(
        ["bash", "scripts/local_ci.sh", "--help"], cwd=ROOT, capture_output=True, text=True,
        timeout=WAIT, check=False,
    )
    assert shown.returncode == 0
    assert "--load" in shown.stdout
    assert "--act" in shown.stdout
    assert "set -e" not in shown.stdout  # the help is the header comment, nothing after it
    refused = subprocess.run(
        ["bash", "scripts/local_ci.sh", "--fast"], cwd=ROOT, capture_output=True, text=True,
        timeout=WAIT, check=False,
    )
    assert refused.returncode == 2
    assert refused.stderr == "local_ci.sh: unknown option '--fast' (try --help)\n"
