"""The bench's ordering guarantee, over real sockets: a query sees every command sent before it.

A client that sends ``OUTP ON`` to the supply and then, on another connection,
``MEAS:VOLT:DC?`` to the multimeter must read the powered output, however the
server's threads happen to be scheduled; a connection busy holding back a
delayed answer is not waited for.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.clock import ManualClock
from simulators.launcher import Simulator
from simulators.ordering import group_for

ITERATIONS = 200


@pytest.fixture
def bench() -> Iterator[Simulator]:
    sim = Simulator(
        "dvt_bench",
        plugins.load("dvt_bench"),
        ephemeral=True,
        system_kwargs={"clock": ManualClock()},
    )
    with sim:
        yield sim


def connect(sim: Simulator, index: int) -> Client:
    address = sim.addresses[index]
    return Client(address.host, address.port, timeout=5.0)


def test_a_dmm_query_sees_the_supply_command_sent_just_before(bench: Simulator) -> None:
    with connect(bench, 1) as psu, connect(bench, 2) as dmm:
        assert psu.query(b"VOLT 5;CURR 0.5;*OPC?\n") == b"1\n"
        readings = []
        for _ in range(ITERATIONS):
            psu.send(b"OUTP OFF\n")
            off = float(dmm.query(b"MEAS:VOLT:DC?\n"))
            psu.send(b"OUTP ON\n")
            on = float(dmm.query(b"MEAS:VOLT:DC?\n"))
            readings.append((off, on))
        wrong = [(off, on) for off, on in readings if off != 0.0 or on < 3.0]
        assert wrong == [], f"{len(wrong)} of {ITERATIONS} queries missed the command before them"


def test_a_command_on_one_instrument_and_a_query_on_the_same_one_elsewhere(
    bench: Simulator,
) -> None:
    # Two connections to the one supply: the second sees what the first sent.
    with connect(bench, 1) as first, connect(bench, 1) as second:
        for index in range(ITERATIONS // 2):
            volts = 1 + index % 5
            first.send(f"VOLT {volts}\n".encode())
            assert float(second.query(b"VOLT?\n")) == volts


def test_a_sibling_holding_back_a_delayed_reply_is_not_waited_for(bench: Simulator) -> None:
    group = group_for(bench.systems[1].lock)
    with connect(bench, 1) as psu, connect(bench, 2) as dmm, connect(bench, 1) as control:
        assert control.custom("fault", "delay", "60000") == "ok"
        psu.send(b"*IDN?\n")  # its answer is held back for a minute
        assert float(dmm.query(b"MEAS:VOLT:DC?\n")) == 0.0  # ran after *IDN? was read
        psu.send(b"OUTP ON\n")  # waits in the socket of a connection busy delaying
        assert float(dmm.query(b"MEAS:VOLT:DC?\n")) == 0.0
        assert group.timeouts == 0  # the multimeter did not wait for the busy supply


def test_a_query_on_a_new_connection_sees_a_command_sent_on_another_new_one(
    bench: Simulator,
) -> None:
    # Connect, send, query at once: the supply's connection may not even be
    # accepted yet when the multimeter's query arrives.
    wrong = []
    for _ in range(ITERATIONS):
        with connect(bench, 1) as psu, connect(bench, 2) as dmm:
            psu.send(b"OUTP ON\n")
            on = float(dmm.query(b"MEAS:VOLT:DC?\n"))
            psu.send(b"OUTP OFF\n")
            off = float(dmm.query(b"MEAS:VOLT:DC?\n"))
            if off != 0.0 or on < 3.0:
                wrong.append((on, off))
    assert wrong == [], f"{len(wrong)} of {ITERATIONS} queries missed the command before them"


def test_a_group_forgets_its_listeners_and_connections_when_the_bench_stops() -> None:
    sim = Simulator(
        "dvt_bench", plugins.load("dvt_bench"), ephemeral=True,
        system_kwargs={"clock": ManualClock()},
    )
    with sim:
        group = group_for(sim.systems[0].lock)
        assert group.ordering  # three listening instruments: order matters from the start
        with connect(sim, 0) as chamber:
            assert chamber.query(b"*IDN?\n").startswith(b"SIMULATORS,THERMAL-CHAMBER")
    assert not group.ordering
