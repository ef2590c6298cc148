"""Our :class:`~simulators.modbus_client.ModbusClient` against a pymodbus server."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator

import pytest
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

from simulators.modbus_client import ModbusDeviceError
from simulators.protocols.modbus import (
    ModbusProtocolError,
    UnsupportedFunction,
    WriteSingleRegister,
)
from tests.devices.modbus_wire import (
    HOST,
    WAIT,
    mbap,
    recv_mbap,
)

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
