"""The dvt_bench instruments as PyVISA sees them: raw TCP sockets, newline termination.

PyVISA with the pure-Python backend (``@py``) is an independent client: these
tests talk to the simulator the way bench software talks to real instruments,
``TCPIP::<host>::<port>::SOCKET`` resources with ``\\n`` termination. Every
simulator runs on ephemeral ports; every resource is closed by a finalizer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import pyvisa
from pyvisa import constants, errors
from pyvisa.resources import MessageBasedResource

from simulators import plugins
from simulators.launcher import Simulator
from simulators.utils import ManualClock

TIMEOUT_MS = 2000
INSTRUMENTS = {"chamber": 0, "power_supply": 1, "dmm": 2}

Opener = Callable[[str], MessageBasedResource]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sim(clock: ManualClock) -> Iterator[Simulator]:
    simulator = Simulator(
        "dvt_bench", plugins.load("dvt_bench"), ephemeral=True, system_kwargs={"clock": clock}
    )
    with simulator:
        yield simulator


@pytest.fixture
def rm() -> Iterator[pyvisa.ResourceManager]:
    manager = pyvisa.ResourceManager("@py")
    yield manager
    manager.close()


@pytest.fixture
def open_instrument(
    sim: Simulator, rm: pyvisa.ResourceManager, request: pytest.FixtureRequest
) -> Opener:
    """Open a new session to an instrument by name; closed when the test ends."""

    def opener(name: str) -> MessageBasedResource:
        address = sim.addresses[INSTRUMENTS[name]]
        resource = rm.open_resource(f"TCPIP::{address.host}::{address.port}::SOCKET")
        assert isinstance(resource, MessageBasedResource)
        request.addfinalizer(resource.close)
        resource.read_termination = "\n"
        resource.write_termination = "\n"
        resource.timeout = TIMEOUT_MS
        return resource

    return opener


@pytest.mark.parametrize(
    ("name", "kind"),
    [("chamber", "THERMAL-CHAMBER"), ("power_supply", "POWER-SUPPLY"), ("dmm", "MULTIMETER")],
)
def test_idn_names_the_instrument(open_instrument: Opener, name: str, kind: str) -> None:
    instrument = open_instrument(name)
    assert instrument.query("*IDN?") == f"SIMULATORS,{kind},{instrument_serial(name)},1.0"


def instrument_serial(name: str) -> str:
    return {"chamber": "TC0001", "power_supply": "PS0001", "dmm": "MM0001"}[name]


def test_writes_and_queries_across_the_bench(open_instrument: Opener, clock: ManualClock) -> None:
    chamber, psu, dmm = (open_instrument(name) for name in INSTRUMENTS)
    psu.write("VOLT 5")
    psu.write("CURR 0.5")
    psu.write("OUTP ON")
    assert psu.query("OUTP?") == "1"
    assert psu.query_ascii_values("MEAS:VOLT?") == [5.0]
    dmm.write("CONF:VOLT:DC")
    (volts,) = dmm.query_ascii_values("READ?")
    assert volts == pytest.approx(3.3, abs=5e-3)
    assert dmm.query_ascii_values("MEAS:CURR:DC?") == [0.1]
    (ohms,) = dmm.query_ascii_values("MEAS:RES?")
    assert ohms == pytest.approx(33.0, abs=0.1)

    chamber.write("TEMP:SETP 85")
    assert chamber.query("TEMP:STAB?") == "0"
    clock.advance(600.0)  # 330 s of ramp, then the last 5 C in ~9 tau
    assert float(chamber.query("TEMP:ACT?")) == pytest.approx(85.0, abs=1e-3)
    assert chamber.query("TEMP:STAB?") == "1"
    (hot,) = dmm.query_ascii_values("MEAS:VOLT:DC?")
    assert hot - volts == pytest.approx(3.3 * 50e-6 * 60.0, rel=0.05)


def test_syst_err_reports_an_undefined_header(open_instrument: Opener) -> None:
    for name in INSTRUMENTS:
        instrument = open_instrument(name)
        instrument.write("TEMP:BOGUS 12")
        assert instrument.query("SYST:ERR?") == '-113,"Undefined header"'
        assert instrument.query("SYST:ERR?") == '0,"No error"'


def test_a_compound_message_answers_in_one_line(open_instrument: Opener) -> None:
    psu = open_instrument("power_supply")
    answer = psu.query("VOLT 4.5;CURR 200 mA;OUTP ON;VOLT?;CURR?;OUTP?;:MEAS:VOLT?;*OPC?")
    assert answer.split(";") == ["+4.50000000E+00", "+2.00000000E-01", "1", "+4.50000000E+00", "1"]
    chamber = open_instrument("chamber")
    values = chamber.query_ascii_values("TEMP:SETP? MIN;SETP? MAX;RAMP? DEF", separator=";")
    assert values == [-70.0, 180.0, 10.0]


def test_a_delay_longer_than_the_timeout_times_out(open_instrument: Opener) -> None:
    psu, control = open_instrument("power_supply"), open_instrument("power_supply")
    assert control.query("$system_fault:delay,600%") == "ok"
    psu.timeout = 150
    with pytest.raises(errors.VisaIOError) as caught:
        psu.query("MEAS:VOLT?")
    assert caught.value.error_code == constants.StatusCode.error_timeout
    psu.timeout = TIMEOUT_MS
    assert psu.read() == "+0.00000000E+00"  # the answer still comes, late
    assert control.query("$system_clear_faults%") == "ok"
    assert control.query("$system_faults%") == "none"
    psu.timeout = 150
    assert psu.query("VOLT?") == "+5.00000000E+00"


def test_garbage_reaches_the_client_as_bytes(open_instrument: Opener) -> None:
    dmm = open_instrument("dmm")
    assert dmm.query("$system_fault:garbage,2%") == "ok"
    assert dmm.query("*OPC?") == "1"
    dmm.write("*OPC?")
    raw = dmm.read_raw()
    assert raw.endswith(b"\n")
    assert not raw[:-1].isascii()
    assert dmm.query("$system_clear_faults%") == "ok"
    assert dmm.query("*OPC?") == "1"


def test_custom_commands_from_pyvisa(open_instrument: Opener) -> None:
    chamber = open_instrument("chamber")
    assert chamber.query("$system_push_error:101,Door open%") == "ok"
    assert chamber.query("SYST:ERR?") == '101,"Door open"'
    assert chamber.query("$system_set:temperature,-55.5%") == "ok"
    assert chamber.query_ascii_values("TEMP:ACT?") == [-55.5]
    assert chamber.query("$system_fault:drift,humidity,1%").startswith("error: fault: unknown")
    assert chamber.query("$system_reset%") == "ok"
    assert chamber.query_ascii_values("TEMP:ACT?") == [25.0]
