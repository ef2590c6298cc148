"""The reference test station: power supply, DMM, actuator and thermocouple in one process.

Its ports are those of the four devices, so ``discos-simulator start`` (every
simulator) leaves it out; start it with ``-s station``.
"""

from socketserver import ThreadingTCPServer

from simulators.common import ServerSpec
from simulators.devices._modbus import PORTS, ModbusSystemPicker

servers: list[ServerSpec] = [
    (("127.0.0.1", port), (), ThreadingTCPServer, {"profile": name}) for name, port in PORTS.items()
]
System = ModbusSystemPicker
#: Started only by name: its ports overlap those of the four single devices.
start_with_all = False
