"""What the benchmarks share: a raw-socket round-trip loop and its summary."""

from __future__ import annotations

import socket
import time


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
