"""The SCPI drivers over both transports, against the live simulated DVT bench."""

from __future__ import annotations

import math
import socket
import subprocess
import sys
from unittest.mock import Mock

import pytest

from mfg_ctl.drivers import (
    OVERLOAD,
    ChamberDriver,
    InstrumentAddressError,
    InstrumentConnectionError,
    InstrumentError,
    InstrumentReplyError,
    InstrumentReportedError,
    InstrumentTimeoutError,
    MultimeterDriver,
    PowerSupplyDriver,
    ScpiChamberDriver,
    ScpiMultimeterDriver,
    ScpiPowerSupplyDriver,
    SocketTransport,
    VisaTransport,
    open_transport,
    parse_bool,
    parse_error,
    parse_number,
)
from mfg_ctl.drivers import transport as transport_module
from simulators import plugins
from simulators.client import Client
from simulators.clock import ManualClock
from simulators.launcher import Address, Simulator

IDN = {
    "chamber": "SIMULATORS,THERMAL-CHAMBER,TC0001,1.0",
    "psu": "SIMULATORS,POWER-SUPPLY,PS0001,1.0",
    "dmm": "SIMULATORS,MULTIMETER,MM0001,1.0",
}


@pytest.fixture
def clock():
    return ManualClock()


@pytest.fixture
def bench(clock):
    module = plugins.load("dvt_bench")
    with Simulator("dvt_bench", module, ephemeral=True, system_kwargs={"clock": clock}) as sim:
        yield sim


@pytest.fixture(params=["socket", "visa"])
def backend(request):
    return request.param


@pytest.fixture
def drivers(bench, backend):
    kinds = (ScpiChamberDriver, ScpiPowerSupplyDriver, ScpiMultimeterDriver)
    pairs = zip(kinds, bench.addresses, strict=True)
    made = [kind(open_transport(str(address), backend, 1.0)) for kind, address in pairs]
    yield made
    for driver in made:
        driver.close()


def inject(address: Address, name: str, *args: object) -> None:
    """Run a custom command on another connection, as a second user would."""
    with Client(address.host, address.port) as client:
        assert client.custom(name, *args) == "ok"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FakeTransport:
    """Answers every query with ``reply``; records what was sent."""

    address = "fake:1"

    def __init__(self, reply: str = "1") -> None:
        self.timeout, self.reply, self.sent = 1.0, reply, list[str]()

    def write(self, command: str) -> None:
        self.sent.append(command)

    def query(self, command: str) -> str:
        self.sent.append(command)
        return self.reply

    def close(self) -> None:
        self.sent.append("<close>")


def test_chamber_methods(drivers, clock):
    chamber = drivers[0]
    assert chamber.identify() == IDN["chamber"]
    assert [chamber.temperature(), chamber.product_temperature()] == pytest.approx([25.0, 25.0])
    chamber.set_setpoint(85.0)
    chamber.set_ramp(20.0)
    assert (chamber.setpoint(), chamber.ramp(), chamber.stable()) == (85.0, 20.0, False)
    clock.advance(600.0)
    settled = [chamber.temperature(), chamber.product_temperature()]  # air, DUT case
    assert settled == pytest.approx([85.0, 85.0], abs=0.5)
    assert chamber.stable() is True
    chamber.check_errors()


def test_power_supply_methods(drivers):
    _, psu, _ = drivers
    assert psu.identify() == IDN["psu"]
    assert psu.output_on() is False
    assert psu.measure_voltage() == 0.0
    psu.set_voltage(12.0)
    psu.set_current_limit(0.25)
    psu.output(True)
    assert (psu.voltage(), psu.current_limit(), psu.output_on()) == (12.0, 0.25, True)
    assert psu.measure_voltage() == 12.0
    assert psu.measure_current() == pytest.approx(0.1, abs=1e-3)  # load + quiescent
    psu.output(False)
    assert psu.measure_current() == 0.0
    psu.check_errors()


