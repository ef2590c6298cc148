"""The Modbus devices on real sockets, seen from the wire.

* pymodbus (an independent implementation) reads and writes our devices over
  Modbus TCP, and its raw frames get the right answers;
* our :class:`~simulators.modbus_client.ModbusClient` talks to a pymodbus server;
* both framings end to end with our client: station.md defaults, the bring-up,
  exceptions;
* faults injected from a second connection exactly as netcat would send them;
* malformed input, ``$`` bytes inside frames and concurrent partial frames.

Every simulator runs on ephemeral ports and is stopped by a fixture, every
socket wait is bounded by ``WAIT``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import select
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pymodbus.client import ModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.framer import FramerSocket
from pymodbus.pdu import DecodePDU
from pymodbus.pdu import ExceptionResponse as PmException
from pymodbus.pdu import bit_message as pm_bits
from pymodbus.pdu import register_message as pm
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from simulators import plugins
from simulators.launcher import Simulator
from simulators.modbus_client import ModbusClient, ModbusDeviceError
from simulators.protocols.modbus import (
    FRAMINGS,
    ModbusProtocolError,
    ReadInputRegisters,
    ReadInputRegistersResponse,
    Response,
    UnsupportedFunction,
    WriteSingleRegister,
    WriteSingleRegisterResponse,
    client_framer,
)

HOST = "127.0.0.1"
WAIT = 2.0  # seconds: the bound on every socket wait
DEVICE_LOGGER = "simulators.devices"

#: station.md, every register of every device: (table, address, default).
REGISTERS: dict[str, list[tuple[str, int, int]]] = {
    "power_supply": [
        ("holding", 0, 0),
        ("holding", 1, 0),
        ("holding", 2, 0),
        ("input", 100, 0),
        ("input", 101, 0),
    ],
    "dmm": [("input", 100, 4980), ("input", 101, 120), ("input", 102, 1000)],
    "actuator": [("holding", 0, 0), ("input", 100, 0), ("input", 101, 1)],
    "thermocouple": [
        ("input", 100, 2300),
        ("input", 101, 2310),
        ("input", 102, 2290),
        ("input", 103, 2305),
        ("input", 110, 2500),
    ],
}
#: Contiguous runs of registers, read in one request: (table, address, values).
BLOCKS: dict[str, list[tuple[str, int, list[int]]]] = {
    "power_supply": [("holding", 0, [0, 0, 0]), ("input", 100, [0, 0])],
    "dmm": [("input", 100, [4980, 120, 1000])],
    "actuator": [("input", 100, [0, 1])],
    "thermocouple": [("input", 100, [2300, 2310, 2290, 2305])],
}
#: Addresses next to the map that it does not hold: exception 2.
HOLES: dict[str, list[tuple[str, int]]] = {
    "power_supply": [("holding", 3), ("holding", 100), ("input", 0), ("input", 102)],
    "dmm": [("holding", 0), ("holding", 100), ("input", 99), ("input", 103)],
    "actuator": [("holding", 1), ("input", 0), ("input", 102)],
    "thermocouple": [("input", 104), ("input", 109), ("input", 111), ("holding", 100)],
}
#: The order of the station plugin's servers (devices/_modbus PORTS).
STATION = ["power_supply", "dmm", "actuator", "thermocouple"]


# -- wire helpers (written here, independent of the code under test) -----------


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def seal(body: bytes) -> bytes:
    """A custom frame: six bytes and their CRC, low byte first."""
    assert len(body) == 6
    crc = crc16(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def custom_read(fc: int, address: int, count: int, unit: int = 1) -> bytes:
    return seal(struct.pack(">BBHH", unit, fc, address, count))


def custom_data(fc: int, values: list[int], unit: int = 1) -> bytes:
    """The data frames of a read response (fc 0x03/0x04) or a write-multiple (0x10)."""
    return b"".join(
        seal(struct.pack(">BBBBH", unit, fc | 0x40, index, len(values), value))
        for index, value in enumerate(values)
    )


def custom_exception(fc: int, code: int, unit: int = 1) -> bytes:
    return seal(bytes((unit, fc | 0x80, code, 0, 0, 0)))


def mbap(tid: int, pdu: bytes, unit: int = 1) -> bytes:
    return struct.pack(">HHHB", tid, 0, len(pdu) + 1, unit) + pdu


def recv_exact(sock: socket.socket, size: int) -> bytes:
    """Exactly ``size`` bytes; TimeoutError or ConnectionError otherwise."""
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError(f"closed after {len(data)} of {size} bytes: {data.hex(' ')}")
        data += chunk
    return data


def recv_mbap(sock: socket.socket) -> bytes:
    """One whole MBAP frame."""
    header = recv_exact(sock, 6)
    (length,) = struct.unpack_from(">H", header, 4)
    return header + recv_exact(sock, length)


def recv_until(sock: socket.socket, ending: bytes) -> bytes:
    """Everything received until it ends with ``ending`` (bounded by the socket timeout)."""
    data = b""
    while not data.endswith(ending):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed; received {data.hex(' ')}")
        data += chunk
    return data


def pending(sock: socket.socket) -> bool:
    """Whether bytes (or EOF) are waiting on ``sock`` right now."""
    return bool(select.select([sock], [], [], 0)[0])


def netcat(port: int, payload: bytes) -> bytes:
    """What ``printf PAYLOAD | nc -N 127.0.0.1 PORT`` prints: send, half-close, read to EOF."""
    with socket.create_connection((HOST, port), WAIT) as sock:
        sock.settimeout(WAIT)
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(4096):
            received += chunk
    return received


def inject(port: int, command: str) -> None:
    """Send a custom command netcat-style and insist on ``ok``."""
    assert netcat(port, command.encode()) == b"ok\n", command


def pm_read(client: ModbusTcpClient, table: str, address: int, count: int = 1) -> list[int]:
    read = client.read_holding_registers if table == "holding" else client.read_input_registers
    response = read(address, count=count, device_id=1)
    assert not response.isError(), response
    return list(response.registers)


def our_read(client: ModbusClient, table: str, address: int, count: int = 1) -> list[int]:
    read = client.read_holding if table == "holding" else client.read_input
    return read(address, count)


def pm_decode_responses(data: bytes) -> list[Any]:
    """Decode a stream of MBAP responses with pymodbus's own client framer."""
    framer = FramerSocket(DecodePDU(is_server=False))
    out = []
    while data:
        used, pdu = framer.handleFrame(data, 0, 0)
        assert used, data.hex(" ")
        data = data[used:]
        if pdu is not None:
            out.append(pdu)
    return out


def dropped_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name.startswith(DEVICE_LOGGER) and record.levelno >= logging.WARNING
    ]


# -- fixtures ---------------------------------------------------------------------


@pytest.fixture
def serve() -> Iterator[Callable[..., Simulator]]:
    """Start a built-in simulator on ephemeral ports; all are stopped at teardown."""
    started: list[Simulator] = []

    def start(name: str, framing: str = "modbus-tcp") -> Simulator:
        simulator = Simulator(name, plugins.load(name), system_type=framing, ephemeral=True)
        simulator.start()
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        simulator.stop()


