"""A four-channel thermocouple reader on Modbus, with its cold-junction temperature."""

from socketserver import ThreadingTCPServer

from simulators.common import ServerSpec
from simulators.devices._modbus import ModbusSystemPicker, modbus_port

servers: list[ServerSpec] = [
    (
        ("127.0.0.1", modbus_port("thermocouple")),
        (),
        ThreadingTCPServer,
        {"profile": "thermocouple"},
    ),
]
System = ModbusSystemPicker
