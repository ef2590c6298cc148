"""Web SSE benchmark: how late a live step reaches 20 browsers, and the server's CPU per message.

``mfg-ctl serve-web`` runs in its own process over the reference station
(``discos-simulator -s station``, also its own process) whose devices answer
late (a ``delay`` fault), so each step of a run finishes well apart from the
next. The bench plan is the bring-up with the DMM step moved first and made
slow: while it waits, the SSE clients connect to the run's event stream, each
from its own loopback address (``127.0.0.N``: the server bounds streams per
client address, as it would for browsers on different machines). One
selector loop here reads every stream and stamps each message on arrival.

Latency of a ``step_finished`` message = its arrival (wall clock) minus its
``at`` (the server's step ``finished_at``, same machine clock), over all
clients x steps of every measured run; only messages finished after the
client had connected count. The server's CPU time (utime + stime from
/proc) over the runs with the clients, minus the same over as many runs with
one client (they take turns), divided by the extra messages delivered, is its
CPU per delivered message; the gross figure includes running the plan itself.

    python bench/web_sse.py [--clients N] [--runs N] [--step-delay-ms MS] [--cpu CPU|any]
                            [--json-out FILE]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import selectors
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from benchlib import (
    OUT,
    add_cpu_option,
    guarded,
    parse_started,
    pin,
    positive,
    simulator_cli,
    simulator_env,
    write_result,
)

from simulators.client import Client
from simulators.proc import CLOCK_TICKS_PER_S, cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
BRINGUP = ROOT / "plans" / "station_bringup.yaml"
DEVICES = ("power_supply", "dmm", "actuator", "thermocouple")  # the order `start` lists them
TARGET_P95_MS = 50.0
#: How long the first (DMM) step waits: the clients connect meanwhile.
GATE_MS = 1500
WAIT_S = 120.0  # a hang guard on every wait, never a budget
SERVING = re.compile(r"serving the web UI at http://127\.0\.0\.1:(\d+)/")


def bench_plan(folder: Path) -> str:
    """Write the bench plan (the bring-up, its DMM step first) into ``folder``; its name."""
    plan = yaml.safe_load(BRINGUP.read_text())
    steps = plan["steps"]
    dmm = next(step for step in steps if step["device"] == "dmm")
    dmm["timeout"] = GATE_MS / 1000 + 30
    plan["steps"] = [dmm, *(step for step in steps if step is not dmm)]
    plan["name"] = "web_sse_bench"
    (folder / "web_sse_bench.yaml").write_text(yaml.safe_dump(plan, sort_keys=False))
    return "web_sse_bench"


def start_station(env: dict[str, str], step_delay_ms: int, folder: Path) -> Path:
    """Start the four devices, make them answer late, write their station file; return it."""
    _, output = simulator_cli("-s", "station", "--ephemeral-ports", "start", env=env)
    ports = dict(zip(DEVICES, parse_started("station", output).ports, strict=True))
    for name, port in ports.items():
        with Client("127.0.0.1", port, timeout=30) as device:
            device.custom("fault", "delay", GATE_MS if name == "dmm" else step_delay_ms)
    lines = ["framing: custom", "devices:"]
    lines += [f"  {name}: {{host: 127.0.0.1, port: {port}}}" for name, port in ports.items()]
    station = folder / "station.yaml"
    station.write_text("\n".join(lines) + "\n")
    return station


class WebServer:
    """``mfg-ctl serve-web`` in its own process, and a session to start runs with."""

    def __init__(self, folder: Path, station: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mfg_ctl",
                "serve-web",
                "--port",
                "0",
                "--plans",
                str(folder),
                "--station",
                str(station),
            ],
            env={**env, "MFG_CTL_DB": str(folder / "runs.db")},
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.process.stderr is not None
        line = self.process.stderr.readline()
        found = SERVING.search(line)
        if found is None:
            self.stop()
            raise RuntimeError(f"serve-web did not start: {line.strip()}")
        self.port = int(found.group(1))
        threading.Thread(target=self._drain, daemon=True).start()
        self.cookie, self.csrf = self._session()

    def _drain(self) -> None:
        """Read what the server says on stderr from now on, so its pipe never fills."""
        assert self.process.stderr is not None
        for _ in self.process.stderr:
            pass

    def _session(self) -> tuple[str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT_S)
        connection.request("GET", "/")
        answer = connection.getresponse()
        page = answer.read().decode()
        connection.close()
        token = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
        cookie = (answer.getheader("Set-Cookie") or "").split(";")[0]
        if token is None or not cookie:
            raise RuntimeError("the plans page gave no session or CSRF token")
        return cookie, token.group(1)

    def start_run(self, plan: str, sn: str) -> str:
        """Start ``plan`` for ``sn`` through the API; its run id."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=WAIT_S)
        headers = {
            "Content-Type": "application/json",
            "Cookie": self.cookie,
            "X-CSRF-Token": self.csrf,
        }
        connection.request("POST", "/api/runs", json.dumps({"plan": plan, "sn": sn}), headers)
        answer = connection.getresponse()
        body = json.loads(answer.read())
        connection.close()
        if answer.status != 201:
            raise RuntimeError(f"could not start a run: {body}")
        return str(body["run_id"])

    def stop(self) -> None:
        """SIGTERM, then reap (kill if it will not go)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=WAIT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=WAIT_S)


class Stream:
    """One client's event stream on a raw socket: the SSE blocks as they arrive."""

    def __init__(self, port: int, run_id: str, source: str) -> None:
        self.sock = socket.socket()
        self.sock.bind((source, 0))
        self.sock.connect(("127.0.0.1", port))
        request = f"GET /runs/{run_id}/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
        self.sock.sendall(request.encode())
        self.sock.setblocking(False)
        self.buffer = b""
        self.headers_done = False
        self.connected_at = 0.0  # wall clock when the stream's first block arrived
        self.messages = 0
        self.ended = False
        self.latencies: list[float] = []  # seconds
        self.early = 0  # step messages finished before this client was connected

    def feed(self, data: bytes, now: float) -> None:
        """Take bytes read at wall time ``now``; handle every complete block."""
        self.buffer += data
        if not self.headers_done:
            head, found, rest = self.buffer.partition(b"\r\n\r\n")
            if not found:
                return
            status_line = head.split(b"\r\n", 1)[0]
            if b" 200 " not in status_line:
                raise RuntimeError(f"stream refused: {status_line.decode(errors='replace')}")
            self.headers_done, self.buffer = True, rest
        while b"\n\n" in self.buffer:
            block, _, self.buffer = self.buffer.partition(b"\n\n")
            self._block(block.decode(), now)

    def _block(self, block: str, now: float) -> None:
        fields = dict(line.partition(": ")[::2] for line in block.split("\n") if ": " in line)
        if "retry" in fields:
            self.connected_at = now
        if "id" in fields:
            self.messages += 1
        if fields.get("event") == "end":
            self.ended = True
        if fields.get("event") == "step_finished":
            at = datetime.fromisoformat(json.loads(fields["data"])["at"]).timestamp()
            if at >= self.connected_at:
                self.latencies.append(now - at)
            else:
                self.early += 1


