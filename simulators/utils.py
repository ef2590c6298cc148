"""Helpers for simulator authors: checksums, bit and byte conversions, IEEE 754
reals and astronomical time (MJD, time of day).

Time helpers read the simulated clock (re-exported here from
:mod:`simulators.clock`), so a simulator built on them runs at any test speed.
"""

from __future__ import annotations

import math
import struct
from datetime import UTC, datetime, timedelta
from functools import reduce
from operator import xor
from typing import Literal

from simulators.clock import Clock, ManualClock, SimulatedClock, default_clock
from simulators.protocols.modbus.crc import crc16_modbus

__all__ = [
    "Clock",
    "ManualClock",
    "SimulatedClock",
    "binary_complement",
    "binary_to_bytes",
    "bytes_to_binary",
    "bytes_to_int",
    "bytes_to_real",
    "bytes_to_uint",
    "checksum",
    "crc16_modbus",
    "day_microseconds",
    "day_milliseconds",
    "day_percentage",
    "default_clock",
    "int_to_bytes",
    "int_to_twos",
    "lrc",
    "mjd",
    "mjd_to_date",
    "real_to_bytes",
    "sign",
    "twos_to_int",
    "uint_to_bytes",
    "xor_checksum",
]

ByteOrder = Literal["big", "little"]
Precision = Literal["single", "double"]

MJD_EPOCH = datetime(1858, 11, 17, tzinfo=UTC)
"""Day zero of the Modified Julian Date."""

_US_PER_DAY = 86_400_000_000
_BIT_FLIP = str.maketrans("01", "10")
_REAL_FORMATS = {4: "f", 8: "d"}
_PRECISION_SIZES = {"single": 4, "double": 8}


# -- checksums ---------------------------------------------------------------


def checksum(data: bytes) -> int:
    """Return the one's complement of the 8-bit sum of ``data``.

    >>> hex(checksum(b"\\x01\\x02\\x03"))
    '0xf9'
    >>> checksum(b"")
    255
    """
    return ~sum(data) & 0xFF


def xor_checksum(data: bytes) -> int:
    """Return the XOR of all bytes of ``data`` (0 for no bytes).

    >>> hex(xor_checksum(b"\\x0f\\xf0\\x01"))
    '0xfe'
    """
    return reduce(xor, data, 0)


def lrc(data: bytes) -> int:
    """Return the Modbus ASCII LRC: the two's complement of the 8-bit sum of ``data``.

    >>> hex(lrc(bytes.fromhex("F7031389000A")))
    '0x60'
    """
    return -sum(data) & 0xFF


# -- bit strings -------------------------------------------------------------


def _check_bits(bits: str) -> None:
    if bits.strip("01"):
        raise ValueError(f"bit string must contain only '0' and '1', got {bits!r}")


def _check_byteorder(byteorder: str) -> None:
    if byteorder not in ("big", "little"):
        raise ValueError(f"byteorder must be 'big' or 'little', got {byteorder!r}")


def _check_n_bytes(n_bytes: int) -> None:
    if n_bytes < 1:
        raise ValueError(f"n_bytes must be at least 1, got {n_bytes}")


def binary_complement(bits: str) -> str:
    """Flip every bit of a string of '0' and '1'.

    >>> binary_complement("0011")
    '1100'
    """
    _check_bits(bits)
    return bits.translate(_BIT_FLIP)


def twos_to_int(bits: str) -> int:
    """Read a two's complement bit string (most significant bit first) as a signed int.

    >>> twos_to_int("11111110"), twos_to_int("01111111"), twos_to_int("1")
    (-2, 127, -1)
    """
    _check_bits(bits)
    if not bits:
        raise ValueError("bit string is empty: there is no number to read")
    value = int(bits, 2)
    return value - (1 << len(bits)) if bits[0] == "1" else value