@pytest.fixture
def port(serve: Callable[..., Simulator]) -> Callable[..., int]:
    """The port of a freshly started single-device simulator."""

    def start(name: str, framing: str = "modbus-tcp") -> int:
        return serve(name, framing).addresses[0].port

    return start


@pytest.fixture
def raw() -> Iterator[Callable[[int], socket.socket]]:
    """Plain TCP connections, closed at teardown."""
    sockets: list[socket.socket] = []

    def connect(port: int) -> socket.socket:
        sock = socket.create_connection((HOST, port), WAIT)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(WAIT)
        sockets.append(sock)
        return sock

    yield connect
    for sock in sockets:
        sock.close()


@pytest.fixture
def pymodbus_client() -> Iterator[Callable[..., ModbusTcpClient]]:
    """pymodbus TCP clients (no retries), closed at teardown."""
    clients: list[ModbusTcpClient] = []

    def connect(port: int, **kwargs: Any) -> ModbusTcpClient:
        client = ModbusTcpClient(HOST, port=port, timeout=WAIT, retries=0, **kwargs)
        clients.append(client)
        assert client.connect()
        return client

    yield connect
    for client in clients:
        client.close()


@pytest.fixture
def ours() -> Iterator[Callable[..., ModbusClient]]:
    """Our clients, closed at teardown."""
    clients: list[ModbusClient] = []

    def connect(port: int, framing: str = "modbus-tcp") -> ModbusClient:
        client = ModbusClient(HOST, port, framing=framing, timeout=WAIT)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


# -- pymodbus against our devices (modbus-tcp) ------------------------------------


@pytest.mark.parametrize("name", list(REGISTERS))
def test_pymodbus_reads_the_station_md_defaults(port, pymodbus_client, name):
    client = pymodbus_client(port(name))
    for table, address, default in REGISTERS[name]:
        assert pm_read(client, table, address) == [default], (table, address)
    for table, address, values in BLOCKS[name]:
        assert pm_read(client, table, address, len(values)) == values
    for table, address in HOLES[name]:
        read = client.read_holding_registers if table == "holding" else client.read_input_registers
        refused = read(address, count=1, device_id=1)
        assert refused.isError(), (table, address)
        assert refused.exception_code == 2


def test_the_station_serves_all_four_devices_with_their_defaults(serve, pymodbus_client):
    station = serve("station", "modbus-tcp")
    assert len(station.addresses) == 4
    assert len({address.port for address in station.addresses}) == 4
    for name, address in zip(STATION, station.addresses, strict=True):
        client = pymodbus_client(address.port)
        for table, register, default in REGISTERS[name]:
            assert pm_read(client, table, register) == [default], (name, table, register)
    # one device's writes do not reach another
    supply = pymodbus_client(station.addresses[0].port)
    actuator = pymodbus_client(station.addresses[2].port)
    assert not supply.write_register(0, 1200, device_id=1).isError()
    assert pm_read(actuator, "holding", 0) == [0]


def test_pymodbus_runs_the_bring_up(serve, pymodbus_client):
    station = serve("station", "modbus-tcp")
    supply = pymodbus_client(station.addresses[0].port)
    dmm = pymodbus_client(station.addresses[1].port)
    actuator = pymodbus_client(station.addresses[2].port)
    thermocouple = pymodbus_client(station.addresses[3].port)

    echo = supply.write_register(0, 1200, device_id=1)
    assert not echo.isError()
    assert (echo.address, echo.registers) == (0, [1200])
    assert not supply.write_register(1, 500, device_id=1).isError()
    assert pm_read(supply, "input", 100, 2) == [0, 0]  # output still off
    assert not supply.write_register(2, 1, device_id=1).isError()
    assert pm_read(supply, "holding", 0, 3) == [1200, 500, 1]
    assert pm_read(supply, "input", 100) == [1200]
    assert pm_read(supply, "input", 101) == [480]
    assert not actuator.write_register(0, 500, device_id=1).isError()
    assert pm_read(actuator, "input", 100) == [500]
    assert pm_read(actuator, "input", 101) == [1]
    assert pm_read(dmm, "input", 100) == [4980]
    assert pm_read(thermocouple, "input", 100) == [2300]
    assert pm_read(thermocouple, "input", 110) == [2500]

    # the readback follows the limit below the load, and the output switch
    assert not supply.write_register(1, 300, device_id=1).isError()
    assert pm_read(supply, "input", 101) == [300]
    assert not supply.write_register(2, 0, device_id=1).isError()
    assert pm_read(supply, "input", 100, 2) == [0, 0]


def test_pymodbus_write_registers_across_0_to_2(port, pymodbus_client):
    supply = pymodbus_client(port("power_supply"))
    echo = supply.write_registers(0, [1200, 500, 1], device_id=1)
    assert not echo.isError()
    assert (echo.function_code, echo.address, echo.count) == (0x10, 0, 3)
    assert pm_read(supply, "holding", 0, 3) == [1200, 500, 1]
    assert pm_read(supply, "input", 100, 2) == [1200, 480]
    echo = supply.write_registers(1, [1000, 0], device_id=1)
    assert (echo.address, echo.count) == (1, 2)
    assert pm_read(supply, "holding", 0, 3) == [1200, 1000, 0]


@pytest.mark.parametrize(
    "case",
    [
        ("read_holding_registers", {"address": 3}, 0x03, 2),
        ("read_holding_registers", {"address": 0, "count": 4}, 0x03, 2),  # 3 is not mapped
        ("read_input_registers", {"address": 102}, 0x04, 2),
        ("read_input_registers", {"address": 0}, 0x04, 2),
        ("write_register", {"address": 3, "value": 1}, 0x06, 2),
        ("write_register", {"address": 100, "value": 1}, 0x06, 2),  # an input register
        ("write_registers", {"address": 2, "values": [1, 1]}, 0x10, 2),
        ("write_register", {"address": 0, "value": 3001}, 0x06, 3),
        ("write_register", {"address": 1, "value": 1001}, 0x06, 3),
        ("write_register", {"address": 2, "value": 2}, 0x06, 3),
        ("write_registers", {"address": 0, "values": [1200, 500, 2]}, 0x10, 3),
    ],
    ids=lambda case: f"{case[0]}{case[1]}->{case[3]}",
)
def test_pymodbus_sees_the_modbus_exceptions(port, pymodbus_client, case):
    call, kwargs, fc, code = case
    supply = pymodbus_client(port("power_supply"))
    refused = getattr(supply, call)(**kwargs, device_id=1)
    assert refused.isError()
    assert isinstance(refused, PmException)
    assert (refused.function_code, refused.exception_code) == (fc | 0x80, code)
    # a refused write changes nothing, not even the valid part of a write-multiple
    assert pm_read(supply, "holding", 0, 3) == [0, 0, 0]


def test_pymodbus_sees_exception_1_for_read_coils(port, pymodbus_client):
    refused = pymodbus_client(port("dmm")).read_coils(0, count=1, device_id=1)
    assert refused.isError()
    assert (refused.function_code, refused.exception_code) == (0x81, 1)


