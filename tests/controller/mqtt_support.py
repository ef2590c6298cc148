"""What the MQTT tests share: the broker (skipped when none answers) and a subscriber."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as paho
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.controller.web.support import WAIT, wait_until

__all__ = ["BROKER", "URL", "WAIT", "Subscriber", "need_broker", "subscribed", "unique_station",
           "wait_until"]

BROKER = ("127.0.0.1", 1883)
URL = "mqtt://127.0.0.1:1883"


def need_broker() -> None:
    """Skip the test (one line) unless an MQTT broker answers at 127.0.0.1:1883."""
    try:
        socket.create_connection(BROKER, timeout=2.0).close()
    except OSError:
        pytest.skip("no MQTT broker answers at 127.0.0.1:1883")


def unique_station() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Received:
    topic: str
    payload: Any  # the parsed JSON

    @property
    def kind(self) -> str:
        return self.topic.rsplit("/", 1)[-1]


class Subscriber:
    """Everything published under ``mfg/<station>/#``, in the order it arrived."""

    def __init__(self, station: str) -> None:
        self.station = station
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._subscribed = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2)
        self.client.on_connect = lambda client, *_: client.subscribe(f"mfg/{station}/#", qos=1)
        self.client.on_subscribe = lambda *_: self._subscribed.set()
        self.client.on_message = self._on_message

    def _on_message(self, _client: paho.Client, _data: object, message: paho.MQTTMessage) -> None:
        if message.payload:  # an empty payload clears a retained message
            with self._lock:
                self._received.append(Received(message.topic, json.loads(message.payload)))

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def events(self, run_id: str | None = None) -> list[Received]:
        return [
            got for got in self.received
            if not got.topic.endswith("/status") and (run_id is None or f"/{run_id}/" in got.topic)
        ]

    def statuses(self) -> list[dict[str, Any]]:
        return [got.payload for got in self.received if got.topic.endswith("/status")]

    def last_kind(self) -> str:
        """The kind of the last event received ("" before any)."""
        events = self.events()
        return events[-1].kind if events else ""

    def last_status(self) -> str:
        """The last status received ("" before any)."""
        statuses = self.statuses()
        return str(statuses[-1]["status"]) if statuses else ""


@contextmanager
def subscribed(station: str) -> Iterator[Subscriber]:
    """A subscriber to the station's topics, subscribed before the block; the retained
    status is cleared afterwards."""
    subscriber = Subscriber(station)
    subscriber.client.connect(*BROKER)
    subscriber.client.loop_start()
    try:
        assert subscriber._subscribed.wait(WAIT), "the broker never acknowledged the subscription"
        yield subscriber
    finally:
        clear = subscriber.client.publish(f"mfg/{station}/status", b"", qos=1, retain=True)
        clear.wait_for_publish(WAIT)
        subscriber.client.disconnect()
        subscriber.client.loop_stop()
