"""The developer guide's complete simulator: served over real sockets, pushed into every fault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import examples.thermometer_simulator as thermometer
from simulators.client import Client
from simulators.launcher import Simulator

IDN = b"EXAMPLE,THERMOMETER,T0001,1.0\n"


@pytest.fixture
def port() -> Iterator[int]:
    with Simulator("thermometer", thermometer, ephemeral=True) as simulator:
        yield simulator.addresses[0].port


def celsius(client: Client) -> float:
    return float(client.query(b"MEAS:TEMP?\n"))


def test_the_whole_simulator_is_under_sixty_lines() -> None:
    source = Path(thermometer.__file__).read_text(encoding="utf-8")
    assert len(source.splitlines()) < 60


def test_it_answers_its_protocol(port: int) -> None:
    with Client("127.0.0.1", port) as client:
        assert client.query(b"*IDN?\n") == IDN
        assert celsius(client) == pytest.approx(21.5, abs=0.1)
        client.send(b"CAL:OFFS 2.5\n")
        assert celsius(client) == pytest.approx(24.0, abs=0.1)


def test_value_faults_from_a_second_connection(port: int) -> None:
    with Client("127.0.0.1", port) as client, Client("127.0.0.1", port) as injector:
        assert injector.custom("fault", "stuck", "temperature") == "ok"
        client.send(b"CAL:OFFS -5\n")
        assert celsius(client) == pytest.approx(21.5, abs=0.1)  # stuck: the offset never shows
        assert injector.custom("faults") == "stuck temperature"
        assert injector.custom("set", "temperature", "30") == "ok"
        assert celsius(client) == pytest.approx(30.0, abs=0.1)
        assert injector.custom("clear_faults") == "ok"
        assert injector.custom("set", "temperature", "live") == "ok"
        assert celsius(client) == pytest.approx(16.5, abs=0.1)
        assert injector.custom("fault", "drift", "temperature", "10") == "ok"
        assert [celsius(client) for _ in range(2)] == pytest.approx([26.5, 36.5], abs=0.1)
        assert injector.custom("reset") == "ok"
        assert celsius(client) == pytest.approx(21.5, abs=0.1)
        assert injector.custom("faults") == "none"


def test_response_faults(port: int) -> None:
    with Client("127.0.0.1", port) as client:
        assert client.custom("fault", "delay", "1") == "ok"
        assert client.query(b"*IDN?\n") == IDN  # late, but whole
        assert client.custom("fault", "garbage", "1") == "ok"
        garbage = client.query(b"*IDN?\n")
        assert len(garbage) == len(IDN)
        assert not garbage[:-1].isascii()
        assert client.custom("faults").splitlines() == [
            "delay 1 ms every response",
            "garbage every response",
        ]
        assert client.custom("fault", "drop", "1") == "ok"
        client.send(b"*IDN?\n")
        with pytest.raises(ConnectionError):
            client.receive()
    with Client("127.0.0.1", port) as client:
        assert client.custom("clear_faults") == "ok"
        assert client.query(b"*IDN?\n") == IDN


def test_the_kit_commands_keep_their_grammar_and_help(port: int) -> None:
    with Client("127.0.0.1", port) as client:
        assert client.custom("fault", "melt") == (
            "error: fault: unknown fault 'melt'; choose one of: drift, stuck, delay, crc, drop, "
            "garbage"
        )
        assert client.custom("set", "pressure", "1") == (
            "error: set: unknown reading 'pressure'; known: temperature"
        )
        usages = [line.split("  ")[0] for line in client.custom("help").splitlines()]
        for usage in (
            "$system_set:<reading>,<value>%",
            "$system_fault:<kind>,<args>...%",
            "$system_faults%",
            "$system_clear_faults%",
            "$system_reset%",
        ):
            assert usage in usages


def test_a_line_too_long_is_dropped_and_the_connection_kept(port: int) -> None:
    with Client("127.0.0.1", port) as client:
        client.send(b"X" * 2000 + b"\n")
        assert client.query(b"*IDN?\n") == IDN
