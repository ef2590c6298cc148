"""CRC-16/MODBUS: reflected polynomial 0xA001, initial value 0xFFFF, no final XOR.

The CRC is sent low byte first on the wire.

>>> hex(crc16_modbus(b"123456789"))
'0x4b37'
>>> crc16_modbus(b"")
65535
"""

from __future__ import annotations

POLYNOMIAL = 0xA001
INITIAL = 0xFFFF


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ POLYNOMIAL if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _make_table()


def crc16_modbus(data: bytes, crc: int = INITIAL) -> int:
    """Return the CRC-16/MODBUS of ``data``; pass ``crc`` to continue a running CRC."""
    table = _TABLE
    for byte in data:
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc
