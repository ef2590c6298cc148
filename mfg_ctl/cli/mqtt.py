"""``--mqtt mqtt://host[:port]``: publish a run's events to a broker (doc/mqtt.rst).

The option is checked before anything runs (one line, exit 2 if it is not an
``mqtt://`` address); paho-mqtt is imported only when it is given, so the
command line works without the ``mqtt`` extra.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from mfg_ctl.cli.support import fail, say

if TYPE_CHECKING:
    from mfg_ctl.events.mqtt import Broker, MqttPublisher

__all__ = ["close_mqtt", "mqtt_option", "open_mqtt"]


def _broker(_context: click.Context, _option: click.Parameter, url: str | None) -> Broker | None:
    """The broker of ``--mqtt``, checked; None without it."""
    if url is None:
        return None
    try:
        from mfg_ctl.events.mqtt import MqttUrlError, parse_url  # noqa: PLC0415 - the extra
    except ImportError:
        fail("--mqtt needs paho-mqtt: pip install 'simulators[mqtt]'")
    try:
        return parse_url(url)
    except MqttUrlError as error:
        fail(str(error))


mqtt_option = click.option(
    "--mqtt",
    "mqtt",
    metavar="URL",
    callback=_broker,
    help="also publish every run's events to this MQTT broker: mqtt://host[:port] (1883)",
)


def open_mqtt(broker: Broker | None, station_id: str) -> MqttPublisher | None:
    """A publisher to ``broker`` (None without one); a broker that does not answer is one
    line on stderr, and the run goes on."""
    if broker is None:
        return None
    from mfg_ctl.events.mqtt import MqttPublisher  # noqa: PLC0415 - the extra

    publisher = MqttPublisher(broker, station_id)
    if problem := publisher.wait_connected():
        say(f"mqtt: {problem}; the run goes on, its events are counted as dropped")
    return publisher


def close_mqtt(publisher: MqttPublisher | None) -> None:
    """Flush and close the publisher (bounded wait); say how many events were dropped, if any."""
    if publisher is None:
        return
    if dropped := publisher.close():
        say(f"mqtt: {dropped} event{'s' if dropped != 1 else ''} dropped")
