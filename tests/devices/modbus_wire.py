"""What the Modbus wire tests share: the station's register map and wire helpers.

The helpers build and read frames independently of the code under test.
"""

from __future__ import annotations

import logging
import select
import socket
import struct
from typing import Any

import pytest
from pymodbus.client import ModbusTcpClient
from pymodbus.framer import FramerSocket
from pymodbus.pdu import DecodePDU

from simulators.modbus_client import ModbusClient

HOST = "127.0.0.1"
WAIT = 2.0  # seconds: the bound on every socket wait
DEVICE_LOGGER = "simulators.devices"

#: doc/reference_station.rst, every register of every device: (table, address, default).
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
