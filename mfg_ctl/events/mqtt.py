"""Publish a run's events to an MQTT broker, so MES/SCADA systems see each step as it happens.

Theory of operation. :class:`MqttPublisher` is an observer: the sequencer's
thread turns ``RunStarted``, ``StepFinished`` and ``RunFinished`` into the JSON
of an ``events.jsonl`` line (:class:`~mfg_ctl.run.observers.EventLines`) and
hands it to paho's bounded outgoing queue, which paho's network thread
drains; the run never waits for the network. An event the queue cannot take
(full while the broker is away) is dropped and counted; so is one still
unacknowledged when :meth:`MqttPublisher.close` gives up waiting. Topics:

* ``mfg/<station_id>/<run_id>/run_started`` (``step_finished``, ``run_finished``),
  QoS 1, not retained;
* ``mfg/<station_id>/status``, retained: ``online`` on each connect, ``offline``
  on a clean close, and ``offline`` as the last will when the connection is lost.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from mfg_ctl.run.events import Event, RunFinished, RunStarted, StepFinished
from mfg_ctl.run.observers import EventLines

__all__ = [
    "DEFAULT_PORT",
    "KINDS",
    "QUEUE_LIMIT",
    "Broker",
    "MqttPublisher",
    "MqttUrlError",
    "parse_url",
    "topic_station",
]

DEFAULT_PORT = 1883
#: The events published, by the last part of their topic.
KINDS: dict[type, str] = {
    RunStarted: "run_started",
    StepFinished: "step_finished",
    RunFinished: "run_finished",
}
#: Events held for the broker at most (while it is away); one more is dropped.
QUEUE_LIMIT = 1000
_KEEPALIVE_S = 15


class MqttUrlError(ValueError):
    """An ``--mqtt`` address that is not ``mqtt://host[:port]``; one line."""


@dataclass(frozen=True)
class Broker:
    """Where the broker listens."""

    host: str
    port: int = DEFAULT_PORT

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_url(url: str) -> Broker:
    """The broker of ``mqtt://host[:port]`` (port 1883 by default); MqttUrlError otherwise."""
    usage = f"--mqtt {url}: give mqtt://host or mqtt://host:port"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise MqttUrlError(f"{usage} (port 1-65535)") from None
    extra = parts.username or parts.password or parts.query or parts.fragment
    if parts.scheme != "mqtt" or not parts.hostname or extra or parts.path not in ("", "/"):
        raise MqttUrlError(usage)
    if port == 0:
        raise MqttUrlError(f"{usage} (port 1-65535)")
    return Broker(parts.hostname, port or DEFAULT_PORT)


def topic_station(station_id: str) -> str:
    """The station part of the topics: the station id, else this machine's host name."""
    name = station_id or socket.gethostname() or "unnamed"
    return "".join("_" if char in "/+#" else char for char in name)


