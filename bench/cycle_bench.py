"""Cycle benchmark: the 11-step bring-up plan, over and over, against the four simulated devices.

The devices run in their own process (``discos-simulator -s station``); the
sequencer runs here with persistent connections and no observers but a
collector, so the figures are the controller's own cost plus the wire. One
pass is clean; one runs with a drift fault and a delay fault injected, whose
injected delay is subtracted before comparing. The baseline is eleven
round trips to a bare socketserver, measured in the same run.

    python bench/cycle_bench.py --cycles 2000 --json-out bench/results/cycle.json
    python bench/cycle_bench.py --regress    # fail if the mean cycle is >30% above the stored one
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from simulators.client import Client
from simulators.controller.connect import open_devices
from simulators.controller.events import Event, StepFinished
from simulators.controller.plan import load_plan
from simulators.controller.sequencer import Sequencer
from simulators.controller.stations import Endpoint, Framing, Station

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PLAN = ROOT / "plans" / "station_bringup.yaml"
RESULTS = HERE / "results" / "cycle.json"
DEVICES = ("power_supply", "dmm", "actuator", "thermocouple")
#: The injected faults: every 4th DMM response 2 ms late, and a drifting thermocouple.
DELAY_MS, DELAY_EVERY = 2, 4
REGRESSION_LIMIT = 1.30


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds."""
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1e3, 4)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def run_cycles(station: Station, cycles: int, framing: Framing) -> dict[str, Any]:
    """Run the plan ``cycles`` times on persistent connections; return the timing figures."""
    plan = load_plan(PLAN)
    steps: list[float] = []
    cycle_times: list[float] = []
    events: list[Event] = []
    with open_devices(plan, station, framing) as connected:
        sequencer = Sequencer(plan, connected.clients, connected.devices, [events.append], framing)
        for _ in range(3):  # warm-up
            sequencer.run()
        for _ in range(cycles):
            events.clear()
            start = time.perf_counter()
            sequencer.run()
            cycle_times.append(time.perf_counter() - start)
            steps.extend(e.duration_s for e in events if isinstance(e, StepFinished))
    commands = len(steps)
    return {
        "cycle_ms": {
            "mean": round(statistics.mean(cycle_times) * 1e3, 4),
            **percentiles(cycle_times),
        },
        "command_ms": percentiles(steps),
        "commands_per_s": round(commands / sum(cycle_times)),
    }


def bare_baseline(cycles: int) -> dict[str, Any]:
    """Eleven sequential round trips to a bare socketserver, as one 'cycle'."""
    server = subprocess.Popen(
        [sys.executable, str(HERE / "bare_server.py")], stdout=subprocess.PIPE
    )
    assert server.stdout is not None
    port = int(server.stdout.readline())
    times: list[float] = []
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for index in range(cycles + 3):
                start = time.perf_counter()
                for _ in range(11):
                    sock.sendall(b"*IDN?\n")
                    data = sock.recv(4096)
                    while not data.endswith(b"\n"):
                        data += sock.recv(4096)
                if index >= 3:
                    times.append(time.perf_counter() - start)
    finally:
        server.kill()
        server.wait()
    return {"mean": round(statistics.mean(times) * 1e3, 4), **percentiles(times)}


def start_station(env: dict[str, str]) -> Station:
    """Start the four devices in their own process; return where they listen."""
    started = subprocess.run(
        [sys.executable, "-m", "simulators", "-s", "station", "--ephemeral-ports", "start"],
        capture_output=True, text=True, env=env, check=True, timeout=60,
    )
    ports = [int(line.split()[0].rsplit(":", 1)[1])
             for line in started.stdout.splitlines() if line.startswith("  127.0.0.1:")]
    devices = {
        name: Endpoint("127.0.0.1", port, "custom")
        for name, port in zip(DEVICES, ports, strict=True)
    }
    return Station(devices, Path("<bench>"))


def inject(station: Station, command: str, *args: object) -> None:
    """Send a custom command to every device."""
    for endpoint in station.devices.values():
        with Client(endpoint.host, endpoint.port) as client:
            client.custom(command, *args)


def measure(cycles: int) -> dict[str, Any]:
    """Run the whole benchmark and return its result."""
    env = dict(os.environ, DISCOS_SIMULATORS_RUNTIME_DIR=tempfile.mkdtemp(prefix="bench-"))
    station = start_station(env)
    try:
        clean = run_cycles(station, cycles, "custom")
        dmm, thermocouple = station.devices["dmm"], station.devices["thermocouple"]
        with Client(dmm.host, dmm.port) as client:
            client.custom("fault", "delay", DELAY_MS, DELAY_EVERY)
        with Client(thermocouple.host, thermocouple.port) as client:
            client.custom("fault", "drift", "channel_0", 0)
        faulted = run_cycles(station, cycles, "custom")
        inject(station, "clear_faults")
    finally:
        subprocess.run([sys.executable, "-m", "simulators", "-s", "station", "stop"],
                       env=env, check=False, capture_output=True, timeout=60)
    baseline = bare_baseline(cycles)
    injected_ms = DELAY_MS / DELAY_EVERY  # the DMM answers once per cycle
    corrected = faulted["cycle_ms"]["mean"] - injected_ms
    return {
        "plan": "station_bringup (11 steps)",
        "cycles": cycles,
        "clean": clean,
        "faulted": {**faulted, "injected_delay_ms_per_cycle": injected_ms},
        "baseline_11_bare_round_trips_ms": baseline,
        "ratios": {
            "clean_p50_vs_bare_p50": round(clean["cycle_ms"]["p50"] / baseline["p50"], 2),
            "faulted_minus_injected_vs_clean_mean": round(corrected / clean["cycle_ms"]["mean"], 2),
        },
        "targets": {"clean_p50_vs_bare_p50": 2.0, "faulted_minus_injected_vs_clean_mean": 1.3},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cycles", type=int, default=2000)
    parser.add_argument("--json-out", type=Path, default=RESULTS)
    parser.add_argument("--regress", action="store_true",
                        help=f"compare with {RESULTS.relative_to(ROOT)} instead of replacing it")
    options = parser.parse_args()
    result = measure(options.cycles)
    text = json.dumps(result, indent=2) + "\n"
    print(text, end="")
    if options.regress:
        stored = json.loads(RESULTS.read_text())
        before, now = stored["clean"]["cycle_ms"]["mean"], result["clean"]["cycle_ms"]["mean"]
        ratio = now / before
        print(f"mean cycle {now:.3f} ms vs stored {before:.3f} ms: x{ratio:.2f}")
        if ratio > REGRESSION_LIMIT:
            print(f"REGRESSION: more than {REGRESSION_LIMIT - 1:.0%} slower", file=sys.stderr)
            return 1
        return 0
    options.json_out.parent.mkdir(parents=True, exist_ok=True)
    options.json_out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
