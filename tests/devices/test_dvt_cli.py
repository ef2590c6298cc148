"""The done-when of the SCPI bench: PyVISA talks to ``discos-simulator -s dvt_bench start``."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pyvisa = pytest.importorskip("pyvisa")


@pytest.fixture
def bench_ports(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    monkeypatch.setenv("DISCOS_SIMULATORS_RUNTIME_DIR", str(tmp_path))
    command = [sys.executable, "-m", "simulators", "-s", "dvt_bench", "--ephemeral-ports"]
    started = subprocess.run(
        [*command, "start"], capture_output=True, text=True, timeout=60, check=False
    )
    assert started.returncode == 0, started.stderr
    try:
        yield [int(port) for port in re.findall(r"127\.0\.0\.1:(\d+)", started.stdout)]
    finally:
        stopped = subprocess.run(
            [*command, "stop"], capture_output=True, text=True, timeout=60, check=False
        )
        assert stopped.returncode == 0


def test_pyvisa_drives_the_bench_started_by_the_cli(bench_ports: list[int]) -> None:
    manager = pyvisa.ResourceManager("@py")
    try:
        chamber, psu, dmm = (
            manager.open_resource(
                f"TCPIP::127.0.0.1::{port}::SOCKET",
                read_termination="\n", write_termination="\n", timeout=3000,
            )
            for port in bench_ports
        )
        assert chamber.query("*IDN?").startswith("SIMULATORS,THERMAL-CHAMBER")
        assert psu.query("*IDN?").startswith("SIMULATORS,POWER-SUPPLY")
        assert dmm.query("*IDN?").startswith("SIMULATORS,MULTIMETER")
        dmm.write("NO:SUCH:HEADER")
        assert dmm.query("SYST:ERR?") == '-113,"Undefined header"'
        assert dmm.query("SYST:ERR?") == '0,"No error"'
        psu.write("VOLT 5;:OUTP ON")
        assert float(psu.query("MEAS:VOLT?")) == pytest.approx(5.0)
        assert float(dmm.query("MEAS:VOLT:DC?")) == pytest.approx(3.3, abs=0.01)
    finally:
        manager.close()