def test_dmm_methods(drivers):
    _, psu, dmm = drivers
    assert dmm.identify() == IDN["dmm"]
    assert dmm.measure_resistance() == OVERLOAD  # no current flows
    psu.output(True)
    assert psu.output_on() is True  # a query on the same connection: the write has run
    assert dmm.measure_dc_voltage() == pytest.approx(3.3004, abs=1e-4)
    assert dmm.measure_dc_current() == pytest.approx(0.1)
    assert dmm.measure_resistance() == pytest.approx(33.004, abs=1e-3)
    dmm.configure_dc_voltage()
    assert dmm.read() == pytest.approx(3.3004, abs=1e-4)
    dmm.check_errors()


def test_reset_restores_settings_and_clears_the_error_queue(drivers, bench):
    chamber, psu, _ = drivers
    psu.set_voltage(12.0)
    psu.output(True)
    chamber.set_setpoint(100.0)
    inject(bench.addresses[1], "push_error", -310)
    psu.reset()
    chamber.reset()
    assert (psu.voltage(), psu.output_on(), chamber.setpoint()) == (5.0, False, 25.0)
    psu.check_errors()


def test_out_of_range_setpoint_is_reported_by_check_errors(drivers):
    chamber = drivers[0]
    chamber.set_setpoint(500.0)
    with pytest.raises(InstrumentReportedError, match=r'an error: -222,"Data out of range"$'):
        chamber.check_errors()
    chamber.check_errors()  # drained: the queue is empty again
    assert chamber.setpoint() == 25.0


def test_check_errors_lists_every_queued_error(drivers, bench):
    chamber = drivers[0]
    inject(bench.addresses[0], "push_error", -240, "Compressor stalled")
    chamber.transport.write("TEMP:FOO 1")
    with pytest.raises(InstrumentReportedError) as caught:
        chamber.check_errors()
    assert caught.value.errors == ('-240,"Compressor stalled"', '-113,"Undefined header"')
    prefix = f"chamber at {chamber.transport.address}: instrument reported 2 errors: -240"
    assert str(caught.value).startswith(prefix)


# --- failures, both transports ---------------------------------------------------------


def test_timeout_then_recovery(drivers, bench):
    dmm = drivers[2]
    dmm.transport.timeout = 0.1
    inject(bench.addresses[2], "fault", "delay", 500)
    with pytest.raises(InstrumentTimeoutError, match=r"no reply to 'MEAS:VOLT:DC\?' within 0.1 s"):
        dmm.measure_dc_voltage()
    inject(bench.addresses[2], "clear_faults")
    dmm.transport.timeout = 10.0  # a hang guard: the fresh connection answers at once
    assert dmm.identify() == IDN["dmm"]  # a fresh connection: the late answer is not read


def test_garbage_reply(drivers, bench):
    dmm = drivers[2]
    inject(bench.addresses[2], "fault", "garbage", 1)
    with pytest.raises(InstrumentReplyError, match=r"garbled reply to 'MEAS:VOLT:DC\?': b'\\x"):
        dmm.measure_dc_voltage()
    inject(bench.addresses[2], "clear_faults")
    assert dmm.measure_dc_voltage() == 0.0


def test_dropped_connection_then_recovery(drivers, bench, backend):
    psu = drivers[1]
    psu.transport.timeout = 0.3
    inject(bench.addresses[1], "fault", "drop", 1)
    # pyvisa-py reports a closed socket as a timeout; our client sees the close.
    expected = InstrumentConnectionError if backend == "socket" else InstrumentTimeoutError
    with pytest.raises(expected):
        psu.measure_voltage()
    inject(bench.addresses[1], "clear_faults")
    psu.transport.timeout = 10.0  # a hang guard: the fresh connection answers at once
    assert psu.identify() == IDN["psu"]


def test_connection_refused(backend):
    with pytest.raises(InstrumentConnectionError, match="connection refused; is the instrument"):
        open_transport(f"127.0.0.1:{free_port()}", backend, 0.5).write("*CLS")


def test_closed_transport_refuses_use(drivers):
    dmm = drivers[2]
    dmm.close()
    with pytest.raises(InstrumentConnectionError, match="the connection is closed"):
        dmm.read()
    with pytest.raises(InstrumentConnectionError, match="the connection is closed"):
        dmm.configure_dc_voltage()