@pytest.mark.parametrize(
    ("request_pdu", "answer_pdu"),
    [
        ("03 00 03 00 01", "83 02"),  # bad address
        ("04 00 66 00 01", "84 02"),
        ("06 00 00 0b b9", "86 03"),  # voltage_setpoint 3001
        ("06 00 02 00 02", "86 03"),  # output_enable 2
        ("10 00 00 00 02 04 0b b8 03 e9", "90 03"),  # current_limit 1001
        ("01 00 00 00 01", "81 01"),  # read coils
        ("05 00 00 ff 00", "85 01"),  # write single coil
        ("2b 0e 01 00", "ab 01"),  # read device identification
        ("41", "c1 01"),
        ("03 00 00 00 00", "83 03"),  # read count 0
        ("03 00 00 00 7e", "83 03"),  # read count 126
        ("03 00 00 00", "83 03"),  # a read PDU one byte short
    ],
)
def test_exception_responses_are_exact_on_the_wire(port, raw, request_pdu, answer_pdu):
    sock = raw(port("power_supply"))
    sock.sendall(mbap(0x1234, bytes.fromhex(request_pdu)))
    assert recv_mbap(sock) == mbap(0x1234, bytes.fromhex(answer_pdu))


def test_exception_responses_are_exact_in_the_custom_framing(port, raw):
    sock = raw(port("power_supply", "custom"))
    cases = [
        (custom_read(0x03, 3, 1), custom_exception(0x03, 2)),
        (custom_read(0x04, 0, 1), custom_exception(0x04, 2)),
        (custom_read(0x06, 0, 3001), custom_exception(0x06, 3)),
        (custom_read(0x06, 2, 2), custom_exception(0x06, 3)),
        (custom_read(0x01, 0, 1), custom_exception(0x01, 1)),
        (custom_read(0x2B, 0x0E01, 0), custom_exception(0x2B, 1)),
        (custom_read(0x03, 0, 126), custom_exception(0x03, 3)),
        (
            seal(bytes.fromhex("01 10 00 02 00 02")) + custom_data(0x10, [1, 1]),
            custom_exception(0x10, 2),
        ),
    ]
    for request, answer in cases:
        sock.sendall(request)
        assert recv_exact(sock, 8) == answer, request.hex(" ")
    sock.sendall(custom_read(0x03, 0, 3))
    assert recv_exact(sock, 24) == custom_data(0x03, [0, 0, 0])


def test_frames_captured_from_the_pymodbus_client_get_the_right_answers(port, pymodbus_client, raw):
    """pymodbus's own bytes, replayed on a plain socket to a fresh device, answer the same."""
    sent: list[bytes] = []

    def trace(sending: bool, data: bytes) -> bytes:
        if sending:
            sent.append(data)
        return data

    supply = pymodbus_client(port("power_supply"), trace_packet=trace)
    results = [
        supply.read_holding_registers(0, count=3, device_id=1),
        supply.write_register(0, 1200, device_id=1),
        supply.write_registers(1, [500, 1], device_id=1),
        supply.read_input_registers(100, count=2, device_id=1),
        supply.write_register(0, 3001, device_id=1),
        supply.read_coils(0, count=8, device_id=1),
    ]
    assert results[0].registers == [0, 0, 0]
    assert results[3].registers == [1200, 480]
    assert (results[4].exception_code, results[5].function_code) == (3, 0x81)
    assert len(sent) == len(results)

    fresh = raw(port("power_supply"))
    for frame, result in zip(sent, results, strict=True):
        fresh.sendall(frame)
        answer = recv_mbap(fresh)
        assert answer[:2] == frame[:2]  # the transaction id comes back
        [decoded] = pm_decode_responses(answer)
        assert decoded.function_code == result.function_code
        assert decoded.registers == result.registers
        if isinstance(result, PmException):
            assert decoded.exception_code == result.exception_code


def test_pipelined_frames_built_by_pymodbus_are_answered_in_order(port, raw):
    build = FramerSocket(DecodePDU(is_server=False)).buildFrame
    frames = [
        build(pm.ReadInputRegistersRequest(address=100, count=4, dev_id=1, transaction_id=7)),
        build(pm.WriteSingleRegisterRequest(address=0, registers=[42], dev_id=1, transaction_id=8)),
        build(pm.ReadHoldingRegistersRequest(address=0, count=1, dev_id=1, transaction_id=9)),
        build(pm_bits.ReadCoilsRequest(address=0, count=1, dev_id=1, transaction_id=10)),
        build(pm.ReadInputRegistersRequest(address=110, count=1, dev_id=255, transaction_id=11)),
    ]
    sock = raw(port("thermocouple"))
    sock.sendall(b"".join(frames))  # one segment, five requests
    answers = pm_decode_responses(b"".join(recv_mbap(sock) for _ in frames))
    assert [a.transaction_id for a in answers] == [7, 8, 9, 10, 11]
    assert answers[0].registers == [2300, 2310, 2290, 2305]
    assert (answers[1].function_code, answers[1].exception_code) == (0x86, 2)
    assert (answers[2].function_code, answers[2].exception_code) == (0x83, 2)
    assert (answers[3].function_code, answers[3].exception_code) == (0x81, 1)
    assert answers[4].registers == [2500]
    assert answers[4].dev_id == 255


def test_requests_for_another_unit_are_not_answered(port, raw):
    sock = raw(port("dmm"))
    other = mbap(1, bytes.fromhex("04 00 64 00 01"), unit=2)
    mine = mbap(2, bytes.fromhex("04 00 64 00 01"), unit=1)
    broadcast = mbap(3, bytes.fromhex("04 00 64 00 01"), unit=0)
    sock.sendall(other + mine + broadcast)
    assert recv_mbap(sock) == mbap(2, bytes.fromhex("04 02 13 74"))
    assert recv_mbap(sock) == mbap(3, bytes.fromhex("04 02 13 74"), unit=0)


# -- our client against a pymodbus server -------------------------------------------


class PymodbusServer:
    """A pymodbus TCP server on an ephemeral port, in a thread with its own event loop."""

    HOLDING = (11, 22, 33, 44, 55)  # addresses 0..4
    INPUT = (101, 102, 103)  # addresses 0..2

    def __init__(self) -> None:
        self.port = 0
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._server: ModbusTcpServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name="pymodbus-server", daemon=True)

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(WAIT):
            raise TimeoutError("the pymodbus server did not start")
        if self._error is not None:
            raise RuntimeError("the pymodbus server failed") from self._error

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._serve())
        except BaseException as error:  # reported by start()
            self._error = error
        finally:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.close()
            self._ready.set()

    async def _serve(self) -> None:
        device = SimDevice(
            id=1,
            simdata=(
                [SimData(0, values=[False] * 16, datatype=DataType.BITS)],
                [SimData(0, values=[False] * 16, datatype=DataType.BITS)],
                [SimData(0, values=list(self.HOLDING), datatype=DataType.REGISTERS)],
                [SimData(0, values=list(self.INPUT), datatype=DataType.REGISTERS)],
            ),
        )
        server = self._server = ModbusTcpServer(device, address=(HOST, 0))
        await server.serve_forever(background=True)
        self.port = server.transport.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        self._ready.set()
        await server.serving

    def stop(self) -> None:
        if self._server is not None and self._loop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError, TimeoutError):
                asyncio.run_coroutine_threadsafe(self._server.shutdown(), self._loop).result(WAIT)
        self._thread.join(WAIT)
        assert not self._thread.is_alive(), "the pymodbus server thread did not end"


