"""A digital multimeter on Modbus: DC voltage, DC current and resistance readings."""

from socketserver import ThreadingTCPServer

from simulators.common import ServerSpec
from simulators.devices._modbus import ModbusSystemPicker, modbus_port

servers: list[ServerSpec] = [
    (("127.0.0.1", modbus_port("dmm")), (), ThreadingTCPServer, {"profile": "dmm"})
]
System = ModbusSystemPicker
