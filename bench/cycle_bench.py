"""Cycle benchmark: the 11-step bring-up plan, over and over, against the four simulated devices.

The devices run in their own process (``discos-simulator -s station start``);
the sequencer runs here with persistent connections and no observers but a
collector, so the wall figures are the controller's own cost plus the wire,
and the station process's CPU time (from /proc) over the cycles, divided by
the steps run, is the server's cost per step. One pass is clean; one runs with
a drift fault and a delay fault injected, whose injected delay is subtracted
before comparing. The baseline is eleven round trips to a bare socketserver
in its own process, with its CPU per request; in the clean pass, turns of plan
cycles and turns of bare round trips alternate, so both see the same machine.

    python bench/cycle_bench.py [--cycles N] [--chunk N] [--cpu CPU|any] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchlib import (
    OUT,
    Served,
    Tally,
    Workload,
    add_cpu_option,
    connect,
    cpu_us,
    guarded,
    interleave,
    parse_started,
    pin,
    positive,
    ratio,
    round_trips,
    simulator_cli,
    simulator_env,
    start_bare,
    stop_process,
    write_result,
)

from mfg_ctl.connect import open_devices
from mfg_ctl.plan import load_plan
from mfg_ctl.run.events import Event, StepFinished
from mfg_ctl.run.sequencer import Sequencer
from mfg_ctl.stations import Endpoint, Station
from simulators.client import Client

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "plans" / "station_bringup.yaml"
DEVICES = ("power_supply", "dmm", "actuator", "thermocouple")  # the order `start` lists them
STEPS = 11
IDN, IDN_REPLY = b"*IDN?\n", b"SIMULATORS,DUT-1000,SN0001,1.0\n"
#: Bare 'cycles' per plan cycle: the floor is several times cheaper, so it takes longer turns
#: to use as many clock ticks of CPU time as the station does (finer CPU figures, same run time).
BARE_CYCLES_PER_PLAN_CYCLE = 4
#: The injected faults: every 4th DMM response 2 ms late, and a drifting thermocouple.
DELAY_MS, DELAY_EVERY = 2, 4


def percentiles(values: list[float]) -> dict[str, float]:
    """p50/p95/p99 in milliseconds."""
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1e3, 4)

    return {"p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def plan_chunk(
    sequencer: Sequencer, events: list[Event], cycles: int, times: list[float]
) -> Callable[[], list[float]]:
    """A workload chunk: ``cycles`` plan runs; appends each cycle's time, returns each step's."""

    def run() -> list[float]:
        steps: list[float] = []
        for _ in range(cycles):
            events.clear()
            start = time.perf_counter()
            sequencer.run()
            times.append(time.perf_counter() - start)
            steps.extend(e.duration_s for e in events if isinstance(e, StepFinished))
        return steps

    return run


def bare_chunk(sock: socket.socket, cycles: int, times: list[float]) -> Callable[[], list[float]]:
    """A workload chunk: ``cycles`` times eleven ``*IDN?`` round trips to the bare socketserver."""

    def run() -> list[float]:
        trips: list[float] = []
        for _ in range(cycles):
            start = time.perf_counter()
            trips.extend(round_trips(sock, STEPS, IDN, IDN_REPLY))
            times.append(time.perf_counter() - start)
        return trips

    return run


def pass_figures(tally: Tally, cycle_times: list[float]) -> dict[str, Any]:
    """The figures of one pass of the plan against the station."""
    return {
        "cycle_ms": {
            "mean": round(statistics.mean(cycle_times) * 1e3, 4),
            **percentiles(cycle_times),
        },
        "command_ms": percentiles(tally.latencies),
        "commands_per_s": round(tally.units / tally.wall_s),
        "station_cpu_us_per_step": cpu_us(tally.cpu_s, tally.units),
    }


def measure(cycles: int, chunk: int = 50, *, faulted_pass: bool = True) -> dict[str, Any]:
    """Run the benchmark (the faulted pass optional) and return its result.

    In the clean pass, chunks of plan cycles and chunks of bare round trips
    take turns, so both see the same machine.
    """
    chunk, plan = max(1, min(chunk, cycles)), load_plan(PLAN)
    events: list[Event] = []
    times: dict[str, list[float]] = {"clean": [], "bare": [], "faulted": []}
    with ExitStack() as stack:
        env = stack.enter_context(simulator_env())
        bare_process, bare = start_bare(IDN_REPLY)
        stack.callback(stop_process, bare_process)
        station, served = start_station(env)
        stack.callback(simulator_cli, "-s", "station", "stop", env=env)
        connected = stack.enter_context(open_devices(plan, station, "custom"))
        sequencer = Sequencer(plan, connected.clients, connected.devices, [events.append], "custom")
        sock = stack.enter_context(connect(bare.port))
        for _ in range(3):  # warm-up
            sequencer.run()
            round_trips(sock, STEPS, IDN, IDN_REPLY)
        clean = interleave(
            {
                "station": Workload(
                    served.pid, plan_chunk(sequencer, events, chunk, times["clean"])
                ),
                "bare": Workload(
                    bare.pid, bare_chunk(sock, BARE_CYCLES_PER_PLAN_CYCLE * chunk, times["bare"])
                ),
            },
            max(1, cycles // chunk),
        )
        if faulted_pass:
            inject_faults(station)
            faulted = interleave(
                {
                    "station": Workload(
                        served.pid, plan_chunk(sequencer, events, chunk, times["faulted"])
                    )
                },
                max(1, cycles // chunk),
            )
    clean_figures = pass_figures(clean["station"], times["clean"])
    baseline = {
        "mean": round(statistics.mean(times["bare"]) * 1e3, 4),
        **percentiles(times["bare"]),
        "cpu_us_per_request": cpu_us(clean["bare"].cpu_s, clean["bare"].units),
    }
    result: dict[str, Any] = {
        "plan": "station_bringup (11 steps)",
        "cycles": len(times["clean"]),
        "chunk": chunk,
        "clean": clean_figures,
        "baseline_11_bare_round_trips_ms": baseline,
        "ratios": {
            "clean_p50_vs_bare_p50": ratio(clean_figures["cycle_ms"]["p50"], baseline["p50"]),
            "station_cpu_per_step_vs_bare_cpu_per_request": ratio(
                clean_figures["station_cpu_us_per_step"], baseline["cpu_us_per_request"]
            ),
        },
    }
    if faulted_pass:
        injected_ms = DELAY_MS / DELAY_EVERY  # the DMM answers once per cycle
        faulted_figures = pass_figures(faulted["station"], times["faulted"])
        corrected = faulted_figures["cycle_ms"]["mean"] - injected_ms
        result["faulted"] = {**faulted_figures, "injected_delay_ms_per_cycle": injected_ms}
        result["ratios"]["faulted_minus_injected_vs_clean_mean"] = ratio(
            corrected, clean_figures["cycle_ms"]["mean"]
        )
    return result


def inject_faults(station: Station) -> None:
    """Make every 4th DMM answer late and the thermocouple drift."""
    dmm, thermocouple = station.devices["dmm"], station.devices["thermocouple"]
    with Client(dmm.host, dmm.port) as client:
        client.custom("fault", "delay", DELAY_MS, DELAY_EVERY)
    with Client(thermocouple.host, thermocouple.port) as client:
        client.custom("fault", "drift", "channel_0", 0)


def start_station(env: dict[str, str]) -> tuple[Station, Served]:
    """Start the four devices in their own process; return where they listen, and its pid."""
    _, output = simulator_cli("-s", "station", "--ephemeral-ports", "start", env=env)
    served = parse_started("station", output)
    devices = {
        name: Endpoint("127.0.0.1", port, "custom")
        for name, port in zip(DEVICES, served.ports, strict=True)
    }
    return Station(devices, Path("<bench>")), served


def arguments() -> argparse.ArgumentParser:
    """The command line; ``--json-out`` defaults to the untracked bench/out/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--cycles", type=positive, default=2000, help="plan cycles per pass")
    parser.add_argument(
        "--chunk", type=positive, default=50, help="cycles per turn; station and bare take turns"
    )
    parser.add_argument("--json-out", type=Path, default=OUT / "cycle.json")
    add_cpu_option(parser)
    return parser


def main() -> int:
    options = arguments().parse_args()
    cpu = pin(options.cpu)
    result = measure(options.cycles, options.chunk)
    clean, bare = result["clean"], result["baseline_11_bare_round_trips_ms"]
    print(f"{result['plan']}, {result['cycles']} cycles")
    print(
        f"  clean cycle    mean {clean['cycle_ms']['mean']} ms, p50 {clean['cycle_ms']['p50']} ms;"
        f" station CPU {clean['station_cpu_us_per_step']} us/step"
    )
    if "faulted" in result:
        faulted = result["faulted"]
        print(
            f"  faulted cycle  mean {faulted['cycle_ms']['mean']} ms"
            f" ({faulted['injected_delay_ms_per_cycle']} ms injected);"
            f" station CPU {faulted['station_cpu_us_per_step']} us/step"
        )
    print(
        f"  11 bare round trips  mean {bare['mean']} ms, p50 {bare['p50']} ms;"
        f" bare CPU {bare['cpu_us_per_request']} us/request"
    )
    print("  ratios: " + ", ".join(f"{name} {value}" for name, value in result["ratios"].items()))
    result["pinned_cpu"] = cpu
    write_result(result, options.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(guarded(main))
