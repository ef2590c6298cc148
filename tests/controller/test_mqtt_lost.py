"""The broker's side of ``--mqtt`` going wrong: a killed station, a broker lost mid-run.

A station killed with ``-9`` is marked offline by its last will; a connection
lost mid-run leaves the run going, and what was not delivered is counted.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

from mfg_ctl.events.mqtt import QUEUE_LIMIT, Broker, MqttPublisher
from mfg_ctl.run.events import Event, RunFinished, RunStarted, StepFinished
from tests.controller.cli.support import closed_port
from tests.controller.mqtt_support import (
    BROKER,
    WAIT,
    need_broker,
    subscribed,
    unique_station,
    wait_until,
)

STATION = textwrap.dedent(
    """
    import sys, time
    from mfg_ctl.events.mqtt import Broker, MqttPublisher
    publisher = MqttPublisher(Broker("127.0.0.1", 1883), sys.argv[1])
    print(publisher.wait_connected() or "connected", flush=True)
    time.sleep(600)
    """
)


def test_a_station_killed_mid_run_is_marked_offline_by_its_last_will() -> None:
    need_broker()
    station = unique_station()
    with subscribed(station) as subscriber:
        process = subprocess.Popen(
            [sys.executable, "-c", STATION, station], stdout=subprocess.PIPE, text=True
        )
        try:
            assert process.stdout is not None
            assert process.stdout.readline().strip() == "connected"
            wait_until(lambda: bool(subscriber.statuses()), "the station online")
            process.kill()
        finally:
            process.kill()
            process.wait(WAIT)
        wait_until(lambda: len(subscriber.statuses()) == 2, "the last will")
        online, offline = subscriber.statuses()
    assert online["status"] == "online"
    assert online["pid"] == process.pid
    assert offline == {**online, "status": "offline"}  # no "clean": it was not closed


class Cuttable:
    """A TCP relay to the broker that can be cut: the broker "goes away" for its clients."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = [self.listener]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with suppress(OSError):
            while True:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(BROKER)
                self.sockets += [client, upstream]
                for source, sink in ((client, upstream), (upstream, client)):
                    threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)

    def cut(self) -> None:
        for sock in self.sockets:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()


@contextmanager
def relay() -> Iterator[Cuttable]:
    cuttable = Cuttable()
    try:
        yield cuttable
    finally:
        cuttable.cut()


def events(run_id: str) -> tuple[RunStarted, list[StepFinished], RunFinished]:
    now = datetime.now(UTC)
    started = RunStarted(run_id, "plan", "plan.yaml", "steps: []", (), "custom", now, 4)
    steps = [
        StepFinished(run_id, number, f"step{number}", "dmm", "vout", "read", "pass", "ok", 1.0)
        for number in range(1, 5)
    ]
    finished = RunFinished(run_id, "pass", 4, 0, 0, 1.0, now)
    return started, steps, finished


def test_a_broker_lost_mid_run_drops_the_rest_and_counts_them() -> None:
    need_broker()
    station = unique_station()
    started, steps, finished = events("run1")
    with subscribed(station) as subscriber, relay() as broker:
        publisher = MqttPublisher(Broker("127.0.0.1", broker.port), station)
        assert publisher.wait_connected(WAIT) == ""
        before: list[Event] = [started, *steps[:2]]
        for event in before:
            publisher(event)
        wait_until(lambda: len(subscriber.events()) == 3, "the first three events")
        wait_until(lambda: publisher.waiting == 0, "their acknowledgements")
        broker.cut()
        after: list[Event] = [*steps[2:], finished]
        for event in after:
            publisher(event)  # returns at once: the run goes on
        assert publisher.close() == 3
        wait_until(lambda: subscriber.last_status() == "offline", "the last will")
        kinds = [got.kind for got in subscriber.events()]
        last = subscriber.statuses()[-1]
    assert kinds == ["run_started", "step_finished", "step_finished"]
    assert "clean" not in last


def test_with_the_broker_away_the_queue_is_bounded_and_every_event_is_counted() -> None:
    port = closed_port()
    publisher = MqttPublisher(Broker("127.0.0.1", port), unique_station())
    assert publisher.wait_connected(WAIT) == f"cannot reach 127.0.0.1:{port}"
    started, steps, finished = events("run1")
    extra = [
        StepFinished("run1", number, "again", "dmm", "vout", "read", "pass", "ok", 1.0)
        for number in range(5, QUEUE_LIMIT + 5)
    ]
    every: list[Event] = [started, *steps, *extra, finished]
    for event in every:
        publisher(event)
    assert publisher.waiting == QUEUE_LIMIT
    assert publisher.dropped == 2 + len(steps) + len(extra) - QUEUE_LIMIT
    assert publisher.close() == 2 + len(steps) + len(extra)
