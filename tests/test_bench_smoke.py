"""The benchmarks run end to end (tiny sizes; their figures are not judged here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run_bench(script: str, tmp_path: Path, *args: str) -> dict[str, object]:
    out = tmp_path / "result.json"
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args, "--json-out", str(out)],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert out.exists(), result.stderr
    assert "Traceback" not in result.stderr
    data: dict[str, object] = json.loads(out.read_text())
    return data


def test_cycle_bench_reports_clean_and_faulted_passes(tmp_path: Path) -> None:
    data = run_bench("cycle_bench.py", tmp_path, "--cycles", "5")
    for name in ("clean", "faulted"):
        section = data[name]
        assert isinstance(section, dict)
        assert set(section["cycle_ms"]) == {"mean", "p50", "p95", "p99"}
        assert set(section["command_ms"]) == {"p50", "p95", "p99"}
        assert section["commands_per_s"] > 0
    assert data["cycles"] == 5


@pytest.mark.parametrize(
    ("script", "key"),
    [("framework_bench.py", "dut"), ("modbus_bench.py", "dmm_modbus_tcp")],
)
def test_throughput_benches_measure_both_sides(tmp_path: Path, script: str, key: str) -> None:
    data = run_bench(script, tmp_path, "--round-trips", "200", "--rounds", "1")
    measured = data[key]
    assert isinstance(measured, dict)
    assert measured["round_trips_per_s"] > 0
    assert float(data["ratio"]) > 0  # type: ignore[arg-type]