def test_bad_arguments_are_refused(drivers):
    transport = drivers[0].transport
    transport.timeout = 0.5
    assert transport.timeout == 0.5
    for bad in (0.0, -1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="timeout must be"):
            transport.timeout = bad
    with pytest.raises(ValueError, match="SCPI commands are ASCII"):
        drivers[0].transport.query("TEMP:SETP? °")
    with pytest.raises(ValueError, match="must be a finite number"):
        drivers[0].set_setpoint(math.nan)


def test_visa_socket_resource_works_with_either_backend(bench, backend):
    kind = SocketTransport if backend == "socket" else VisaTransport
    transport = open_transport(f"TCPIP0::127.0.0.1::{bench.addresses[0].port}::SOCKET", backend)
    with ScpiChamberDriver(transport) as chamber:
        assert isinstance(transport, kind)
        assert chamber.identify() == IDN["chamber"]
        assert repr(transport).startswith(kind.__name__)


@pytest.mark.parametrize(
    ("address", "backend", "message"),
    [
        ("nonsense", "socket", "cannot read address 'nonsense': give host:port"),
        ("127.0.0.1:0", "socket", "port 0 is out of range"),
        ("TCPIP::h::70000::SOCKET", "visa", "port 70000 is out of range"),
        ("127.0.0.1:5025", "serial", "backend must be 'socket' or 'visa'"),
        ("GPIB0::5::INSTR", "socket", r"GPIB0::5::INSTR needs backend 'visa' \(socket takes"),
    ],
)
def test_bad_addresses(address, backend, message):
    with pytest.raises(InstrumentAddressError, match=message):
        open_transport(address, backend)


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("GPIB0::5::INSTR", "GPIB0::5::INSTR: cannot open: Please install linux-gpib"),
        ("TCPIP::a::b::c::d", "cannot open: Invalid resource reference"),
        ("TCPIP::127.0.0.1::{port}::INSTR", "connection refused"),
    ],
)
def test_visa_resources_that_cannot_open(address, message):
    with pytest.raises(InstrumentConnectionError, match=message):
        open_transport(address.format(port=free_port()), "visa", 0.5)


def test_ipv6_address_is_named_in_errors():
    port = free_port()
    with pytest.raises(InstrumentConnectionError, match=rf"^\[::1\]:{port}: "):
        open_transport(f"[::1]:{port}", "socket", 0.5)


def test_visa_library_that_does_not_load(monkeypatch):
    with pytest.raises(InstrumentConnectionError, match="cannot load VISA library '@nonexistent'"):
        VisaTransport("TCPIP::127.0.0.1::5025::SOCKET", library="@nonexistent")
    monkeypatch.setitem(sys.modules, "pyvisa", None)
    with pytest.raises(InstrumentConnectionError, match="backend 'visa' needs PyVISA: pip install"):
        VisaTransport("TCPIP::127.0.0.1::5025::SOCKET")


def test_importing_the_drivers_does_not_import_pyvisa():
    code = "import sys, mfg_ctl.drivers; print('pyvisa' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert result.stdout.strip() == b"False"


# --- failures no simulator fault produces ----------------------------------------------


def test_socket_connect_timeout(monkeypatch):
    monkeypatch.setattr(transport_module, "Client", Mock(side_effect=TimeoutError))
    with pytest.raises(InstrumentTimeoutError, match=r"^h:1: no connection within 0.25 s$"):
        SocketTransport("h", 1, 0.25)


def test_socket_send_and_endless_reply_failures(bench, monkeypatch):
    transport = SocketTransport("127.0.0.1", bench.addresses[0].port)
    client = transport._client
    assert client is not None

    monkeypatch.setattr(client, "send", Mock(side_effect=BrokenPipeError(32, "Broken pipe")))
    with pytest.raises(InstrumentConnectionError, match=r"connection lost sending '\*CLS': Broken"):
        transport.write("*CLS")
    client = transport._ready()  # reconnected

    monkeypatch.setattr(client, "query", Mock(side_effect=ValueError("no terminator")))
    with pytest.raises(InstrumentReplyError, match="has no line end in its first MiB"):
        transport.query("*IDN?")
    assert transport.query("*IDN?") == IDN["chamber"]
    transport.close()