@pytest.fixture
def pymodbus_server() -> Iterator[PymodbusServer]:
    server = PymodbusServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def test_our_client_reads_and_writes_a_pymodbus_server(pymodbus_server, ours):
    client = ours(pymodbus_server.port)
    assert client.read_holding(0, 5) == list(PymodbusServer.HOLDING)
    assert client.read_input(0, 3) == list(PymodbusServer.INPUT)
    assert client.read_input(2) == [103]
    client.write_register(1, 7)
    client.write_registers(2, [8, 9])
    assert client.read_holding(0, 5) == [11, 7, 8, 9, 55]
    response = client.execute(WriteSingleRegister(1, 4, 0xFFFF))
    assert (response.address, response.value) == (4, 0xFFFF)
    assert client.read_holding(4) == [0xFFFF]


@pytest.mark.parametrize(
    ("action", "fc"),
    [
        (lambda c: c.read_holding(5), 0x03),
        (lambda c: c.read_holding(3, 3), 0x03),
        (lambda c: c.read_input(3), 0x04),
        (lambda c: c.write_register(100, 1), 0x06),
        (lambda c: c.write_registers(4, [1, 2]), 0x10),
    ],
)
def test_our_client_gets_exception_2_from_pymodbus_outside_its_datastore(
    pymodbus_server, ours, action, fc
):
    client = ours(pymodbus_server.port)
    with pytest.raises(ModbusDeviceError) as refused:
        action(client)
    assert refused.value.code == 2
    assert refused.value.response.function_code == fc
    assert client.read_holding(0) == [11]  # the connection carries on


def test_our_client_copes_with_pymodbus_refusing_an_unknown_function(pymodbus_server, ours, raw):
    """pymodbus answers an unknown function with function code 0x80, not fc | 0x80.

    Our client does not take that for a valid answer: it says so at once (no
    timeout), names what it got, and the next request works.
    """
    sock = raw(pymodbus_server.port)
    sock.sendall(mbap(9, bytes.fromhex("41")))
    assert recv_mbap(sock) == mbap(9, bytes.fromhex("80 01"))  # what pymodbus sends

    client = ours(pymodbus_server.port)
    with pytest.raises(ModbusProtocolError, match="function 0x00 answers a 0x41 request"):
        client.execute(UnsupportedFunction(1, 0x41))
    assert client.read_input(0) == [101]


# -- both framings end to end with our client ----------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("name", list(REGISTERS))
def test_our_client_reads_the_defaults(port, ours, framing, name):
    client = ours(port(name, framing), framing)
    for table, address, default in REGISTERS[name]:
        assert our_read(client, table, address) == [default], (table, address)
    for table, address, values in BLOCKS[name]:
        assert our_read(client, table, address, len(values)) == values
    for table, address in HOLES[name]:
        with pytest.raises(ModbusDeviceError) as refused:
            our_read(client, table, address)
        assert refused.value.code == 2


@pytest.mark.parametrize("framing", FRAMINGS)
def test_our_client_runs_the_bring_up_on_the_station(serve, ours, framing):
    station = serve("station", framing)
    supply, dmm, actuator, thermocouple = (
        ours(address.port, framing) for address in station.addresses
    )
    supply.write_register(0, 1200)
    supply.write_register(1, 500)
    supply.write_register(2, 1)
    assert supply.read_input(100) == [1200]
    assert supply.read_input(101) == [480]
    actuator.write_register(0, 500)
    assert actuator.read_input(100) == [500]
    assert actuator.read_input(101) == [1]
    assert dmm.read_input(100) == [4980]
    assert thermocouple.read_input(100) == [2300]
    assert thermocouple.read_input(110) == [2500]
    assert thermocouple.read_input(100, 4) == [2300, 2310, 2290, 2305]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_our_client_writes_multiple_registers(port, ours, framing):
    supply = ours(port("power_supply", framing), framing)
    supply.write_registers(0, [1200, 500, 1])
    assert supply.read_holding(0, 3) == [1200, 500, 1]
    assert supply.read_input(100, 2) == [1200, 480]
    supply.write_registers(1, [250])
    assert supply.read_input(100, 2) == [1200, 250]
    with pytest.raises(ModbusDeviceError) as refused:
        supply.write_registers(0, [3000, 1000, 1, 0])  # address 3 is not mapped
    assert refused.value.code == 2
    with pytest.raises(ModbusDeviceError) as refused:
        supply.write_registers(0, [0, 0, 7])
    assert refused.value.code == 3
    assert supply.read_holding(0, 3) == [1200, 250, 1]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_our_client_sees_exceptions_1_2_3(port, ours, framing):
    supply = ours(port("power_supply", framing), framing)
    for action, fc, code in [
        (lambda: supply.write_register(0, 3001), 0x06, 3),
        (lambda: supply.write_register(2, 2), 0x06, 3),
        (lambda: supply.read_holding(2, 2), 0x03, 2),
        (lambda: supply.execute(UnsupportedFunction(1, 0x01, b"\0\0\0\1")), 0x01, 1),
        (lambda: supply.execute(UnsupportedFunction(1, 0x2B, b"\x0e\x01\0\0")), 0x2B, 1),
    ]:
        with pytest.raises(ModbusDeviceError) as refused:
            action()
        assert (refused.value.response.function_code, refused.value.code) == (fc, code)
    assert supply.read_holding(0, 3) == [0, 0, 0]


