"""A linear actuator on Modbus: a target position, the position it reached, its status."""

from socketserver import ThreadingTCPServer

from simulators.common import ServerSpec
from simulators.devices._modbus import ModbusSystemPicker, modbus_port

servers: list[ServerSpec] = [
    (("127.0.0.1", modbus_port("actuator")), (), ThreadingTCPServer, {"profile": "actuator"})
]
System = ModbusSystemPicker
