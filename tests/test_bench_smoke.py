"""The benchmarks run end to end at tiny sizes and report server CPU time per request.

Only the shape of their results is checked here, and that every CPU figure was
measured (present and above zero). How fast anything is never is: speed is
judged by ``make bench-regress`` against a floor measured in the same run.
The sizes are the smallest that still span a few clock ticks of server CPU
time, so a CPU figure of zero would mean it was not measured.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
SCRIPTS = (
    "framework_bench", "modbus_bench", "cycle_bench", "regress", "batch_scale", "trends_speed",
    "web_sse", "web_history", "line_load",
)
#: Enough requests that every server's CPU time spans several clock ticks (10 ms each:
#: the bare floor costs ~5 us a request), so no figure can come out as zero.
ROUND_TRIPS = "20000"
#: 11 steps a cycle; the bare baseline runs four times as many cycles.
CYCLES = "200"
#: Units of each small batch of the batch scale benchmark (one round of four batches).
BATCH_UNITS = 20


def run_bench(script: str, tmp_path: Path, *args: str, exit_codes: tuple[int, ...] = (0,)) -> Any:
    """Run one benchmark script with ``--json-out`` in ``tmp_path``; its JSON result."""
    out = tmp_path / f"{script}.json"
    # Not pinned: the suite's other tests share the CPUs, and these figures are not judged.
    command = [sys.executable, str(BENCH / f"{script}.py"), *args, "--cpu", "any"]
    # The simulators a benchmark starts are not measured for coverage (the suite covers
    # them directly): under coverage each would start and serve many times slower.
    env = {k: v for k, v in os.environ.items() if not k.startswith("COVERAGE_PROCESS")}
    result = subprocess.run(
        [*command, "--json-out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode in exit_codes, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"results written to {out}" in result.stdout
    return json.loads(out.read_text())


def assert_server_figures(figures: dict[str, float]) -> None:
    """One server's figures: requests made, a rate, latencies and a measured CPU per request."""
    assert figures["requests"] > 0
    assert figures["requests_per_s"] > 0
    assert 0 < figures["p50_us"] <= figures["p99_us"]
    assert figures["cpu_us_per_request"] > 0


def test_framework_bench_reports_cpu_per_request_of_dut_and_floor(tmp_path: Path) -> None:
    data = run_bench("framework_bench", tmp_path, "--round-trips", ROUND_TRIPS)
    assert set(data["servers"]) == {"bare_socketserver", "dut"}
    for figures in data["servers"].values():
        assert_server_figures(figures)
    assert data["ratios_to_floor"]["cpu_per_request"]["dut"] > 0
    assert data["ratios_to_floor"]["rate"]["dut"] > 0
    assert data["start_to_ready_ms"] > 0
    assert data["exit_after_system_stop_ms"] > 0
    assert data["pinned_cpu"] is None  # --cpu any


def test_modbus_bench_reports_cpu_per_request_of_ours_pymodbus_and_floor(tmp_path: Path) -> None:
    data = run_bench("modbus_bench", tmp_path, "--round-trips", ROUND_TRIPS)
    assert set(data["servers"]) == {"bare_socketserver", "dmm_modbus_tcp", "pymodbus_server"}
    for figures in data["servers"].values():
        assert_server_figures(figures)
    assert set(data["ratios_to_floor"]["cpu_per_request"]) == {"dmm_modbus_tcp", "pymodbus_server"}
    assert data["ours_vs_pymodbus"]["cpu_per_request"] > 0


def test_cycle_bench_reports_station_cpu_per_step(tmp_path: Path) -> None:
    data = run_bench("cycle_bench", tmp_path, "--cycles", CYCLES, "--chunk", "20")
    assert data["cycles"] == int(CYCLES)
    for name in ("clean", "faulted"):
        section = data[name]
        assert set(section["cycle_ms"]) == {"mean", "p50", "p95", "p99"}
        assert set(section["command_ms"]) == {"p50", "p95", "p99"}
        assert section["commands_per_s"] > 0
        assert section["station_cpu_us_per_step"] > 0
    assert data["baseline_11_bare_round_trips_ms"]["cpu_us_per_request"] > 0
    assert data["ratios"]["station_cpu_per_step_vs_bare_cpu_per_request"] > 0


def test_regress_prints_and_records_each_comparison(tmp_path: Path) -> None:
    # Whether it passes is not judged here (too few requests to mean anything): only that it
    # compared CPU per request with a floor from this run, and said so.
    data = run_bench(
        "regress",
        tmp_path,
        "--gate",
        "dut",
        "--gate",
        "station_cycle",
        "--round-trips",
        ROUND_TRIPS,
        "--cycles",
        CYCLES,
        exit_codes=(0, 1),
    )
    assert set(data["gates"]) == {"dut", "station_cycle"}
    for gate in data["gates"].values():
        assert gate["ours_us"] > 0
        assert gate["floor_us"] > 0
        assert gate["ratio"] == pytest.approx(gate["ours_us"] / gate["floor_us"], rel=1e-2)
        assert gate["limit"] > 0
        assert gate["passed"] is (gate["ratio"] <= gate["limit"])


