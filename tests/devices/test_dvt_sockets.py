"""The dvt_bench served on ephemeral ports, over real sockets.

PyVISA's view is in ``test_dvt_pyvisa.py``.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.devices import dvt_bench
from simulators.launcher import ServeError, Simulator
from simulators.utils import ManualClock, SimulatedClock
from tests.devices.dvt_rig import (
    IQ_A,
    LOAD_A,
    TEMPCO,
    THETA_CA,
    V0,
    expected_air,
    steady_vout,
)

# -- over real sockets ---------------------------------------------------------------


@pytest.fixture
def manual() -> Iterator[tuple[Simulator, ManualClock]]:
    clock = ManualClock()
    sim = Simulator(
        "dvt_bench", plugins.load("dvt_bench"), ephemeral=True, system_kwargs={"clock": clock}
    )
    with sim:
        yield sim, clock


def connect(sim: Simulator, index: int) -> Client:
    address = sim.addresses[index]
    return Client(address.host, address.port, timeout=2.0)


def test_plugin_serves_three_ports_on_one_bench(manual: tuple[Simulator, ManualClock]) -> None:
    sim, clock = manual
    assert [entry.listening[1] for entry in plugins.entries(dvt_bench) if entry.listening] == [
        5025,
        5026,
        5027,
    ]
    assert len({address.port for address in sim.addresses}) == 3
    chamber, psu, dmm = (connect(sim, index) for index in range(3))
    with chamber, psu, dmm:
        kinds = [c.query(b"*IDN?\n").split(b",")[1] for c in (chamber, psu, dmm)]
        assert kinds == [b"THERMAL-CHAMBER", b"POWER-SUPPLY", b"MULTIMETER"]
        # *OPC? answers once the message has run: the next query elsewhere sees it.
        assert psu.query(b"VOLT 5;OUTP ON;*OPC?\n") == b"1\n"
        assert chamber.query(b"TEMP:SETP 85;*OPC?\n") == b"1\n"
        before = float(dmm.query(b"MEAS:VOLT:DC?\n"))
        clock.advance(120.0)
        assert float(chamber.query(b"TEMP:ACT?\n")) == pytest.approx(
            expected_air(120.0, 25.0, 85.0), abs=1e-6
        )
        after = float(dmm.query(b"MEAS:VOLT:DC?\n"))
        # 20 C more in the air (the case lags a little, then warms by itself)
        assert after - before == pytest.approx(V0 * TEMPCO * 20.0, rel=0.1)
        assert chamber.custom("reset") == "ok"
        assert psu.query(b"OUTP?\n") == b"1\n"


def test_the_product_probe_reads_the_dut_case(manual: tuple[Simulator, ManualClock]) -> None:
    sim, clock = manual
    with connect(sim, 0) as chamber, connect(sim, 1) as psu, connect(sim, 2) as dmm:
        assert float(chamber.query(b"TEMP:PROD?\n")) == 25.0  # unpowered, at ambient
        assert chamber.query(b"TEMP:SETP 85;*OPC?\n") == b"1\n"
        clock.advance(120.0)
        air, case = (float(v) for v in chamber.query(b"TEMP:ACT?;PROD?\n").split(b";"))
        assert 25.0 < case < air  # the unpowered case lags the warming air
        assert psu.query(b"OUTP ON;*OPC?\n") == b"1\n"
        clock.advance(3600.0)
        air, case = (float(v) for v in chamber.query(b"TEMP:ACT?;PRODUCT?\n").split(b";"))
        vout = float(dmm.query(b"MEAS:VOLT:DC?\n"))
        assert vout == pytest.approx(steady_vout(85.0, 5.0), abs=1e-6)
        own_heat = ((5.0 - vout) * LOAD_A + 5.0 * IQ_A * (1 + 0.003 * 60)) * THETA_CA
        assert case - air == pytest.approx(own_heat, rel=0.01)  # settled: warmer by its own heat
        assert chamber.custom("set", "product_temperature", "40") == "ok"
        assert chamber.query(b"TEMP:PROD?\n") == b"+4.00000000E+01\n"
        assert float(chamber.query(b"TEMP:ACT?\n")) == pytest.approx(85.0, abs=1e-3)


def test_a_fast_clock_lets_the_chamber_move_the_dmm_reading() -> None:
    clock = SimulatedClock(speed=100.0)
    sim = Simulator(
        "dvt_bench", plugins.load("dvt_bench"), ephemeral=True, system_kwargs={"clock": clock}
    )
    with sim, connect(sim, 0) as chamber, connect(sim, 1) as psu, connect(sim, 2) as dmm:
        assert psu.query(b"OUTP ON;*OPC?\n") == b"1\n"
        cool = float(dmm.query(b"READ?\n"))
        chamber.send(b"TEMP:RAMP 30;SETP 125\n")
        deadline = time.monotonic() + 5.0
        while float(chamber.query(b"TEMP:ACT?\n")) < 35.0:
            assert time.monotonic() < deadline, "the chamber did not heat up"
            time.sleep(0.002)
        # 10 C more in the air; the case lags it by about 2.5 C at 30 C/min
        assert float(dmm.query(b"READ?\n")) - cool > V0 * TEMPCO * 5.0


def test_every_start_builds_a_fresh_bench() -> None:
    module = plugins.load("dvt_bench")
    clock = ManualClock()
    kwargs = {"clock": clock}
    with (
        Simulator("dvt_bench", module, ephemeral=True, system_kwargs=kwargs) as one,
        Simulator("dvt_bench", module, ephemeral=True, system_kwargs=kwargs) as two,
    ):
        assert one.systems[0].bench is one.systems[2].bench  # type: ignore[attr-defined]
        assert one.systems[0].bench is not two.systems[0].bench  # type: ignore[attr-defined]
        with connect(one, 1) as psu, connect(two, 2) as dmm:
            psu.send(b"OUTP ON\n")
            assert psu.query(b"OUTP?\n") == b"1\n"
            assert dmm.query(b"MEAS:VOLT:DC?\n") == b"+0.00000000E+00\n"


def test_a_bad_keyword_is_a_serve_error() -> None:
    sim = Simulator(
        "dvt_bench", plugins.load("dvt_bench"), ephemeral=True, system_kwargs={"speed": 2}
    )
    with pytest.raises(ServeError, match="dvt_bench"):
        sim.start()


def test_faults_over_the_wire(manual: tuple[Simulator, ManualClock]) -> None:
    sim, _clock = manual
    with connect(sim, 1) as psu, connect(sim, 1) as control:
        assert control.custom("fault", "drop", "2") == "ok"
        assert psu.query(b"VOLT?\n") == b"+5.00000000E+00\n"
        psu.send(b"VOLT?\n")
        with pytest.raises(ConnectionError):
            psu.receive()
        assert control.custom("faults") == "drop connection every 2nd response"
        assert control.custom("clear_faults") == "ok"
        assert control.custom("fault", "delay", "300") == "ok"
        started = time.monotonic()
        assert control.query(b"*OPC?\n") == b"1\n"
        assert time.monotonic() - started >= 0.3
        assert control.custom("push_error", "-241") == "ok"
        assert control.custom("clear_faults") == "ok"
        assert control.query(b"SYST:ERR?\n") == b'-241,"Hardware missing"\n'


def test_partial_messages_of_two_clients_do_not_mix(
    manual: tuple[Simulator, ManualClock],
) -> None:
    sim, _clock = manual
    with connect(sim, 2) as first, connect(sim, 2) as second:
        first.send(b"*ID")
        assert second.query(b"MEAS:VOLT?\n") == b"+0.00000000E+00\n"
        first.send(b"N?\n")
        assert first.receive() == b"SIMULATORS,MULTIMETER,MM0001,1.0\n"


def test_concurrent_clients_on_all_ports_keep_answering(
    manual: tuple[Simulator, ManualClock],
) -> None:
    sim, clock = manual
    failures: list[BaseException] = []

    def hammer(index: int, query: bytes) -> None:
        try:
            with connect(sim, index) as client:
                for _ in range(50):
                    assert client.query(query).endswith(b"\n")
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    threads = [
        threading.Thread(target=hammer, args=(index, query))
        for index, query in enumerate([b"TEMP:ACT?\n", b"MEAS:CURR?\n", b"MEAS:VOLT:DC?\n"])
    ]
    for thread in threads:
        thread.start()
    for _ in range(50):
        clock.advance(1.0)
    for thread in threads:
        thread.join(timeout=5.0)
    assert not failures
    with socket.create_connection((sim.addresses[0].host, sim.addresses[0].port), 2.0) as raw:
        raw.sendall(b"TEMP:STAB?\n")
        assert raw.recv(100) == b"1\n"
