"""The web UI benchmarks run end to end at tiny sizes: their figures are present and measured.

How fast anything is never is judged here (bench/ does that, against its targets).
"""

from __future__ import annotations

from pathlib import Path

from tests.test_bench_smoke import run_bench


def test_web_sse_times_every_step_message_of_every_client(tmp_path: Path) -> None:
    result = run_bench(
        "web_sse", tmp_path, "--clients", "2", "--runs", "1", "--step-delay-ms", "20"
    )
    latency = result["latency_ms"]
    assert result["clients"] == 2
    assert latency["count"] == result["per_run"][0]["steps_timed"] > 0  # over both clients
    assert latency["count"] % 2 == 0  # each client heard every step
    assert 0 <= latency["p50"] <= latency["p95"] <= latency["max"]
    assert result["server_cpu_us_per_message"] > 0
    assert isinstance(result["pass"], bool)


def test_web_history_times_each_query_over_a_filled_store(tmp_path: Path) -> None:
    result = run_bench("web_history", tmp_path, "--runs", "2000", "--requests", "3")
    assert result["runs"] == 2000
    assert {"first page", "plan", "sn", "status=failed"} <= set(result["queries"])
    for name, figures in result["queries"].items():
        assert 0 < figures["p50_ms"] <= figures["p95_ms"], name
        assert isinstance(figures["pass"], bool)