def test_batch_scale_reports_each_batch_and_its_cost_over_the_bare_batch(tmp_path: Path) -> None:
    data = run_bench(
        "batch_scale", tmp_path, "--units", str(BATCH_UNITS), "--parallel", "2", "--rounds", "1"
    )
    assert (data["units"], data["parallel"], data["rounds"]) == (BATCH_UNITS, 2, 1)
    assert list(data["batches"]) == ["off", "store", "artifacts", "both"]
    for figures in data["batches"].values():
        assert figures["units_per_s"] > 0
        assert figures["cpu_ms_per_unit"] > 0
        assert len(figures["each"]) == 1
    assert set(data["ratios_to_off"]) == {"store", "artifacts", "both"}
    for versus in data["ratios_to_off"].values():
        assert versus["wall"] > 0
        assert versus["cpu"] > 0
    # The same seeded units end the same way whatever is recorded (every unit was tested).
    assert sum(data["outcomes"].values()) == BATCH_UNITS
    table = (tmp_path / "batch_scale.txt").read_text()
    assert "store + artifacts: CPU x" in table
    assert all(f"  {name} " in table for name in data["batches"])


def test_trends_speed_times_the_library_and_the_command_over_a_filled_store(
    tmp_path: Path,
) -> None:
    out = tmp_path / "trends_speed.json"
    result = subprocess.run(
        [sys.executable, str(BENCH / "trends_speed.py"), "--runs", "30", "--steps", "3",
         "--repeat", "1", "--json-out", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    data = json.loads(out.read_text())
    assert (data["runs"], data["steps"], data["results"]) == (30, 3, 90)
    assert data["library_s"] > 0
    assert data["cli_s"] > 0
    assert data["cli_start_s"] > 0
    assert set(data["classifications"]) == {"step_00", "step_01", "step_02"}
    assert "mfg-ctl trends in a subprocess:" in result.stdout


@pytest.fixture
def bench_modules(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    """The benchmark scripts imported as modules (they import their helpers from bench/)."""
    monkeypatch.syspath_prepend(str(BENCH))
    return {name: importlib.import_module(name) for name in SCRIPTS}


def test_results_go_to_an_untracked_folder_by_default(bench_modules: dict[str, ModuleType]) -> None:
    for name, module in bench_modules.items():
        default = module.arguments().parse_args([]).json_out
        assert default.parent == BENCH / "out", name
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git work tree")
    ignored = subprocess.run(
        [git, "-C", str(ROOT), "check-ignore", "-q", "bench/out/framework.json"], check=False
    )
    assert ignored.returncode == 0, "bench/out/ must be in .gitignore"


def test_a_figure_over_its_limit_is_measured_again_and_fails_only_twice(
    bench_modules: dict[str, ModuleType], monkeypatch: pytest.MonkeyPatch
) -> None:
    regress = bench_modules["regress"]
    gate = regress.Gate("dut", "dut *IDN?", 2.0)
    options = regress.arguments().parse_args([])
    figures = iter([regress.Figure(30.0, 10.0, {}), regress.Figure(15.0, 10.0, {})])
    monkeypatch.setitem(regress.MEASURES, "dut", lambda _options: next(figures))
    once_over = regress.check(gate, options)
    assert (once_over["passed"], once_over["measurements"], once_over["ratio"]) == (True, 2, 1.5)

    monkeypatch.setitem(regress.MEASURES, "dut", lambda _options: regress.Figure(30.0, 10.0, {}))
    always_over = regress.check(gate, options)
    assert (always_over["passed"], always_over["measurements"]) == (False, 2)

    monkeypatch.setitem(regress.MEASURES, "dut", lambda _options: regress.Figure(12.0, 10.0, {}))
    under = regress.check(gate, options)
    assert (under["passed"], under["measurements"]) == (True, 1)


@pytest.mark.parametrize(
    ("script", "arguments", "complaint"),
    [
        ("framework_bench", ["--round-trips", "0"], "'0' is not a whole number above zero"),
        ("framework_bench", ["--cpu", "4096"], "'4096': give one of the CPUs"),
        ("regress", ["--gate", "speed"], "invalid choice: 'speed'"),
        ("batch_scale", ["--units", "0"], "'0' is not a whole number above zero"),
        ("batch_scale", ["--parallel", "65"], "'65': give 1 to 64 slots"),
        ("trends_speed", ["--runs", "0"], "'0' is not a whole number above zero"),
    ],
)
def test_bad_arguments_get_one_line_and_exit_2(
    script: str, arguments: list[str], complaint: str
) -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / f"{script}.py"), *arguments],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert complaint in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
