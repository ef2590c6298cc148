"""Modbus benchmark: read-one-register round trips, our modbus-tcp DMM against pymodbus.

Both servers run in their own process and serve input register 100 (4980) as
unit 1; the client is a minimal raw socket in this one, sending the same MBAP
request (function 0x04) and reading the 11-byte answer.

    python bench/modbus_bench.py [--round-trips N] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import alternate, publish

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 4.0
# MBAP: transaction 1, protocol 0, length 6, unit 1; PDU: 0x04, address 100, count 1.
REQUEST = struct.pack(">HHHBBHH", 1, 0, 6, 1, 0x04, 100, 1)
ANSWER = struct.pack(">HHHBBBH", 1, 0, 5, 1, 0x04, 2, 4980)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--round-trips", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json-out", type=Path, default=HERE / "results" / "modbus.json")
    options = parser.parse_args()

    env = dict(os.environ, DISCOS_SIMULATORS_RUNTIME_DIR=tempfile.mkdtemp(prefix="bench-"))
    pymodbus_port = free_port()
    baseline_server = subprocess.Popen(
        [sys.executable, str(HERE / "pymodbus_server.py"), str(pymodbus_port)]
    )
    started = subprocess.run(
        [sys.executable, "-m", "simulators", "-s", "dmm", "-t", "modbus-tcp",
         "--ephemeral-ports", "start"],
        capture_output=True, text=True, env=env, check=True, timeout=60,
    )
    ours_port = int(started.stdout.split("127.0.0.1:", 1)[1].split()[0])
    try:
        wait_for(pymodbus_port)
        measured = alternate(
            pymodbus_port, ours_port, rounds=options.rounds, count=options.round_trips,
            request=REQUEST, answer=ANSWER,
        )
    finally:
        subprocess.run([sys.executable, "-m", "simulators", "-s", "dmm", "stop"],
                       env=env, check=False, capture_output=True, timeout=60)
        baseline_server.kill()
        baseline_server.wait()
    result = {
        "benchmark": "read one input register (0x04), modbus-tcp, one TCP connection",
        "round_trips": options.round_trips,
        "rounds": options.rounds,
        "baseline_pymodbus_server": measured["baseline"],
        "dmm_modbus_tcp": measured["ours"],
        "ratio": measured["ratio"],
        "target_ratio": TARGET_RATIO,
        "all_rates": measured["all_rates"],
    }
    return publish(result, options.json_out, "ours/pymodbus", TARGET_RATIO)

if __name__ == "__main__":
    sys.exit(main())
