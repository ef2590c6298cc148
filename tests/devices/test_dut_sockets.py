"""The dut over real sockets: its three ports, telemetry, faults from a second connection."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.devices.dut import IDENTITY
from simulators.launcher import Address, Simulator
from simulators.utils import default_clock
from tests.devices.dut_helpers import (
    FAULT,
    POWER_FAULT,
)

# -- over real sockets ------------------------------------------------------------------


@pytest.fixture
def dut_sim() -> Iterator[Simulator]:
    with Simulator("dut", plugins.load("dut"), ephemeral=True) as simulator:
        yield simulator


def address(sim: Simulator, role: str, transport: str) -> Address:
    (found,) = [a for a in sim.addresses if (a.role, a.transport) == (role, transport)]
    return found


def connect(sim: Simulator, role: str = "listening", transport: str = "tcp") -> Client:
    where = address(sim, role, transport)
    return Client(where.host, where.port, transport)  # type: ignore[arg-type]


def test_the_three_ports(dut_sim):
    assert [(a.role, a.transport) for a in dut_sim.addresses] == [
        ("listening", "tcp"),
        ("sending", "tcp"),
        ("listening", "udp"),
    ]
    assert len({a.port for a in dut_sim.addresses}) == 3
    assert all(a.host == "127.0.0.1" and a.port > 0 for a in dut_sim.addresses)


def test_tcp_command_port_answers(dut_sim):
    with connect(dut_sim) as dut:
        assert dut.query(b"*IDN?\n") == IDENTITY.encode() + b"\n"
        dut.send(b"POWER ON\nLO")  # one line and a half in one write
        assert dut.receive() == b"OK\n"
        assert dut.query(b"AD 1\nPOWER?\nLOAD?\n") == b"OK\n"
        assert (dut.receive(), dut.receive()) == (b"ON\n", b"1.000\n")
        assert dut.query(b"BOGUS\n").startswith(b"ERR E100 unknown command 'BOGUS'")
        assert dut.custom("profile") == "clean"


def test_telemetry_streams_at_the_sampling_time(dut_sim):
    with connect(dut_sim) as commands:
        assert commands.query(b"POWER ON\nLOAD 1\n") == b"OK\n"
        assert commands.receive() == b"OK\n"
    with connect(dut_sim, "sending") as telemetry:
        lines = [telemetry.receive().decode() for _ in range(3)]
    fields = [dict(item.split("=") for item in line.split()[1:]) for line in lines]
    assert all(line.startswith("TLM ") and line.endswith("\n") for line in lines)
    assert [int(f["seq"]) for f in fields] == [1, 2, 3]
    assert all(f["power"] == "ON" for f in fields)
    assert all(float(f["volt"]) == pytest.approx(4.95, abs=0.012) for f in fields)
    assert all(float(f["curr"]) == pytest.approx(1.0, abs=0.003) for f in fields)
    times = [float(f["time"]) for f in fields]
    speed = default_clock().speed
    for earlier, later in itertools.pairwise(times):
        # simulated seconds between lines: the 0.1 s sampling time, never sooner
        assert 0.099 <= later - earlier <= 0.1 + 0.3 * speed


def test_udp_port_is_an_independent_unit(dut_sim):
    with connect(dut_sim) as tcp, connect(dut_sim, transport="udp") as udp:
        assert tcp.query(b"POWER ON\n") == b"OK\n"
        assert udp.query(b"STATUS?\n") == (
            b"POWER=OFF LOAD=0.000 VOLT=0.0000 CURR=0.0000 TEMP=25.00 PROFILE=clean\n"
        )
        assert udp.query(b"POWER ON\n") == b"OK\n"  # one request per datagram
        assert udp.query(b"LOAD 2\n") == b"OK\n"
        assert udp.query(b"STATUS?\n") == (
            b"POWER=ON LOAD=2.000 VOLT=4.9000 CURR=2.0000 TEMP=103.40 PROFILE=clean\n"
        )
        assert udp.custom("fail_next", 1) == "ok"
        assert tcp.query(b"*IDN?\n") == IDENTITY.encode() + b"\n"  # the TCP unit is unaffected
        assert udp.query(b"*IDN?\n") == FAULT.encode() + b"\n"
        assert tcp.query(b"STATUS?\n").startswith(b"POWER=ON LOAD=0.000")


def test_udp_datagram_is_a_whole_message(dut_sim):
    with connect(dut_sim, transport="udp") as udp:
        udp.send(b"POW")  # no newline: dropped, not kept for the next datagram
        assert udp.query(b"ER?\n").startswith(b"ERR E100 unknown command 'ER?'")
        assert udp.query(b"POWER?\n") == b"OFF\n"


def test_fault_from_a_second_connection_hits_the_first(dut_sim):
    with connect(dut_sim) as first, connect(dut_sim) as second:
        assert first.query(b"*IDN?\n") == IDENTITY.encode() + b"\n"
        assert second.custom("fail_next", 1) == "ok"
        assert first.query(b"*IDN?\n") == FAULT.encode() + b"\n"
        assert first.query(b"*IDN?\n") == IDENTITY.encode() + b"\n"


def test_a_custom_command_on_the_telemetry_port_reaches_the_command_unit(dut_sim):
    with connect(dut_sim, "sending") as telemetry, connect(dut_sim) as commands:
        telemetry.send(b"$system_fail_next:1%")
        deadline = time.monotonic() + 30.0
        while telemetry.receive() != b"ok\n":  # telemetry lines may come first
            assert time.monotonic() < deadline
        assert commands.query(b"POWER?\n") == POWER_FAULT.encode() + b"\n"


def pass_fail_sequence(seed: int, count: int = 300) -> list[bool]:
    module = plugins.load("dut")
    with (
        Simulator("dut", module, system_type="factory-flaky", ephemeral=True) as sim,
        connect(sim) as dut,
    ):
        assert dut.custom("profile") == "factory-flaky rate=0.05"
        assert dut.custom("set_seed", seed) == "ok"
        dut.send(b"*IDN?\n" * count)  # pipelined: one write, one reply line each
        replies = [dut.receive() for _ in range(count)]
    assert set(replies) == {IDENTITY.encode() + b"\n", FAULT.encode() + b"\n"}
    return [reply == FAULT.encode() + b"\n" for reply in replies]


def test_factory_flaky_pass_fail_sequence_is_reproducible_across_simulators():
    first = pass_fail_sequence(21)
    assert 0 < sum(first) < len(first) // 4
    assert pass_fail_sequence(21) == first
    assert pass_fail_sequence(22) != first


def test_stop_command_stops_the_simulator(dut_sim):
    with connect(dut_sim) as dut:
        assert dut.custom("stop") == "$server_shutdown%"
    assert dut_sim.wait(30.0)
    assert not dut_sim.running
