"""A programmable DC power supply on Modbus: setpoint, current limit, output, readbacks."""

from socketserver import ThreadingTCPServer

from simulators.common import ServerSpec
from simulators.devices._modbus import ModbusSystemPicker, modbus_port

servers: list[ServerSpec] = [
    (
        ("127.0.0.1", modbus_port("power_supply")),
        (),
        ThreadingTCPServer,
        {"profile": "power_supply"},
    ),
]
System = ModbusSystemPicker