def watch(port: int, run_id: str, clients: int) -> list[Stream]:
    """Connect ``clients`` streams to the run and read them all until each ends."""
    selector = selectors.DefaultSelector()
    streams = [Stream(port, run_id, f"127.0.0.{index + 2}") for index in range(clients)]
    for each in streams:
        selector.register(each.sock, selectors.EVENT_READ, each)
    deadline = time.monotonic() + WAIT_S
    open_streams = len(streams)
    try:
        while open_streams:
            if time.monotonic() > deadline:
                raise RuntimeError("the run's streams did not end in time")
            for key, _ in selector.select(timeout=1.0):
                stream: Stream = key.data
                data = stream.sock.recv(65536)
                now = time.time()
                if data:
                    stream.feed(data, now)
                if not data or stream.ended:
                    selector.unregister(stream.sock)
                    stream.sock.close()
                    open_streams -= 1
    finally:
        selector.close()
        for each in streams:
            each.sock.close()
    return streams


def one_run(server: WebServer, plan: str, clients: int, label: str) -> dict[str, Any]:
    """Start a run, watch it with ``clients`` streams; its latencies, messages, server CPU."""
    before = cpu_seconds(server.process.pid)
    run_id = server.start_run(plan, label)
    streams = watch(server.port, run_id, clients)
    cpu_s = cpu_seconds(server.process.pid) - before
    latencies = [value for stream in streams for value in stream.latencies]
    return {
        "run_id": run_id,
        "latencies": latencies,
        "messages": sum(stream.messages for stream in streams),
        "early": sum(stream.early for stream in streams),
        "cpu_s": cpu_s,
    }


def ms(seconds: list[float], fraction: float) -> float:
    ordered = sorted(seconds)
    return round(ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1e3, 2)