def test_visa_failure_other_than_timeout(bench, monkeypatch):
    import pyvisa

    transport = VisaTransport(f"TCPIP::127.0.0.1::{bench.addresses[0].port}::SOCKET")
    lost = pyvisa.errors.VisaIOError(pyvisa.constants.StatusCode.error_connection_lost)
    monkeypatch.setattr(transport._ready(), "query", Mock(side_effect=lost))
    with pytest.raises(InstrumentConnectionError, match=r"'\*IDN\?' failed: VI_ERROR_CONN_LOST"):
        transport.query("*IDN?")
    assert transport.query("*IDN?") == IDN["chamber"]
    transport.close()


@pytest.mark.parametrize(
    ("reply", "value"),
    [("+5.00000000E+00", 5.0), (" 1\r", 1.0), ("-.5", -0.5), ("9.9E37", OVERLOAD), ("3.", 3.0)],
)
def test_parse_number(reply, value):
    assert parse_number(reply) == value


@pytest.mark.parametrize("reply", ["", "nan", "inf", "1;2", "5 V", "ok", "0x10"])
def test_parse_number_refuses_garbage(reply):
    with pytest.raises(InstrumentReplyError, match=f"not a number: {reply!r}"):
        parse_number(reply)


def test_parse_bool_and_error():
    assert [parse_bool(r) for r in ("1", "0", "ON", "off", "+1", "+0.0")] == [1, 0, 1, 0, 1, 0]
    with pytest.raises(InstrumentReplyError, match="not a boolean: 'maybe'"):
        parse_bool("maybe")
    assert parse_error('+0,"No error"') == (0, "No error")
    assert parse_error("-350,Queue overflow") == (-350, "Queue overflow")
    with pytest.raises(InstrumentReplyError, match="not an error queue entry: 'no'"):
        parse_error("no")


def test_a_garbage_reply_names_the_instrument_the_query_and_the_reply():
    dmm = ScpiMultimeterDriver(FakeTransport("ok"))
    with pytest.raises(InstrumentReplyError, match=r"^dmm at fake:1: READ\? answered not a number"):
        dmm.read()
    oven = ScpiChamberDriver(FakeTransport("maybe"), name="oven")
    with pytest.raises(InstrumentReplyError, match=r"^oven: TEMP:STAB\? answered not a boolean"):
        oven.stable()
    psu = ScpiPowerSupplyDriver(FakeTransport("busy"))
    with pytest.raises(InstrumentReplyError, match=r"SYST:ERR\? answered not an error queue entry"):
        psu.check_errors()


def test_check_errors_stops_on_a_queue_that_never_empties():
    dmm = ScpiMultimeterDriver(FakeTransport('-100,"Command error"'))
    with pytest.raises(InstrumentReportedError, match=r"\(stopped after 64 entries\)$") as caught:
        dmm.check_errors()
    assert len(caught.value.errors) == 65
    assert isinstance(caught.value, InstrumentError)


def test_drivers_send_the_documented_commands():
    fake = FakeTransport()
    with ScpiPowerSupplyDriver(fake) as psu:
        psu.set_voltage(3.3)
        psu.set_current_limit(1e-3)
        psu.output(False)
        psu.reset()
    assert fake.sent == ["VOLT 3.3", "CURR 0.001", "OUTP OFF", "*RST", "*CLS", "<close>"]


def test_implementations_satisfy_the_interfaces():
    fake = FakeTransport()
    assert isinstance(ScpiChamberDriver(fake), ChamberDriver)
    assert isinstance(ScpiPowerSupplyDriver(fake), PowerSupplyDriver)
    assert isinstance(ScpiMultimeterDriver(fake), MultimeterDriver)
    assert not isinstance(ScpiMultimeterDriver(fake), ChamberDriver)
    expected = "ScpiMultimeterDriver(" + repr(fake) + ", name='dmm at fake:1')"
    assert repr(ScpiMultimeterDriver(fake)) == expected
