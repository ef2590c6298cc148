"""What the benchmarks share: servers in their own processes, round trips, CPU time, results.

Wall-clock rates on a shared machine swing several times over from one run to
the next, so every benchmark measures its baselines in the same run and also
reports each server's CPU time per request: utime + stime of the server
process (fields 14 and 15 of ``/proc/PID/stat``) over N requests, divided by
N. That figure barely moves when other processes load the machine, provided
wake-ups cost the same in every run: a server woken on an idle second CPU pays
for the idle exit, one woken on the client's CPU does not. So the benchmarks
pin themselves, their client and every server they start to one CPU
(:func:`pin`), unless told ``--cpu any``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from simulators.proc import cpu_seconds

HERE = Path(__file__).resolve().parent
#: Where runs write their results unless told otherwise: untracked (see .gitignore).
OUT = HERE / "out"


def pin(cpu: str) -> int | None:
    """Keep this process and every process it starts on one CPU; return it (None: not pinned).

    ``cpu`` is a CPU number, ``last`` (the highest this process may use) or ``any``.
    """
    if cpu == "any":
        return None
    chosen = max(os.sched_getaffinity(0)) if cpu == "last" else int(cpu)
    os.sched_setaffinity(0, {chosen})
    return chosen


def cpu_choice(text: str) -> str:
    """An argparse type: a CPU this process may run on, ``last`` or ``any``."""
    allowed = os.sched_getaffinity(0)
    if text in {"last", "any"} or (text.isdigit() and int(text) in allowed):
        return text
    raise argparse.ArgumentTypeError(
        f"{text!r}: give one of the CPUs {sorted(allowed)}, 'last' or 'any'"
    )


def add_cpu_option(parser: argparse.ArgumentParser) -> None:
    """The ``--cpu`` option every benchmark takes."""
    parser.add_argument(
        "--cpu",
        type=cpu_choice,
        default="last",
        help="run client and servers on this CPU (default: the last one; 'any' to not pin)",
    )


def throughput_arguments(description: str, json_out: Path) -> argparse.ArgumentParser:
    """The command line both throughput benches take; ``--json-out`` defaults to ``json_out``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--round-trips", type=positive, default=100000, help="per server")
    parser.add_argument(
        "--chunk", type=positive, default=1000, help="round trips per turn; the servers take turns"
    )
    parser.add_argument("--json-out", type=Path, default=json_out)
    add_cpu_option(parser)
    return parser


def positive(text: str) -> int:
    """An argparse type: a whole number above zero."""
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number above zero")
    return int(text)


@dataclass(frozen=True)
class Served:
    """A server running in its own process: its pid and the ports it listens on."""

    name: str
    pid: int
    ports: tuple[int, ...]

    @property
    def port(self) -> int:
        """The first listening port."""
        return self.ports[0]


