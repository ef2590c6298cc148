"""Framework benchmark: the dut's ``*IDN?`` round trips against a bare socketserver, same run.

Both servers run in their own process (the dut as ``discos-simulator -s dut
start`` starts it); the client is a raw blocking socket in this one. Reported
per server: server CPU time per request (from /proc), the wall rate and
its latencies, and their ratios to the bare floor. Also times
``discos-simulator start`` (to every port accepting), ``stop`` (to the process
gone) and the exit after ``$system_stop%``.

    python bench/framework_bench.py [--round-trips N] [--chunk N] [--cpu CPU|any] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from contextlib import ExitStack
from typing import Any

from benchlib import (
    OUT,
    alternate,
    guarded,
    parse_started,
    pin,
    print_servers,
    ratios_to_floor,
    simulator_cli,
    simulator_env,
    start_bare,
    stop_process,
    throughput_arguments,
    write_result,
)

from simulators.runtime import alive

REQUEST = b"*IDN?\n"
REPLY = b"SIMULATORS,DUT-1000,SN0001,1.0\n"
FLOOR = "bare_socketserver"


def measure(round_trips: int, chunk: int, *, cli_timings: bool = True) -> dict[str, Any]:
    """Run the benchmark (the start/stop timings optional); return its result."""
    with simulator_env() as env:
        with ExitStack() as stack:
            bare_process, bare = start_bare(REPLY)
            stack.callback(stop_process, bare_process)
            start_s, output = simulator_cli("-s", "dut", "--ephemeral-ports", "start", env=env)
            try:
                servers = alternate(
                    [bare, parse_started("dut", output)],
                    count=round_trips,
                    chunk=chunk,
                    request=REQUEST,
                    answer=REPLY,
                )
            finally:
                stop_s, _ = simulator_cli("-s", "dut", "stop", env=env)
        result: dict[str, Any] = {
            "benchmark": "dut *IDN? round trips, one TCP connection",
            "round_trips": round_trips,
            "chunk": chunk,
            "floor": FLOOR,
            "servers": servers,
            "ratios_to_floor": ratios_to_floor(servers, FLOOR),
        }
        if cli_timings:
            result["start_to_ready_ms"] = round(start_s * 1e3, 1)
            result["stop_ms"] = round(stop_s * 1e3, 1)
            result["exit_after_system_stop_ms"] = round(_exit_after_system_stop(env) * 1e3, 1)
    return result


def _exit_after_system_stop(env: dict[str, str]) -> float:
    """Time from sending ``$system_stop%`` to the simulator process being gone."""
    _, output = simulator_cli("-s", "dut", "--ephemeral-ports", "start", env=env)
    dut = parse_started("dut", output)
    try:
        with (
            socket.create_connection(("127.0.0.1", dut.port)),  # a bystander, connected throughout
            socket.create_connection(("127.0.0.1", dut.port)) as sock,
        ):
            start = time.perf_counter()
            sock.sendall(b"$system_stop%")
            while alive(dut.pid) and time.perf_counter() - start < 30:
                time.sleep(0.001)
            return time.perf_counter() - start
    finally:
        if alive(dut.pid):
            simulator_cli("-s", "dut", "stop", env=env)


def arguments() -> argparse.ArgumentParser:
    """The command line; ``--json-out`` defaults to the untracked bench/out/."""
    return throughput_arguments(__doc__.split("\n", 1)[0], OUT / "framework.json")


def main() -> int:
    options = arguments().parse_args()
    cpu = pin(options.cpu)
    result = measure(options.round_trips, options.chunk)
    print_servers(result["benchmark"], result["servers"], FLOOR)
    print(
        f"  start {result['start_to_ready_ms']} ms, stop {result['stop_ms']} ms,"
        f" exit after $system_stop% {result['exit_after_system_stop_ms']} ms"
    )
    result["pinned_cpu"] = cpu
    write_result(result, options.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(guarded(main))
