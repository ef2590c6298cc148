"""What the benchmarks share: a raw-socket round-trip loop and its summary."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path


def round_trips(port: int, count: int, request: bytes, answer: bytes) -> tuple[float, list[float]]:
    """Send ``request`` ``count`` times on one connection, checking each ``answer``.

    Returns round trips per second and every latency in seconds (after a warm-up).
    """
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(min(count, 300)):
            _exchange(sock, request, answer)
        latencies = []
        clock = time.perf_counter
        start = clock()
        for _ in range(count):
            sent = clock()
            _exchange(sock, request, answer)
            latencies.append(clock() - sent)
        return count / (clock() - start), latencies


def _exchange(sock: socket.socket, request: bytes, answer: bytes) -> None:
    sock.sendall(request)
    data = sock.recv(4096)
    while len(data) < len(answer):
        more = sock.recv(4096)
        if not more:
            raise ConnectionError("server closed the connection")
        data += more
    if data != answer:
        raise AssertionError(f"unexpected answer {data!r}")


def summary(rate: float, latencies: list[float]) -> dict[str, float]:
    """Rate and latency percentiles in microseconds."""
    ordered = sorted(latencies)
    return {
        "round_trips_per_s": round(rate),
        "p50_us": round(ordered[len(ordered) // 2] * 1e6, 1),
        "p99_us": round(ordered[int(len(ordered) * 0.99)] * 1e6, 1),
    }


def alternate(
    baseline_port: int, ours_port: int, *, rounds: int, count: int, request: bytes, answer: bytes
) -> dict[str, object]:
    """Measure the baseline and our server in turn, ``rounds`` times; keep the best of each."""
    baseline, ours = [], []
    for _ in range(rounds):
        baseline.append(round_trips(baseline_port, count, request, answer))
        ours.append(round_trips(ours_port, count, request, answer))
    best_base = max(baseline, key=lambda result: result[0])
    best_ours = max(ours, key=lambda result: result[0])
    return {
        "baseline": summary(*best_base),
        "ours": summary(*best_ours),
        "ratio": round(best_ours[0] / best_base[0], 3),
        "all_rates": {
            "baseline": [round(rate) for rate, _ in baseline],
            "ours": [round(rate) for rate, _ in ours],
        },
    }


def publish(result: dict[str, object], path: Path, label: str, target: float) -> int:
    """Write ``result`` as JSON, print it with the verdict; 1 when the ratio misses ``target``."""
    text = json.dumps(result, indent=2) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    print(text, end="")
    ratio = float(result["ratio"])  # type: ignore[arg-type]
    verdict = "OK" if ratio >= target else "BELOW TARGET"
    print(f"{label} = {ratio:.2f} (target >= {target}): {verdict}")
    return 0 if verdict == "OK" else 1