def int_to_twos(value: int, n_bytes: int = 4) -> str:
    """Write ``value`` as a two's complement bit string of ``n_bytes * 8`` bits.

    >>> int_to_twos(-2, 1)
    '11111110'
    >>> int_to_twos(5, 2)
    '0000000000000101'
    """
    return bytes_to_binary(int_to_bytes(value, n_bytes))


def bytes_to_binary(data: bytes) -> str:
    """Return the bits of ``data``, 8 characters per byte, first byte first.

    >>> bytes_to_binary(b"\\x01\\x80")
    '0000000110000000'
    """
    return "".join(f"{byte:08b}" for byte in data)


def binary_to_bytes(bits: str) -> bytes:
    """Pack a bit string whose length is a multiple of 8, first byte first.

    >>> binary_to_bytes("0000000110000000")
    b'\\x01\\x80'
    """
    _check_bits(bits)
    if len(bits) % 8:
        raise ValueError(f"bit string length must be a multiple of 8, got {len(bits)}")
    return bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))


# -- integers ----------------------------------------------------------------


def bytes_to_int(data: bytes, byteorder: ByteOrder = "big") -> int:
    """Read ``data`` as a signed (two's complement) integer.

    >>> bytes_to_int(b"\\xff\\xfe"), bytes_to_int(b"\\xfe\\xff", "little")
    (-2, -2)
    """
    _check_byteorder(byteorder)
    if not data:
        raise ValueError("no bytes to read an integer from")
    return int.from_bytes(data, byteorder, signed=True)


def bytes_to_uint(data: bytes, byteorder: ByteOrder = "big") -> int:
    """Read ``data`` as an unsigned integer.

    >>> bytes_to_uint(b"\\xff\\xfe"), bytes_to_uint(b"\\x01\\x00", "little")
    (65534, 1)
    """
    _check_byteorder(byteorder)
    if not data:
        raise ValueError("no bytes to read an integer from")
    return int.from_bytes(data, byteorder, signed=False)


def int_to_bytes(value: int, n_bytes: int = 4, byteorder: ByteOrder = "big") -> bytes:
    """Write a signed integer on ``n_bytes`` bytes (two's complement).

    >>> int_to_bytes(-2, 2), int_to_bytes(1, 2, "little")
    (b'\\xff\\xfe', b'\\x01\\x00')
    """
    _check_byteorder(byteorder)
    _check_n_bytes(n_bytes)
    low, high = -(1 << (8 * n_bytes - 1)), (1 << (8 * n_bytes - 1)) - 1
    if not low <= value <= high:
        raise ValueError(
            f"{value} does not fit in {n_bytes} signed byte(s): range is {low}..{high}"
        )
    return value.to_bytes(n_bytes, byteorder, signed=True)


def uint_to_bytes(value: int, n_bytes: int = 4, byteorder: ByteOrder = "big") -> bytes:
    """Write an unsigned integer on ``n_bytes`` bytes.

    >>> uint_to_bytes(65534, 2), uint_to_bytes(1, 2, "little")
    (b'\\xff\\xfe', b'\\x01\\x00')
    """
    _check_byteorder(byteorder)
    _check_n_bytes(n_bytes)
    high = (1 << (8 * n_bytes)) - 1
    if not 0 <= value <= high:
        raise ValueError(f"{value} does not fit in {n_bytes} unsigned byte(s): range is 0..{high}")
    return value.to_bytes(n_bytes, byteorder, signed=False)


# -- reals -------------------------------------------------------------------


def real_to_bytes(
    value: float, precision: Precision = "single", byteorder: ByteOrder = "big"
) -> bytes:
    """Encode ``value`` as an IEEE 754 single (4 bytes) or double (8 bytes).

    >>> real_to_bytes(1.0).hex(), real_to_bytes(-2.5, "double", "little").hex()
    ('3f800000', '00000000000004c0')
    """
    _check_byteorder(byteorder)
    if precision not in _PRECISION_SIZES:
        raise ValueError(f"precision must be 'single' or 'double', got {precision!r}")
    code = _REAL_FORMATS[_PRECISION_SIZES[precision]]
    try:
        return struct.pack((">" if byteorder == "big" else "<") + code, value)
    except OverflowError:
        raise ValueError(f"{value!r} is too large for {precision} precision") from None


