"""Modbus reads saturate at the 16-bit bounds; no value a fault makes can crash a read.

``$system_fault:drift,dc_voltage,1e308%`` makes the value overflow to
infinity on the second read; like an SCPI instrument's overload reading, the
register reads 65535 (or 0 below range), the connection stays open and the
log holds no traceback.
"""

from __future__ import annotations

import logging
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators import plugins
from simulators.client import Client
from simulators.devices._modbus.model import RegisterError, RegisterModel
from simulators.devices._modbus.system import ModbusSystem
from simulators.host import SystemHost
from simulators.launcher import Simulator
from simulators.modbus_client import ModbusClient, ModbusDeviceError
from simulators.profiles import load_profile
from simulators.server import make_server

DC_VOLTAGE = 100  # input register of the dmm


@pytest.fixture
def dmm() -> Iterator[tuple[ModbusClient, Client]]:
    """A dmm in the custom framing: a Modbus client and a custom-command client."""
    with Simulator("dmm", plugins.load("dmm"), ephemeral=True) as sim:
        address = sim.addresses[0]
        with (
            ModbusClient(address.host, address.port, timeout=10.0) as modbus,
            Client(address.host, address.port, timeout=10.0) as commands,
        ):
            yield modbus, commands


@pytest.mark.parametrize(("step", "bound"), [("1e308", 65535), ("-1e308", 0)])
def test_an_overflowing_drift_saturates_and_keeps_the_connection(
    dmm: tuple[ModbusClient, Client], step: str, bound: int, caplog: pytest.LogCaptureFixture
) -> None:
    modbus, commands = dmm
    caplog.set_level(logging.DEBUG)
    assert commands.custom("fault", "drift", "dc_voltage", step) == "ok"
    connection = modbus._sock  # the same socket must serve every read
    readings = [modbus.read_input(DC_VOLTAGE)[0] for _ in range(4)]  # 1e308, then infinity
    assert readings == [bound] * 4
    assert modbus._sock is connection
    assert f"dc_voltage = {bound}" in commands.custom("registers")
    assert commands.custom("clear_faults") == "ok"
    assert commands.custom("reset") == "ok"
    assert modbus.read_input(DC_VOLTAGE) == [4980]
    assert not [record for record in caplog.records if record.exc_info]
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]


DIVIDER = """
name: divider
unit: 1
registers:
  - name: divisor
    address: 0
    table: holding
  - name: ratio
    address: 100
    table: input
    derive: 1000 / divisor
"""


def test_a_failing_derived_register_answers_device_failure(tmp_path: Path) -> None:
    path = tmp_path / "divider.yaml"
    path.write_text(DIVIDER)
    device = RegisterModel(load_profile(path))
    with pytest.raises(RegisterError, match="division by zero") as raised:
        device.read("input", 100, 1)
    assert raised.value.code == 4
    assert "input 100 ratio = ? (1000 / divisor: float division by zero)" in device.describe()
    server = make_server(
        SystemHost(ModbusSystem(path), lambda: None),
        "listening",
        ("127.0.0.1", 0),
        socketserver.ThreadingTCPServer,
    )
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        host, port = server.server_address[:2]
        with ModbusClient(host, port, timeout=10.0) as modbus:
            with pytest.raises(ModbusDeviceError, match="server device failure"):
                modbus.read_input(100)
            modbus.write_register(0, 8)
            assert modbus.read_input(100) == [125]
    finally:
        server.shutdown()
        server.server_close()
        server.close_connections()