def measure(clients: int, runs: int, step_delay_ms: int) -> dict[str, Any]:
    """The whole benchmark: a warm-up run, then ``runs`` runs watched by ``clients``, each
    followed by one watched by a single client (the run's own CPU time, to subtract)."""
    with ExitStack() as stack:
        env = stack.enter_context(simulator_env())
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-web-")))
        plan = bench_plan(folder)
        station = start_station(env, step_delay_ms, folder)
        stack.callback(simulator_cli, "-s", "station", "stop", env=env)
        server = WebServer(folder, station, env)
        stack.callback(server.stop)
        one_run(server, plan, clients, "SN-WARM")
        watched, alone = [], []
        for number in range(1, runs + 1):  # taking turns, both see the same machine
            watched.append(one_run(server, plan, clients, f"SN-{number}"))
            alone.append(one_run(server, plan, 1, f"SN-ALONE-{number}"))
    latencies = [value for run in watched for value in run["latencies"]]
    if not latencies:
        raise RuntimeError("no step message arrived after its client connected")
    messages = sum(run["messages"] for run in watched)
    cpu_watched = sum(run["cpu_s"] for run in watched)
    per_run = [
        {"p50_ms": ms(run["latencies"], 0.5), "p95_ms": ms(run["latencies"], 0.95),
         "max_ms": ms(run["latencies"], 1.0), "steps_timed": len(run["latencies"])}
        for run in watched
    ]  # fmt: skip
    cpu_alone = sum(run["cpu_s"] for run in alone)
    net_messages = messages - sum(run["messages"] for run in alone)
    return {
        "clients": clients,
        "runs": runs,
        "step_delay_ms": step_delay_ms,
        "latency_ms": {
            "p50": ms(latencies, 0.5),
            "p95": ms(latencies, 0.95),
            "max": ms(latencies, 1.0),
            "mean": round(statistics.mean(latencies) * 1e3, 2),
            "count": len(latencies),
        },
        "per_run": per_run,
        "step_messages_before_connect": sum(run["early"] for run in watched),
        "messages_delivered": messages,
        "server_cpu_s": {
            "watched_runs": round(cpu_watched, 3),
            "runs_with_one_client": round(cpu_alone, 3),
        },
        "server_cpu_us_per_message": round(cpu_watched / messages * 1e6, 1) if messages else None,
        "server_cpu_us_per_message_net_of_the_run": (
            round((cpu_watched - cpu_alone) / net_messages * 1e6, 1) if net_messages > 0 else None
        ),
        "cpu_tick_us_per_message": round(1e6 / CLOCK_TICKS_PER_S / messages, 1),
        "target_p95_ms": TARGET_P95_MS,
        "pass": ms(latencies, 0.95) < TARGET_P95_MS,
    }


def arguments() -> argparse.ArgumentParser:
    """The command line; ``--json-out`` defaults to the untracked bench/out/."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=positive, default=20, help="SSE clients per run")
    parser.add_argument("--runs", type=positive, default=3, help="measured runs")
    parser.add_argument(
        "--step-delay-ms", type=positive, default=80, help="how late each device answers"
    )
    parser.add_argument("--json-out", type=Path, default=OUT / "web_sse.json")
    add_cpu_option(parser)
    return parser


def main() -> int:
    options = arguments().parse_args()
    if options.clients > 250:
        raise ValueError("--clients: at most 250 (one loopback address each)")
    cpu = pin(options.cpu)
    result = measure(options.clients, options.runs, options.step_delay_ms)
    latency = result["latency_ms"]
    print(
        f"SSE step latency, {result['clients']} clients x {result['runs']} runs "
        f"({latency['count']} step messages timed)"
    )
    print(f"  {'run':<6}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}{'timed':>8}")
    for number, run in enumerate(result["per_run"], start=1):
        print(
            f"  {number:<6}{run['p50_ms']:>10}{run['p95_ms']:>10}{run['max_ms']:>10}"
            f"{run['steps_timed']:>8}"
        )
    print(f"  {'all':<6}{latency['p50']:>10}{latency['p95']:>10}{latency['max']:>10}")
    print(
        f"  server CPU {result['server_cpu_us_per_message']} us per delivered message "
        f"({result['server_cpu_us_per_message_net_of_the_run']} us net of the run itself; "
        f"{result['messages_delivered']} messages; one clock tick is "
        f"{result['cpu_tick_us_per_message']} us of that)"
    )
    verdict = "PASS" if result["pass"] else "FAIL"
    print(f"  {verdict}: p95 {latency['p95']} ms vs target {TARGET_P95_MS:g} ms")
    result["pinned_cpu"] = cpu
    write_result(result, options.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(guarded(main))