# -- faults, injected netcat-style from a second connection --------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
def test_drift_moves_one_register_and_leaves_the_others(port, ours, framing):
    dmm_port = port("dmm", framing)
    dmm = ours(dmm_port, framing)
    assert dmm.read_input(100) == [4980]  # a connection already open before the fault
    assert netcat(dmm_port, b"$system_fault:drift,dc_voltage,5%") == b"ok\n"
    assert [dmm.read_input(100)[0] for _ in range(3)] == [4985, 4990, 4995]
    assert dmm.read_input(101, 2) == [120, 1000]
    assert dmm.read_input(100, 3) == [5000, 120, 1000]
    assert dmm.read_input(101) == [120]
    assert dmm.read_input(102) == [1000]
    inject(dmm_port, "$system_fault:drift,101,-10%")  # by address, downwards
    assert dmm.read_input(100, 3) == [5005, 110, 1000]
    assert dmm.read_input(100, 3) == [5010, 100, 1000]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_stuck_keeps_the_value_and_ignores_writes(port, ours, framing):
    supply_port = port("power_supply", framing)
    supply = ours(supply_port, framing)
    supply.write_registers(0, [1200, 500, 1])
    inject(supply_port, "$system_fault:stuck,voltage_setpoint%")
    supply.write_register(0, 2000)  # accepted (no exception) ...
    assert supply.read_holding(0) == [1200]  # ... and ignored
    assert supply.read_input(100) == [1200]
    supply.write_registers(0, [2500, 300])  # the other register still takes writes
    assert supply.read_holding(0, 2) == [1200, 300]
    assert supply.read_input(101) == [300]
    with pytest.raises(ModbusDeviceError) as refused:
        supply.write_register(0, 3001)  # still validated
    assert refused.value.code == 3
    inject(supply_port, "$system_clear_faults%")
    assert supply.read_holding(0) == [1200]  # the ignored writes never landed
    supply.write_register(0, 2000)
    assert supply.read_input(100) == [2000]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_set_overwrites_a_reading_until_changed(port, ours, framing):
    dmm_port = port("dmm", framing)
    dmm = ours(dmm_port, framing)
    assert netcat(dmm_port, b"$system_set:dc_voltage,4000%") == b"ok\n"
    assert [dmm.read_input(100)[0] for _ in range(3)] == [4000, 4000, 4000]
    assert dmm.read_input(100, 3) == [4000, 120, 1000]
    inject(dmm_port, "$system_set:102,65535%")
    assert dmm.read_input(102) == [65535]
    inject(dmm_port, "$system_fault:drift,dc_voltage,5%")
    assert [dmm.read_input(100)[0] for _ in range(2)] == [4005, 4010]
    inject(dmm_port, "$system_set:dc_voltage,3000%")  # drifts on from the new value
    assert [dmm.read_input(100)[0] for _ in range(2)] == [3005, 3010]


def test_set_holds_a_derived_reading_against_its_inputs(port):
    supply_port = port("power_supply")
    inject(supply_port, "$system_set:voltage_readback,999%")
    with ModbusClient(HOST, supply_port, framing="modbus-tcp", timeout=WAIT) as supply:
        assert supply.read_input(100, 2) == [999, 0]  # the output is off
        supply.write_registers(0, [1200, 500, 1])
        assert supply.read_input(100, 2) == [999, 480]
        inject(supply_port, "$system_set:voltage_readback,1000%")
        assert supply.read_input(100) == [1000]
        inject(supply_port, "$system_reset%")
        assert supply.read_input(100) == [0]


def test_set_moves_a_stuck_register_and_it_stays_stuck(port, ours):
    dmm_port = port("dmm")
    dmm = ours(dmm_port)
    inject(dmm_port, "$system_fault:stuck,dc_voltage%")
    inject(dmm_port, "$system_set:dc_voltage,3000%")
    assert [dmm.read_input(100)[0] for _ in range(2)] == [3000, 3000]
    assert netcat(dmm_port, b"$system_faults%") == b"stuck dc_voltage\n"


def test_registers_lists_every_register_with_its_value(port, ours):
    supply_port = port("power_supply")
    ours(supply_port).write_registers(0, [1200, 500, 1])
    assert netcat(supply_port, b"$system_registers%").decode().splitlines() == [
        "holding 0 voltage_setpoint = 1200 (rw, 0-3000)",
        "holding 1 current_limit = 500 (rw, 0-1000)",
        "holding 2 output_enable = 1 (rw, 0/1)",
        "input 100 voltage_readback = 1200 (ro, 0-65535)",
        "input 101 current_readback = 480 (ro, 0-65535)",
    ]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_delay_holds_back_only_every_kth_response(port, raw, framing):
    dmm_port = port("dmm", framing)
    inject(dmm_port, "$system_fault:delay,300,3%")
    sock = raw(dmm_port)
    framer = client_framer(framing)

    def values(response: Response) -> tuple[int, ...]:
        assert isinstance(response, ReadInputRegistersResponse)
        return response.values

    def answers(count: int) -> list[Response]:
        out: list[Response] = []
        while len(out) < count:
            message = framer.next_message()
            if message is None:
                data = sock.recv(4096)
                assert data, "connection closed"
                framer.feed(data)
            else:
                out.append(message)
        return out

    for _ in range(2):  # requests 1-3, then 4-6: the 3rd and the 6th are late
        started = time.monotonic()
        sock.sendall(b"".join(framer.encode(ReadInputRegisters(1, 100, 1)) for _ in range(3)))
        assert [values(a) for a in answers(2)] == [(4980,), (4980,)]
        assert not pending(sock)  # the third answer is being held back
        assert [values(a) for a in answers(1)] == [(4980,)]
        assert time.monotonic() - started >= 0.29


def test_a_delayed_answer_does_not_hold_up_other_clients(port, raw):
    dmm_port = port("dmm")
    inject(dmm_port, "$system_fault:delay,500,2%")
    first, second = raw(dmm_port), raw(dmm_port)
    read = mbap(1, bytes.fromhex("04 00 64 00 01"))
    first.sendall(read)
    assert recv_mbap(first) == mbap(1, bytes.fromhex("04 02 13 74"))  # request 1: at once
    started = time.monotonic()
    first.sendall(read)  # request 2: late
    time.sleep(0.05)
    second.sendall(read)  # request 3: answered while the first one waits
    assert recv_mbap(second) == mbap(1, bytes.fromhex("04 02 13 74"))
    assert not pending(first)
    assert recv_mbap(first) == mbap(1, bytes.fromhex("04 02 13 74"))
    assert time.monotonic() - started >= 0.49


@pytest.mark.parametrize("framing", FRAMINGS)
def test_crc_fault_corrupts_every_kth_response(port, ours, framing):
    dmm_port = port("dmm", framing)
    dmm = ours(dmm_port, framing)
    inject(dmm_port, "$system_fault:crc,2%")
    assert dmm.read_input(100) == [4980]
    with pytest.raises(ModbusProtocolError):
        dmm.read_input(100)
    assert dmm.read_input(100) == [4980]  # reconnected, clean
    with pytest.raises(ModbusProtocolError):
        dmm.read_input(100, 3)


def test_crc_fault_flips_a_crc_byte_in_the_custom_framing(port, raw, ours):
    thermocouple_port = port("thermocouple", "custom")
    inject(thermocouple_port, "$system_fault:crc,1%")
    sock = raw(thermocouple_port)
    sock.sendall(custom_read(0x04, 100, 1))
    good = custom_data(0x04, [2300])
    assert recv_exact(sock, 8) == good[:7] + bytes([good[7] ^ 0xFF])
    sock.sendall(custom_read(0x04, 100, 4))  # a multi-frame answer is corrupted too
    answer = recv_exact(sock, 32)
    frames = [answer[i : i + 8] for i in range(0, 32, 8)]
    assert sum(crc16(frame) != 0 for frame in frames) >= 1
    client = ours(thermocouple_port, "custom")
    with pytest.raises(ModbusProtocolError):
        client.read_input(100, 4)