def bytes_to_real(data: bytes, byteorder: ByteOrder = "big") -> float:
    """Decode an IEEE 754 real: 4 bytes are a single, 8 bytes a double.

    >>> bytes_to_real(bytes.fromhex("3f800000")), bytes_to_real(bytes.fromhex("c004000000000000"))
    (1.0, -2.5)
    """
    _check_byteorder(byteorder)
    code = _REAL_FORMATS.get(len(data))
    if code is None:
        raise ValueError(f"an IEEE 754 real is 4 or 8 bytes long, got {len(data)}")
    value: float = struct.unpack((">" if byteorder == "big" else "<") + code, data)[0]
    return value


def sign(x: float) -> int:
    """Return -1, 0 or 1 as ``x`` is negative, zero or positive (NaN raises ValueError).

    >>> sign(-3.2), sign(0.0), sign(7)
    (-1, 0, 1)
    """
    if math.isnan(x):
        raise ValueError("NaN has no sign")
    return (x > 0) - (x < 0)


# -- time --------------------------------------------------------------------


def _utc(when: datetime | None) -> datetime:
    if when is None:
        return default_clock().now()
    if when.utcoffset() is None:
        raise ValueError(
            f"naive datetime {when.isoformat()} has no time zone; pass an aware one,"
            " e.g. with tzinfo=datetime.UTC"
        )
    return when.astimezone(UTC)


def mjd(when: datetime | None = None) -> float:
    """Return the Modified Julian Date of an aware datetime (default: the clock's now).

    >>> mjd(datetime(1858, 11, 17, tzinfo=UTC)), mjd(datetime(2000, 1, 1, tzinfo=UTC))
    (0.0, 51544.0)
    >>> mjd(datetime(2000, 1, 1, 18, tzinfo=UTC))
    51544.75
    """
    delta = _utc(when) - MJD_EPOCH
    return delta.days + (delta.seconds * 1_000_000 + delta.microseconds) / _US_PER_DAY


def mjd_to_date(mjd: float) -> datetime:
    """Return the aware UTC datetime of a Modified Julian Date.

    >>> mjd_to_date(51544.5).isoformat()
    '2000-01-01T12:00:00+00:00'
    """
    try:
        return MJD_EPOCH + timedelta(days=mjd)
    except (OverflowError, ValueError):
        raise ValueError(f"MJD {mjd!r} is outside the dates a datetime can hold") from None


def day_microseconds(when: datetime | None = None) -> int:
    """Return the microseconds elapsed since UTC midnight (default: the clock's now).

    >>> day_microseconds(datetime(2000, 1, 1, 0, 0, 1, 5, tzinfo=UTC))
    1000005
    """
    utc = _utc(when)
    return ((utc.hour * 60 + utc.minute) * 60 + utc.second) * 1_000_000 + utc.microsecond


def day_milliseconds(when: datetime | None = None) -> int:
    """Return the whole milliseconds elapsed since UTC midnight (default: the clock's now).

    >>> from datetime import timezone
    >>> day_milliseconds(datetime(2000, 1, 1, 2, 0, 0, 1999, tzinfo=timezone(timedelta(hours=1))))
    3600001
    """
    return day_microseconds(when) // 1000


def day_percentage(when: datetime | None = None) -> float:
    """Return the fraction of the UTC day elapsed, 0 <= x < 1 (default: the clock's now).

    >>> day_percentage(datetime(2000, 1, 1, 18, tzinfo=UTC))
    0.75
    """
    return day_microseconds(when) / _US_PER_DAY
