"""Modbus benchmark: read one input register, our Modbus-TCP DMM against pymodbus and the floor.

Three servers, each in its own process, answer the same MBAP request
(function 0x04, input register 100, unit 1) with the same 11 bytes: a bare
socketserver sending those bytes back (the floor), our DMM as
``discos-simulator -s dmm -t modbus-tcp start`` starts it, and a pymodbus
server holding the same register. The client is a raw socket in this one.
pymodbus gets a fifth of the round trips (it is the slowest). Reported per
server: CPU time per request (from /proc), the wall rate and
its latencies, and ratios to the floor and to pymodbus.

    python bench/modbus_bench.py [--round-trips N] [--chunk N] [--cpu CPU|any] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from benchlib import (
    HERE,
    OUT,
    Served,
    alternate,
    guarded,
    parse_started,
    pin,
    print_servers,
    ratio,
    ratios_to_floor,
    simulator_cli,
    simulator_env,
    start_bare,
    stop_process,
    throughput_arguments,
    write_result,
)

# MBAP: transaction 1, protocol 0, length 6, unit 1; PDU: 0x04, address 100, count 1.
REQUEST = struct.pack(">HHHBBHH", 1, 0, 6, 1, 0x04, 100, 1)
ANSWER = struct.pack(">HHHBBBH", 1, 0, 5, 1, 0x04, 2, 4980)
FLOOR, OURS, PYMODBUS = "bare_socketserver", "dmm_modbus_tcp", "pymodbus_server"
#: pymodbus costs several times more CPU per request: a fifth of the round trips
#: uses as many clock ticks as the others do, in a fifth of the time.
PYMODBUS_SHARE = 0.2


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, timeout: float = 60.0) -> None:
    """Return once something accepts connections on ``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def measure(round_trips: int, chunk: int, *, with_pymodbus: bool = True) -> dict[str, Any]:
    """Run the benchmark (pymodbus optional) and return its result."""
    with ExitStack() as stack:
        env = stack.enter_context(simulator_env())
        bare_process, bare = start_bare(ANSWER)
        stack.callback(stop_process, bare_process)
        servers = [bare]
        if with_pymodbus:
            servers.append(stack.enter_context(_pymodbus_server()))
        _, output = simulator_cli(
            "-s", "dmm", "-t", "modbus-tcp", "--ephemeral-ports", "start", env=env
        )
        stack.callback(simulator_cli, "-s", "dmm", "stop", env=env)
        servers.insert(1, parse_started(OURS, output))
        measured = alternate(
            servers,
            count=round_trips,
            chunk=chunk,
            request=REQUEST,
            answer=ANSWER,
            shares={PYMODBUS: PYMODBUS_SHARE},
        )
    result: dict[str, Any] = {
        "benchmark": "read one input register (0x04), modbus-tcp, one TCP connection",
        "round_trips": round_trips,
        "chunk": chunk,
        "floor": FLOOR,
        "servers": measured,
        "ratios_to_floor": ratios_to_floor(measured, FLOOR),
    }
    if with_pymodbus:
        ours, theirs = measured[OURS], measured[PYMODBUS]
        result["ours_vs_pymodbus"] = {
            "cpu_per_request": ratio(ours["cpu_us_per_request"], theirs["cpu_us_per_request"]),
            "rate": ratio(ours["requests_per_s"], theirs["requests_per_s"]),
        }
    return result


@contextmanager
def _pymodbus_server() -> Iterator[Served]:
    """A pymodbus server holding the same register, in its own process."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(HERE / "pymodbus_server.py"), str(port)])
    try:
        wait_for(port)
        yield Served(PYMODBUS, process.pid, (port,))
    finally:
        stop_process(process)


def arguments() -> argparse.ArgumentParser:
    """The command line; ``--json-out`` defaults to the untracked bench/out/."""
    return throughput_arguments(__doc__.split("\n", 1)[0], OUT / "modbus.json")


def main() -> int:
    options = arguments().parse_args()
    cpu = pin(options.cpu)
    result = measure(options.round_trips, options.chunk)
    print_servers(result["benchmark"], result["servers"], FLOOR)
    versus = result["ours_vs_pymodbus"]
    print(f"  ours/pymodbus: CPU per request x{versus['cpu_per_request']}, rate x{versus['rate']}")
    result["pinned_cpu"] = cpu
    write_result(result, options.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(guarded(main))