def test_crc_fault_breaks_the_mbap_header(port, raw):
    dmm_port = port("dmm")
    inject(dmm_port, "$system_fault:crc,1%")
    sock = raw(dmm_port)
    sock.sendall(mbap(0x0102, bytes.fromhex("04 00 64 00 01")))
    answer = recv_exact(sock, 11)
    good = mbap(0x0102, bytes.fromhex("04 02 13 74"))
    assert answer[:2] + answer[4:] == good[:2] + good[4:]
    assert answer[2:4] != b"\0\0"  # the protocol id is no longer Modbus


@pytest.mark.parametrize("framing", FRAMINGS)
def test_drop_closes_the_connection_on_every_kth_request(port, ours, framing):
    supply_port = port("power_supply", framing)
    supply = ours(supply_port, framing)
    inject(supply_port, "$system_fault:drop,2%")
    supply.write_register(0, 100)  # request 1
    with pytest.raises(ConnectionError):
        supply.write_register(0, 200)  # request 2: dropped, never executed
    assert supply.read_holding(0) == [100]  # request 3, on a new connection
    with pytest.raises(ConnectionError):
        supply.read_holding(0)  # request 4
    assert supply.read_holding(0) == [100]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_requests_behind_a_dropped_one_are_never_executed(port, raw, ours, framing):
    """The drop closes the connection: what the client pipelined behind it is lost too.

    A real device that hangs up on request 2 never sees request 3; here request 3
    must not be executed either (it is never answered).
    """
    supply_port = port("power_supply", framing)
    inject(supply_port, "$system_fault:drop,2%")
    framer = client_framer(framing)
    sock = raw(supply_port)
    sock.sendall(
        b"".join(framer.encode(WriteSingleRegister(1, 0, value)) for value in (100, 200, 300))
    )
    received = b""
    while chunk := sock.recv(4096):  # the device answers request 1, then hangs up
        received += chunk
    framer.feed(received)
    answer = framer.next_message()
    assert isinstance(answer, WriteSingleRegisterResponse)
    assert (answer.address, answer.value) == (0, 100)
    assert framer.next_message() is None
    inject(supply_port, "$system_clear_faults%")
    assert ours(supply_port, framing).read_holding(0) == [100]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_our_client_recovers_from_a_timeout_without_taking_the_late_answer(port, ours, framing):
    supply_port = port("power_supply", framing)
    supply = ours(supply_port, framing)
    supply.timeout = 0.3
    supply.write_register(0, 111)
    inject(supply_port, "$system_fault:delay,600,2%")
    with pytest.raises(TimeoutError):
        supply.read_holding(0)  # request 2: late
    supply.write_register(1, 222)  # request 3: on a new connection, at once
    inject(supply_port, "$system_clear_faults%")
    assert supply.read_holding(0, 2) == [111, 222]
    time.sleep(0.4)  # the late answer has gone to the old connection by now
    assert supply.read_holding(1) == [222]


def test_drop_is_seen_by_pymodbus_as_a_lost_connection(port, pymodbus_client):
    dmm_port = port("dmm")
    client = pymodbus_client(dmm_port)
    assert pm_read(client, "input", 100) == [4980]
    inject(dmm_port, "$system_fault:drop,1%")
    with pytest.raises(ModbusException):
        client.read_input_registers(100, count=1, device_id=1)
    inject(dmm_port, "$system_clear_faults%")
    assert pm_read(pymodbus_client(dmm_port), "input", 100) == [4980]


def test_faults_lists_every_active_fault_one_per_line(port):
    dmm_port = port("dmm")
    assert netcat(dmm_port, b"$system_faults%") == b"none\n"
    for command in [
        "$system_fault:drift,dc_voltage,5%",
        "$system_fault:stuck,dc_current%",
        "$system_fault:delay,200,3%",
        "$system_fault:crc,2%",
        "$system_fault:drop,4%",
    ]:
        inject(dmm_port, command)
    assert netcat(dmm_port, b"$system_faults%").decode().splitlines() == [
        "drift dc_voltage +5 per read",
        "stuck dc_current",
        "delay 200 ms every 3rd response",
        "crc corrupt every 2nd response",
        "drop connection every 4th response",
    ]
    assert netcat(dmm_port, b"$system_clear_faults%") == b"ok\n"
    assert netcat(dmm_port, b"$system_faults%") == b"none\n"


@pytest.mark.parametrize("framing", FRAMINGS)
def test_clear_faults_stops_every_fault(port, ours, framing):
    dmm_port = port("dmm", framing)
    dmm = ours(dmm_port, framing)
    for command in ["drift,dc_voltage,5", "stuck,dc_current", "crc,1", "drop,1", "delay,2000"]:
        inject(dmm_port, f"$system_fault:{command}%")
    assert netcat(dmm_port, b"$system_clear_faults%") == b"ok\n"
    # answered at once, intact, on the same connection, and no longer drifting
    assert dmm.read_input(100, 3) == [4980, 120, 1000]
    assert dmm.read_input(100, 3) == [4980, 120, 1000]
    inject(dmm_port, "$system_set:dc_current,50%")
    assert dmm.read_input(101) == [50]  # no longer stuck


@pytest.mark.parametrize("framing", FRAMINGS)
def test_reset_restores_defaults_and_clears_faults(port, ours, framing):
    supply_port = port("power_supply", framing)
    supply = ours(supply_port, framing)
    supply.write_registers(0, [1200, 500, 1])
    inject(supply_port, "$system_set:voltage_readback,7%")
    inject(supply_port, "$system_fault:drift,current_readback,3%")
    inject(supply_port, "$system_fault:stuck,current_limit%")
    inject(supply_port, "$system_fault:crc,1%")
    assert netcat(supply_port, b"$system_reset%") == b"ok\n"
    assert netcat(supply_port, b"$system_faults%") == b"none\n"
    assert supply.read_holding(0, 3) == [0, 0, 0]
    assert supply.read_input(100, 2) == [0, 0]
    supply.write_registers(0, [1200, 500, 1])
    assert supply.read_input(100, 2) == [1200, 480]
    assert supply.read_input(100, 2) == [1200, 480]


@pytest.mark.parametrize(
    "command",
    [
        b"$system_fault:drift,nope,1%",
        b"$system_fault:melt%",
        b"$system_set:dc_voltage,x%",
        b"$system_set:dc_voltage,70000%",
        b"$system_set:dc_voltage,-1%",
        b"$system_set:nope,1%",
        b"$system_set:dc_voltage%",
        b"$system_fault:drift,dc_voltage%",
        b"$system_fault:drift,dc_voltage,abc%",
        b"$system_fault:drift,dc_voltage,inf%",
        b"$system_fault:stuck,dc_voltage,1%",
        b"$system_fault:stuck,999%",
        b"$system_fault:delay,-1%",
        b"$system_fault:delay,100,0%",
        b"$system_fault:delay,soon%",
        b"$system_fault:crc,0%",
        b"$system_fault:crc%",
        b"$system_fault:drop,x%",
        b"$system_fault%",
        b"$system_melt%",
    ],
)
def test_a_malformed_command_answers_one_error_line_and_changes_nothing(port, ours, command):
    dmm_port = port("dmm", "custom")
    dmm = ours(dmm_port, "custom")
    inject(dmm_port, "$system_fault:drift,resistance,1%")
    assert dmm.read_input(100, 3) == [4980, 120, 1001]
    answer = netcat(dmm_port, command)
    assert answer.startswith(b"error:")
    assert answer.endswith(b"\n")
    assert answer.count(b"\n") == 1
    assert netcat(dmm_port, b"$system_faults%") == b"drift resistance +1 per read\n"
    assert dmm.read_input(100, 3) == [4980, 120, 1002]


