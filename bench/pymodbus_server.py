"""The Modbus baseline: a pymodbus TCP server holding the DMM's dc_voltage at input register 100.

Run as a script with a port; it serves until killed.
"""

from __future__ import annotations

import logging
import sys

from pymodbus.datastore import ModbusDeviceContext, ModbusSequentialDataBlock, ModbusServerContext
from pymodbus.server import StartTcpServer

DC_VOLTAGE = 4980


def main() -> None:
    logging.disable(logging.WARNING)
    # pymodbus data blocks are 1-based: block address 101 holds wire address 100.
    registers = ModbusSequentialDataBlock(101, [DC_VOLTAGE, 120, 1000])  # type: ignore[no-untyped-call]
    context = ModbusServerContext(devices=ModbusDeviceContext(ir=registers), single=True)
    StartTcpServer(context=context, address=("127.0.0.1", int(sys.argv[1])))


if __name__ == "__main__":
    main()