class MqttPublisher:
    """An observer publishing run events to ``broker`` as station ``station_id``.

    Connects in the background; :meth:`wait_connected` says whether the first
    attempt worked. Safe to call from several threads (a batch's slots).
    """

    def __init__(self, broker: Broker, station_id: str) -> None:
        self.broker = broker
        self.station = topic_station(station_id)
        self.status_topic = f"mfg/{self.station}/status"
        self._status = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "started": datetime.now(UTC).isoformat(),
        }
        self._lines = EventLines()
        self._lock = threading.Condition()
        self._unacked: set[int] = set()  # mids of events sent and not yet acknowledged
        self._early: set[int] = set()  # mids acknowledged before publish() returned them
        self._statuses: set[int] = set()  # mids of status messages (not events) in flight
        self._dropped = 0
        self._connected = False
        self._attempted = threading.Event()  # the first connection attempt ended
        self._failure = ""  # why the first attempt failed
        self._client = paho.Client(CallbackAPIVersion.VERSION2)
        self._client.max_queued_messages_set(QUEUE_LIMIT)
        self._client.reconnect_delay_set(1, 30)
        self._client.will_set(self.status_topic, self._status_json("offline"), qos=1, retain=True)
        self._client.on_connect = self._on_connect
        self._client.on_connect_fail = self._on_connect_fail
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._client.connect_async(broker.host, broker.port, keepalive=_KEEPALIVE_S)
        self._client.loop_start()

    @property
    def dropped(self) -> int:
        """Events not delivered so far (all that were never acknowledged, after close)."""
        with self._lock:
            return self._dropped

    @property
    def waiting(self) -> int:
        """Events handed to the broker's queue and not yet acknowledged by it."""
        with self._lock:
            return len(self._unacked)

    def wait_connected(self, timeout: float = 3.0) -> str:
        """Wait (at most ``timeout``) for the first connection attempt; "" or why it failed."""
        if not self._attempted.wait(timeout):
            return f"no answer from {self.broker} within {timeout:g} s"
        return self._failure

    def __call__(self, event: Event) -> None:
        """Queue the event for the broker (never blocks); count it dropped if it cannot be."""
        with self._lock:
            line = self._lines.line(event)
        kind = KINDS.get(type(event))
        if line is None or kind is None:
            return
        topic = f"mfg/{self.station}/{event.run_id}/{kind}"
        info = self._client.publish(topic, line, qos=1)
        with self._lock:
            if info.rc in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
                self._sent(info.mid, self._unacked)
            else:
                self._dropped += 1

    def close(self, timeout: float = 5.0) -> int:
        """Wait (at most ``timeout``) for the queued events, say ``offline``, disconnect.

        Returns how many events were dropped in all. Waits only while connected:
        with the broker away, what is queued is counted as dropped at once.
        """
        deadline = time.monotonic() + timeout
        self._wait_while(lambda: bool(self._unacked), deadline)
        if self._connected:
            goodbye = self._client.publish(
                self.status_topic, self._status_json("offline", clean=True), qos=1, retain=True
            )
            with self._lock:
                self._sent(goodbye.mid, self._statuses)
            self._wait_while(lambda: goodbye.mid in self._statuses, deadline)
        self._client.disconnect()
        stopper = threading.Thread(target=self._client.loop_stop, name="mqtt-stop", daemon=True)
        stopper.start()
        stopper.join(max(0.5, deadline - time.monotonic()))
        with self._lock:
            self._dropped += len(self._unacked)
            self._unacked.clear()
            return self._dropped

    def _wait_while(self, waiting: Callable[[], bool], deadline: float) -> None:
        """Wait while ``waiting()`` (read under the lock) and connected, until ``deadline``."""
        with self._lock:
            while waiting() and self._connected:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._lock.wait(left)

    def _status_json(self, status: str, **more: Any) -> str:
        return json.dumps({"status": status, "station_id": self.station, **self._status, **more})

    def _on_connect(
        self, client: paho.Client, _data: Any, _flags: Any, code: Any, _props: Any
    ) -> None:
        if code.is_failure:
            self._failed(f"{self.broker} refused the connection: {code}")
            return
        hello = client.publish(self.status_topic, self._status_json("online"), qos=1, retain=True)
        with self._lock:
            self._sent(hello.mid, self._statuses)
            self._connected = True
            self._lock.notify_all()
        self._attempted.set()

    def _on_connect_fail(self, _client: paho.Client, _data: Any) -> None:
        self._failed(f"cannot reach {self.broker}")

    def _failed(self, why: str) -> None:
        if not self._attempted.is_set():
            self._failure = why
            self._attempted.set()

    def _on_disconnect(self, *_args: Any) -> None:
        with self._lock:
            self._connected = False
            self._lock.notify_all()

    def _sent(self, mid: int, waiting: set[int]) -> None:
        """Note a message handed to paho as awaiting its ack in ``waiting`` (lock held)."""
        if mid in self._early:
            self._early.discard(mid)
        else:
            waiting.add(mid)

    def _on_publish(self, _client: paho.Client, _data: Any, mid: int, *_rest: Any) -> None:
        with self._lock:
            if mid in self._unacked:
                self._unacked.discard(mid)
            elif mid in self._statuses:
                self._statuses.discard(mid)
            else:
                self._early.add(mid)
            self._lock.notify_all()