@pytest.mark.parametrize("framing", FRAMINGS)
def test_commands_and_modbus_share_one_connection(port, raw, framing):
    """A custom command between two requests on the same socket is answered in between."""
    dmm_port = port("dmm", framing)
    sock = raw(dmm_port)
    framer = client_framer(framing)
    sock.sendall(
        framer.encode(ReadInputRegisters(1, 100, 1))
        + b"$system_set:dc_voltage,4100%"
        + framer.encode(ReadInputRegisters(1, 100, 1))
    )
    if framing == "custom":
        expected = custom_data(0x04, [4980]) + b"ok\n" + custom_data(0x04, [4100])
    else:
        expected = (
            mbap(1, bytes.fromhex("04 02 13 74")) + b"ok\n" + mbap(2, bytes.fromhex("04 02 10 04"))
        )
    assert recv_exact(sock, len(expected)) == expected


def test_an_erroneous_command_between_requests_leaves_the_framing_intact(port, raw):
    dmm_port = port("dmm", "custom")
    sock = raw(dmm_port)
    sock.sendall(custom_read(0x04, 100, 1) + b"$system_fault:melt%" + custom_read(0x04, 102, 1))
    first, last = custom_data(0x04, [4980]), custom_data(0x04, [1000])
    received = recv_until(sock, last)
    assert received.startswith(first + b"error:")
    assert received.endswith(b"\n" + last)
    assert received.count(b"\n") == 1


# -- malformed input ----------------------------------------------------------------------

GOOD_CUSTOM = custom_read(0x04, 100, 3)
GOOD_CUSTOM_ANSWER = custom_data(0x04, [4980, 120, 1000])
GOOD_MBAP = mbap(0x0505, bytes.fromhex("04 00 64 00 03"))
GOOD_MBAP_ANSWER = mbap(0x0505, bytes.fromhex("04 06 13 74 00 78 03 e8"))


def good_request(framing: str) -> tuple[bytes, bytes]:
    return (
        (GOOD_CUSTOM, GOOD_CUSTOM_ANSWER) if framing == "custom" else (GOOD_MBAP, GOOD_MBAP_ANSWER)
    )


def answered_on_a_new_connection(port: int, framing: str) -> None:
    request, answer = good_request(framing)
    with socket.create_connection((HOST, port), WAIT) as sock:
        sock.settimeout(WAIT)
        sock.sendall(request)
        assert recv_exact(sock, len(answer)) == answer


CUSTOM_GARBAGE = {
    "short frame": GOOD_CUSTOM[:5],
    "bad CRC": GOOD_CUSTOM[:7] + bytes([GOOD_CUSTOM[7] ^ 0x01]),
    "bad CRC in a long run": bytes(range(0x30, 0x30 + 29)),
    "exception frame": custom_exception(0x03, 2),
    "data frame outside an operation": custom_data(0x10, [5, 6])[8:],
    "unit 250": custom_read(0x04, 100, 1, unit=250),
    "random": random.Random(7).randbytes(40),
    "a command prefix with no command": b"$system_",
}


@pytest.mark.parametrize("case", list(CUSTOM_GARBAGE))
def test_the_custom_framing_drops_bad_bytes_logs_them_and_resynchronises(port, raw, caplog, case):
    caplog.set_level(logging.WARNING, logger=DEVICE_LOGGER)
    garbage = CUSTOM_GARBAGE[case]
    dmm_port = port("dmm", "custom")
    throwaway = raw(dmm_port)
    throwaway.sendall(garbage)
    throwaway.close()
    answered_on_a_new_connection(dmm_port, "custom")

    caplog.clear()
    sock = raw(dmm_port)
    sock.sendall(garbage)
    sock.sendall(GOOD_CUSTOM)
    assert recv_exact(sock, len(GOOD_CUSTOM_ANSWER)) == GOOD_CUSTOM_ANSWER
    logs = dropped_logs(caplog)
    assert logs, "nothing logged"
    assert all("dropped" in line for line in logs)
    assert garbage[:4].hex(" ") in " ".join(logs)


def test_a_damaged_frame_then_half_a_good_one_keeps_the_good_half(port, raw, caplog):
    """With no good window buffered, all but the last 7 bytes go: they may start a frame."""
    caplog.set_level(logging.WARNING, logger=DEVICE_LOGGER)
    sock = raw(port("dmm", "custom"))
    damaged = CUSTOM_GARBAGE["bad CRC"]
    sock.sendall(damaged + GOOD_CUSTOM[:5])
    time.sleep(0.05)  # let the device see the 13 bytes on their own
    sock.sendall(GOOD_CUSTOM[5:])
    assert recv_exact(sock, len(GOOD_CUSTOM_ANSWER)) == GOOD_CUSTOM_ANSWER
    assert any(damaged.hex(" ") in line for line in dropped_logs(caplog))


def test_a_write_multiple_cut_short_is_dropped_and_not_applied(port, raw, caplog):
    caplog.set_level(logging.WARNING, logger=DEVICE_LOGGER)
    supply_port = port("power_supply", "custom")
    sock = raw(supply_port)
    head = seal(bytes.fromhex("01 10 00 00 00 03"))
    sock.sendall(head + custom_data(0x10, [1200, 500, 1])[:16])  # two of three data frames
    sock.sendall(custom_read(0x03, 0, 3))
    assert recv_exact(sock, 24) == custom_data(0x03, [0, 0, 0])
    assert any("cut short" in line for line in dropped_logs(caplog))


MBAP_GARBAGE = {
    "wrong protocol id": bytes.fromhex("00 08 00 01 00 06 01 03 00 00 00 01"),
    "absurd length": bytes.fromhex("00 09 00 00 ff ff"),
    "length 1": bytes.fromhex("00 0a 00 00 00 01 01"),
    "length 255": bytes.fromhex("00 0b 00 00 00 ff 01 03"),
    "reserved unit": mbap(0x0C, bytes.fromhex("04 00 64 00 01"), unit=250),
    "exception code as a request": mbap(0x0D, bytes.fromhex("83 02")),
}


@pytest.mark.parametrize("case", list(MBAP_GARBAGE))
def test_mbap_drops_bad_headers_logs_them_and_resynchronises(port, raw, caplog, case):
    caplog.set_level(logging.WARNING, logger=DEVICE_LOGGER)
    garbage = MBAP_GARBAGE[case]
    dmm_port = port("dmm")
    throwaway = raw(dmm_port)
    throwaway.sendall(garbage)
    throwaway.close()
    answered_on_a_new_connection(dmm_port, "modbus-tcp")

    caplog.clear()
    sock = raw(dmm_port)
    sock.sendall(garbage)
    sock.sendall(GOOD_MBAP)
    assert recv_exact(sock, len(GOOD_MBAP_ANSWER)) == GOOD_MBAP_ANSWER
    logs = dropped_logs(caplog)
    assert logs, "nothing logged"
    assert all("dropped" in line for line in logs)
    assert garbage[:3].hex(" ") in " ".join(logs)