@dataclass
class Tally:
    """What one workload did over all its chunks: units of work, wall time, server CPU."""

    units: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, one per unit

    def figures(self) -> dict[str, float]:
        """Requests made, their rate, latency percentiles (microseconds), server CPU per request."""
        ordered = sorted(self.latencies) or [0.0]
        return {
            "requests": self.units,
            "requests_per_s": round(self.units / self.wall_s) if self.wall_s > 0 else 0,
            "p50_us": round(ordered[len(ordered) // 2] * 1e6, 1),
            "p99_us": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1e6, 1),
            "cpu_us_per_request": cpu_us(self.cpu_s, self.units),
        }


@dataclass(frozen=True)
class Workload:
    """One chunk of work against one server: ``run()`` does it and returns each unit's latency."""

    pid: int  # the server whose CPU time the work costs
    run: Callable[[], list[float]]


def interleave(workloads: dict[str, Workload], chunks: int) -> dict[str, Tally]:
    """Run every workload ``chunks`` times, in turn, reading its server's CPU time around each.

    Small chunks taken in turn make every server see the same machine: a load
    that comes and goes during the run lands on all of them alike, so ratios
    between them hold even when absolute figures move. The order rotates each
    round so no server always follows the same one.
    """
    tallies = {name: Tally() for name in workloads}
    names = list(workloads)
    for index in range(chunks):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            workload, tally = workloads[name], tallies[name]
            cpu_before, start = cpu_seconds(workload.pid), time.perf_counter()
            latencies = workload.run()
            tally.wall_s += time.perf_counter() - start
            tally.cpu_s += cpu_seconds(workload.pid) - cpu_before
            tally.units += len(latencies)
            tally.latencies.extend(latencies)
    return tallies


def round_trips(sock: socket.socket, count: int, request: bytes, answer: bytes) -> list[float]:
    """Send ``request`` ``count`` times on ``sock``, checking each ``answer``; the latencies."""
    latencies = []
    clock = time.perf_counter
    for _ in range(count):
        sent = clock()
        sock.sendall(request)
        data = sock.recv(4096)
        while len(data) < len(answer):
            more = sock.recv(4096)
            if not more:
                raise ConnectionError("server closed the connection")
            data += more
        if data != answer:
            raise AssertionError(f"unexpected answer {data!r}")
        latencies.append(clock() - sent)
    return latencies


def connect(port: int) -> socket.socket:
    """A connection to a local server with Nagle off, as the clients use."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def cpu_us(cpu_s: float, units: int) -> float:
    """Server CPU microseconds per unit of work."""
    return round(cpu_s / units * 1e6, 2) if units else 0.0


def alternate(
    servers: list[Served],
    *,
    count: int,
    chunk: int,
    request: bytes,
    answer: bytes,
    shares: dict[str, float] | None = None,
) -> dict[str, dict[str, float]]:
    """About ``count`` round trips to each server on one connection each, ``chunk`` per turn.

    A server with a share below 1 gets that fraction of the round trips, in
    proportionally shorter turns: a slow server then costs no more wall time,
    and still uses plenty of clock ticks of CPU. Connections are opened and
    warmed up first; only the turns are measured, so connecting is not
    counted. Figures per server: see :meth:`Tally.figures`.
    """
    chunk = max(1, min(chunk, count))
    with ExitStack() as stack:
        workloads = {}
        for server in servers:
            sock = stack.enter_context(connect(server.port))
            round_trips(sock, 300, request, answer)  # warm-up
            turn = max(1, round(chunk * (shares or {}).get(server.name, 1.0)))
            workloads[server.name] = Workload(
                server.pid, partial(round_trips, sock, turn, request, answer)
            )
        tallies = interleave(workloads, max(1, count // chunk))
    return {name: tally.figures() for name, tally in tallies.items()}


def start_bare(reply: bytes) -> tuple[subprocess.Popen[bytes], Served]:
    """Start the bare socketserver (the floor) answering every read with ``reply``."""
    process = subprocess.Popen(
        [sys.executable, str(HERE / "bare_server.py"), reply.hex()], stdout=subprocess.PIPE
    )
    assert process.stdout is not None
    port = int(process.stdout.readline())
    return process, Served("bare_socketserver", process.pid, (port,))


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """Kill a server we started and reap it."""
    process.kill()
    process.wait(timeout=30)


@contextmanager
def simulator_env() -> Iterator[dict[str, str]]:
    """Environment for ``discos-simulator`` with a private runtime directory, removed after."""
    with tempfile.TemporaryDirectory(prefix="bench-runtime-") as runtime_dir:
        yield dict(os.environ, DISCOS_SIMULATORS_RUNTIME_DIR=runtime_dir)


def simulator_cli(*arguments: str, env: dict[str, str]) -> tuple[float, str]:
    """Run ``discos-simulator``; return its wall time and output."""
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "simulators", *arguments],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"discos-simulator {' '.join(arguments)}: {result.stderr.strip()}")
    return time.perf_counter() - start, result.stdout


def parse_started(name: str, output: str) -> Served:
    """The pid and listening ports that ``discos-simulator ... start`` printed."""
    pid = re.search(r"\(pid (\d+)\)", output)
    ports = re.findall(r"^\s+\S+:(\d+)\s+tcp listening", output, flags=re.MULTILINE)
    if pid is None or not ports:
        raise RuntimeError(f"no pid or listening port in {output!r}")
    return Served(name, int(pid.group(1)), tuple(int(port) for port in ports))


def guarded(main: Callable[[], int]) -> int:
    """Run a benchmark's ``main``; a measurement that cannot be made is one line and exit 1."""
    try:
        return main()
    except (OSError, RuntimeError, ValueError, AssertionError, subprocess.SubprocessError) as error:
        print(f"{Path(sys.argv[0]).name}: {error}", file=sys.stderr)
        return 1


def write_result(result: dict[str, object], path: Path) -> None:
    """Write ``result`` as JSON to ``path`` and say where it went."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, indent=2) + "\n")
    except OSError as error:
        raise SystemExit(f"cannot write the results to {path}: {error.strerror}") from None
    print(f"results written to {path}")


def print_servers(title: str, measured: dict[str, dict[str, float]], floor: str) -> None:
    """One line per server: CPU per request, its ratio to the floor, rate and median latency."""
    print(title)
    for name, figures in measured.items():
        times = ratio(figures["cpu_us_per_request"], measured[floor]["cpu_us_per_request"])
        print(
            f"  {name:<18} {figures['cpu_us_per_request']:7.2f} us CPU/request"
            f" (x{times} the floor)  {figures['requests_per_s']:>6}/s, p50 {figures['p50_us']} us"
        )


def ratios_to_floor(
    measured: dict[str, dict[str, float]], floor: str
) -> dict[str, dict[str, float | None]]:
    """Each server's CPU per request and rate, divided by the floor's in the same run."""
    base = measured[floor]
    others = {name: figures for name, figures in measured.items() if name != floor}
    return {
        "cpu_per_request": {
            name: ratio(figures["cpu_us_per_request"], base["cpu_us_per_request"])
            for name, figures in others.items()
        },
        "rate": {
            name: ratio(figures["requests_per_s"], base["requests_per_s"])
            for name, figures in others.items()
        },
    }


def ratio(ours: float, floor: float) -> float | None:
    """``ours / floor``, rounded; None (JSON null) when the floor measured nothing."""
    return round(ours / floor, 3) if floor > 0 else None
