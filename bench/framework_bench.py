"""Framework benchmark: dut ``*IDN?`` round trips against a bare socketserver, same run.

Both servers run in their own process; the client is a raw blocking socket in
this one. Also measures ``discos-simulator start`` (to every port accepting)
and ``stop`` (to the process gone), and the exit after ``$system_stop%``.

    python bench/framework_bench.py [--round-trips N] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import alternate, publish

HERE = Path(__file__).resolve().parent
REQUEST = b"*IDN?\n"
REPLY = b"SIMULATORS,DUT-1000,SN0001,1.0\n"
TARGET_RATIO = 0.7


def cli(*arguments: str, env: dict[str, str]) -> tuple[float, str]:
    """Run discos-simulator; return its wall time and output."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "simulators", *arguments],
        capture_output=True, text=True, env=env, check=True, timeout=60,
    )
    return time.perf_counter() - start, result.stdout


def first_port(output: str) -> int:
    """The first ``host:port`` the start command printed."""
    for line in output.splitlines():
        words = line.split()
        if words and words[0].startswith("127.0.0.1:"):
            return int(words[0].rsplit(":", 1)[1])
    raise RuntimeError(f"no address in {output!r}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--round-trips", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3, help="alternate the servers this often")
    parser.add_argument("--json-out", type=Path, default=HERE / "results" / "framework.json")
    options = parser.parse_args()

    env = dict(os.environ)
    env["DISCOS_SIMULATORS_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="bench-runtime-")
    bare = subprocess.Popen([sys.executable, str(HERE / "bare_server.py")], stdout=subprocess.PIPE)
    assert bare.stdout is not None
    bare_port = int(bare.stdout.readline())
    start_s, output = cli("-s", "dut", "--ephemeral-ports", "start", env=env)
    ours_port = first_port(output)
    try:
        measured = alternate(
            bare_port, ours_port, rounds=options.rounds, count=options.round_trips,
            request=REQUEST, answer=REPLY,
        )
    finally:
        stop_s, _ = cli("-s", "dut", "stop", env=env)
        bare.kill()
        bare.wait()
    exit_s = _exit_after_system_stop(env)
    result = {
        "benchmark": "dut *IDN? round trips, one TCP connection",
        "round_trips": options.round_trips,
        "rounds": options.rounds,
        "baseline_bare_socketserver": measured["baseline"],
        "dut": measured["ours"],
        "ratio": measured["ratio"],
        "target_ratio": TARGET_RATIO,
        "start_to_ready_ms": round(start_s * 1e3, 1),
        "stop_ms": round(stop_s * 1e3, 1),
        "exit_after_system_stop_ms": round(exit_s * 1e3, 1),
        "all_rates": measured["all_rates"],
    }
    return publish(result, options.json_out, "dut/baseline", TARGET_RATIO)


def _exit_after_system_stop(env: dict[str, str]) -> float:
    """Time from sending ``$system_stop%`` to the simulator process being gone."""
    _, output = cli("-s", "dut", "--ephemeral-ports", "start", env=env)
    pid = int(output.split("pid ", 1)[1].split(")", 1)[0])
    port = first_port(output)
    bystander = socket.create_connection(("127.0.0.1", port))  # stays connected throughout
    with socket.create_connection(("127.0.0.1", port)) as sock:
        start = time.perf_counter()
        sock.sendall(b"$system_stop%")
        while _alive(pid) and time.perf_counter() - start < 5:
            time.sleep(0.001)
        elapsed = time.perf_counter() - start
    bystander.close()
    return elapsed


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


if __name__ == "__main__":
    sys.exit(main())
