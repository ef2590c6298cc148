"""Random byte streams never crash a server nor leave it unresponsive."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators import plugins
from simulators.client import Client
from simulators.launcher import Simulator
from tests.server import fake_devices
from tests.server.conftest import answer, frame

# Commands that exist, with random arguments, and random names; never "stop".
known = st.sampled_from(
    ["set_seed", "set_profile", "profile", "fail_next", "reset", "help", "echo", "count"]
)
names = st.one_of(known, st.from_regex(r"[A-Za-z0-9_]{1,10}", fullmatch=True)).filter(
    lambda name: name != "stop"
)


def raw_command(name: str, args: list[str]) -> bytes:
    """A command as a hostile client may write it: control characters and '$' included."""
    return (f"$system_{name}" + (":" + ",".join(args) if args else "") + "%").encode()


commands = st.builds(
    raw_command,
    names,
    st.lists(
        st.text(st.characters(blacklist_characters="%,", codec="utf-8"), max_size=8), max_size=3
    ),
)
noise = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"$", b"$system_", b"%", b"\n", b"*IDN?\n", b"\xa5", b"\xa5\xff"]),
    st.integers(1, 200_000).map(lambda n: b"\xa5" * n),  # huge inputs
)
streams = st.lists(st.one_of(commands, noise), min_size=1, max_size=10)


@pytest.fixture(scope="module")
def dut() -> Iterator[Simulator]:
    with Simulator("dut", plugins.load("dut"), ephemeral=True) as simulator:
        yield simulator


@pytest.fixture(scope="module")
def fake() -> Iterator[Simulator]:
    with Simulator("fake", fake_devices, ephemeral=True) as simulator:
        yield simulator


def _blast(host: str, port: int, pieces: list[bytes]) -> None:
    """Send everything, reading and discarding replies so the server never blocks on us."""
    with socket.create_connection((host, port), timeout=5) as sock:
        sock.setblocking(False)
        for piece in pieces:
            view = memoryview(piece)
            while view:
                with contextlib.suppress(BlockingIOError):
                    view = view[sock.send(view) :]
                with contextlib.suppress(BlockingIOError):
                    sock.recv(1 << 20)


def _still_answers_idn(simulator: Simulator) -> None:
    address = simulator.addresses[0]
    with Client(address.host, address.port, timeout=5) as client:
        reply = client.query(b"*IDN?\n")
        assert reply.startswith((b"SIMULATORS,DUT-1000", b"ERR"))


fuzz = settings(deadline=None, max_examples=40, suppress_health_check=[HealthCheck.too_slow])


@fuzz
@given(streams)
def test_dut_survives_random_tcp_streams(dut: Simulator, pieces: list[bytes]) -> None:
    address = dut.addresses[0]
    _blast(address.host, address.port, pieces)
    _still_answers_idn(dut)
    assert dut.running


@fuzz
@given(streams)
def test_dut_survives_random_datagrams(dut: Simulator, pieces: list[bytes]) -> None:
    udp = dut.addresses[2]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for piece in pieces:
            sock.sendto(piece[:60000], (udp.host, udp.port))
    with Client(udp.host, udp.port, transport="udp", timeout=5) as client:
        assert client.query(b"STATUS?\n").startswith((b"POWER=", b"ERR"))
    _still_answers_idn(dut)


@fuzz
@given(streams)
def test_binary_device_survives_and_resynchronises(fake: Simulator, pieces: list[bytes]) -> None:
    address = fake.addresses[0]
    _blast(address.host, address.port, pieces)
    # A fresh connection starts clean, whatever the last one left half sent.
    with Client(address.host, address.port, timeout=5) as client:
        assert client.query(frame(b"ping"), size=6) == answer(b"ping")
    assert fake.running