def test_a_short_mbap_frame_on_a_closed_connection_is_forgotten(port, raw):
    dmm_port = port("dmm")
    for partial in (GOOD_MBAP[:3], GOOD_MBAP[:7], GOOD_MBAP[:-1]):
        sock = raw(dmm_port)
        sock.sendall(partial)
        sock.close()
        answered_on_a_new_connection(dmm_port, "modbus-tcp")


def test_a_malformed_pdu_of_a_supported_function_answers_exception_3(port, raw):
    sock = raw(port("dmm"))
    sock.sendall(mbap(0x0E, bytes.fromhex("10 00 00 00 02 03 00 01 00")))  # byte count 3
    assert recv_mbap(sock) == mbap(0x0E, bytes.fromhex("90 03"))


def _straddles_a_good_window(garbage: bytes, request: bytes) -> bool:
    """Whether an 8-byte window across the garbage/request boundary passes the CRC."""
    stream = garbage + request
    start = max(0, len(garbage) - 7)
    return any(crc16(stream[i : i + 8]) == 0 for i in range(start, len(garbage)))


@pytest.mark.parametrize("framing", FRAMINGS)
def test_random_bytes_never_crash_a_device(port, raw, capfd, framing):
    dmm_port = port("dmm", framing)
    request, answer = good_request(framing)

    @settings(deadline=None, max_examples=30, database=None)
    @given(st.binary(min_size=1, max_size=64))
    def check(garbage: bytes) -> None:
        # Custom commands are not noise: a whole one would act ($system_stop% ends the
        # device), and a bare prefix is pinned by the "a command prefix" garbage case.
        assume(b"$system_" not in garbage)
        sock = raw(dmm_port)
        sock.sendall(garbage)
        if framing == "custom" and not _straddles_a_good_window(garbage, request):
            sock.sendall(request)  # the same connection resynchronises
            assert recv_until(sock, answer).endswith(answer)
        sock.close()
        answered_on_a_new_connection(dmm_port, framing)

    check()
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "Exception occurred" not in err


# -- a '$' inside a frame is not a command --------------------------------------------------


@pytest.mark.parametrize("framing", FRAMINGS)
def test_frames_containing_a_dollar_byte_are_answered_at_once(port, raw, ours, framing):
    supply_port = port("power_supply", framing)
    sock = raw(supply_port)
    if framing == "custom":
        write = seal(bytes.fromhex("01 06 00 00 09 24"))
        sock.sendall(write)
        assert recv_exact(sock, 8) == write
        read_0x24 = custom_read(0x03, 0x24, 1)  # '$' as the address
        sock.sendall(read_0x24)
        assert recv_exact(sock, 8) == custom_exception(0x03, 2)
    else:
        write = mbap(0x2424, bytes.fromhex("06 00 00 09 24"))
        sock.sendall(write)
        assert recv_mbap(sock) == write
        sock.sendall(mbap(0x2400, bytes.fromhex("03 00 24 00 01")))
        assert recv_mbap(sock) == mbap(0x2400, bytes.fromhex("83 02"))
        # a '$' then bytes that look like a command's end, in one frame
        sock.sendall(mbap(0x2425, bytes.fromhex("06 00 01 00 25")))
        assert recv_mbap(sock) == mbap(0x2425, bytes.fromhex("06 00 01 00 25"))
    client = ours(supply_port, framing)
    client.write_register(1, 0x24)
    assert client.read_holding(0, 2) == [0x0924, 0x24]


def test_a_frame_split_right_after_a_dollar_byte_is_answered(port, raw):
    sock = raw(port("power_supply", "custom"))
    write = seal(bytes.fromhex("01 06 00 00 09 24"))
    sock.sendall(write[:6])  # ends in '$'
    time.sleep(0.05)
    sock.sendall(write[6:])
    assert recv_exact(sock, 8) == write


def test_register_values_that_spell_a_command_prefix_do_not_stall_the_connection(port, raw):
    """A write-multiple of ASCII text: its data holds ``$system_`` followed by binary bytes.

    Those bytes can never be a custom command (a command name is letters,
    digits and ``_``), so the frame is Modbus data and must be answered at
    once -- here exception 2, since the power supply maps only 0..2 -- and the
    connection must keep serving.
    """
    sock = raw(port("power_supply"))
    values = b"$system_" + bytes.fromhex("00 01")
    sock.sendall(mbap(0x77, bytes.fromhex("10 00 00 00 05 0a") + values))
    assert recv_mbap(sock) == mbap(0x77, bytes.fromhex("90 02"))
    sock.sendall(mbap(0x78, bytes.fromhex("03 00 00 00 01")))
    assert recv_mbap(sock) == mbap(0x78, bytes.fromhex("03 02 00 00"))


# -- two clients at once ---------------------------------------------------------------------


def test_partial_mbap_frames_from_two_clients_never_mix(port, raw):
    supply_port = port("power_supply")
    first, second = raw(supply_port), raw(supply_port)
    write = mbap(0x0101, bytes.fromhex("10 00 00 00 03 06 04 b0 01 f4 00 01"))
    first.sendall(write[:9])
    time.sleep(0.05)  # let the device take the first half on its own
    second.sendall(mbap(0x0202, bytes.fromhex("03 00 00 00 03")))
    assert recv_mbap(second) == mbap(0x0202, bytes.fromhex("03 06 00 00 00 00 00 00"))
    assert not pending(first)
    first.sendall(write[9:])
    assert recv_mbap(first) == mbap(0x0101, bytes.fromhex("10 00 00 00 03"))
    second.sendall(mbap(0x0203, bytes.fromhex("04 00 64 00 02")))
    assert recv_mbap(second) == mbap(0x0203, bytes.fromhex("04 04 04 b0 01 e0"))


def test_partial_custom_frames_from_two_clients_never_mix(port, raw):
    supply_port = port("power_supply", "custom")
    first, second = raw(supply_port), raw(supply_port)
    write = seal(bytes.fromhex("01 10 00 00 00 03")) + custom_data(0x10, [1200, 500, 1])
    first.sendall(write[:13])  # the head and half a data frame
    time.sleep(0.05)
    second.sendall(custom_read(0x03, 0, 3))
    assert recv_exact(second, 24) == custom_data(0x03, [0, 0, 0])
    second.sendall(seal(bytes.fromhex("01 06 00 01 00 64")))  # a write in the middle
    assert recv_exact(second, 8) == seal(bytes.fromhex("01 06 00 01 00 64"))
    assert not pending(first)
    first.sendall(write[13:])
    assert recv_exact(first, 8) == seal(bytes.fromhex("01 10 00 00 00 03"))
    second.sendall(custom_read(0x04, 100, 2))
    assert recv_exact(second, 16) == custom_data(0x04, [1200, 480])
