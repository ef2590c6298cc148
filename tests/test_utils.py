"""Tests for simulators.utils and the clocks it re-exports."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators import clock as clock_module
from simulators import utils
from simulators.protocols.modbus import crc

# Values outside the Literal types, as an untyped caller could pass them.
BAD: dict[str, Any] = {name: name for name in ("middle", "BIG", "native", "half", "pdp")}

# -- checksums ---------------------------------------------------------------


def test_checksum_known_vectors():
    assert utils.checksum(b"") == 0xFF
    assert utils.checksum(b"\x01\x02\x03") == 0xF9
    assert utils.checksum(b"\xff\x01") == 0xFF  # the sum wraps at 8 bits


def test_xor_checksum_known_vectors():
    assert utils.xor_checksum(b"") == 0
    assert utils.xor_checksum(b"\xaa\x55") == 0xFF
    assert utils.xor_checksum(b"\x12\x12") == 0


def test_lrc_modbus_ascii_example():
    # ":F7031389000A60" is the classic Modbus ASCII frame: LRC 0x60.
    assert utils.lrc(bytes.fromhex("F7031389000A")) == 0x60
    assert utils.lrc(bytes.fromhex("010300000001")) == 0xFB
    assert utils.lrc(b"") == 0


def test_crc16_modbus_is_the_protocol_one():
    assert utils.crc16_modbus is crc.crc16_modbus
    assert utils.crc16_modbus(b"123456789") == 0x4B37


@given(st.binary())
def test_checksums_cancel_the_data(data):
    assert (sum(data) + utils.lrc(data)) & 0xFF == 0
    assert (sum(data) + utils.checksum(data)) & 0xFF == 0xFF
    assert utils.xor_checksum(data + bytes([utils.xor_checksum(data)])) == 0


# -- bit strings -------------------------------------------------------------


def test_binary_complement():
    assert utils.binary_complement("0110") == "1001"
    assert utils.binary_complement("") == ""


@pytest.mark.parametrize("bits", ["012", "0b01", "1 0", "0_1", "abc"])
def test_bit_strings_reject_other_characters(bits):
    with pytest.raises(ValueError, match="only '0' and '1'"):
        utils.binary_complement(bits)
    with pytest.raises(ValueError, match="only '0' and '1'"):
        utils.twos_to_int(bits)
    with pytest.raises(ValueError, match="only '0' and '1'"):
        utils.binary_to_bytes(bits * 8)


@given(st.text(alphabet="01"))
def test_binary_complement_is_an_involution(bits):
    flipped = utils.binary_complement(bits)
    assert utils.binary_complement(flipped) == bits
    assert all(a != b for a, b in zip(bits, flipped, strict=True))


@pytest.mark.parametrize(
    ("bits", "value"),
    [
        ("0", 0),
        ("1", -1),
        ("01111111", 127),
        ("10000000", -128),
        ("11111110", -2),
        ("0000000100000000", 256),
    ],
)
def test_twos_to_int_known_vectors(bits, value):
    assert utils.twos_to_int(bits) == value


def test_twos_to_int_rejects_empty():
    with pytest.raises(ValueError, match="empty"):
        utils.twos_to_int("")


def test_int_to_twos_known_vectors():
    assert utils.int_to_twos(-1) == "1" * 32
    assert utils.int_to_twos(-128, 1) == "10000000"
    assert utils.int_to_twos(1, 2) == "0000000000000001"


@pytest.mark.parametrize(("value", "n_bytes"), [(128, 1), (-129, 1), (2**31, 4), (0, 0)])
def test_int_to_twos_rejects_what_does_not_fit(value, n_bytes):
    with pytest.raises(ValueError, match=r"does not fit|at least 1"):
        utils.int_to_twos(value, n_bytes)


@given(
    st.integers(min_value=1, max_value=16).flatmap(
        lambda n: st.tuples(st.just(n), st.integers(-(2 ** (8 * n - 1)), 2 ** (8 * n - 1) - 1))
    )
)
def test_twos_round_trip(case):
    n_bytes, value = case
    bits = utils.int_to_twos(value, n_bytes)
    assert len(bits) == 8 * n_bytes
    assert utils.twos_to_int(bits) == value


def test_binary_bytes_known_vectors():
    assert utils.bytes_to_binary(b"\x01\x80") == "0000000110000000"
    assert utils.binary_to_bytes("1111111100000010") == b"\xff\x02"
    assert utils.binary_to_bytes("") == b""


def test_binary_to_bytes_needs_whole_bytes():
    with pytest.raises(ValueError, match="multiple of 8"):
        utils.binary_to_bytes("1010101")


@given(st.binary())
def test_binary_round_trip(data):
    bits = utils.bytes_to_binary(data)
    assert len(bits) == 8 * len(data)
    assert utils.binary_to_bytes(bits) == data


# -- integers ----------------------------------------------------------------


def test_integer_known_vectors():
    assert utils.bytes_to_int(b"\x80\x00") == -32768
    assert utils.bytes_to_int(b"\x00\x80", "little") == -32768
    assert utils.bytes_to_uint(b"\x80\x00") == 32768
    assert utils.bytes_to_uint(b"\x12\x34", "little") == 0x3412
    assert utils.int_to_bytes(-1) == b"\xff\xff\xff\xff"
    assert utils.int_to_bytes(0x1234, 2, "little") == b"\x34\x12"
    assert utils.uint_to_bytes(0xFFFFFFFF) == b"\xff\xff\xff\xff"
    assert utils.uint_to_bytes(0x1234, 3, "little") == b"\x34\x12\x00"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: utils.int_to_bytes(128, 1),
            r"128 does not fit in 1 signed byte\(s\): range is -128\.\.127",
        ),
        (lambda: utils.int_to_bytes(-129, 1), "does not fit"),
        (lambda: utils.uint_to_bytes(256, 1), r"range is 0..255"),
        (lambda: utils.uint_to_bytes(-1, 2), "does not fit in 2 unsigned"),
        (lambda: utils.uint_to_bytes(1, 0), "n_bytes must be at least 1"),
        (lambda: utils.int_to_bytes(1, 4, BAD["middle"]), "byteorder must be 'big' or 'little'"),
        (lambda: utils.uint_to_bytes(1, 4, BAD["BIG"]), "byteorder"),
        (lambda: utils.bytes_to_int(b"\x01", BAD["native"]), "byteorder"),
        (lambda: utils.bytes_to_uint(b"\x01", BAD["native"]), "byteorder"),
        (lambda: utils.bytes_to_int(b""), "no bytes"),
        (lambda: utils.bytes_to_uint(b""), "no bytes"),
    ],
)
def test_integer_errors_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@given(st.binary(min_size=1, max_size=16), st.sampled_from(["big", "little"]))
def test_integer_round_trips(data, byteorder):
    n = len(data)
    assert utils.int_to_bytes(utils.bytes_to_int(data, byteorder), n, byteorder) == data
    assert utils.uint_to_bytes(utils.bytes_to_uint(data, byteorder), n, byteorder) == data
    assert utils.bytes_to_int(data, byteorder) == utils.twos_to_int(
        utils.bytes_to_binary(data if byteorder == "big" else data[::-1])
    )


# -- reals -------------------------------------------------------------------


def test_real_known_vectors():
    assert utils.real_to_bytes(1.0) == bytes.fromhex("3f800000")
    assert utils.real_to_bytes(1.0, byteorder="little") == bytes.fromhex("0000803f")
    assert utils.real_to_bytes(-2.0, "double") == bytes.fromhex("c000000000000000")
    assert utils.bytes_to_real(bytes.fromhex("40490fdb")) == pytest.approx(math.pi, rel=1e-7)
    assert utils.bytes_to_real(bytes.fromhex("0000803f"), "little") == 1.0
    assert utils.bytes_to_real(utils.real_to_bytes(math.inf)) == math.inf
    assert math.isnan(utils.bytes_to_real(utils.real_to_bytes(math.nan, "double")))


def test_single_precision_rounds():
    assert utils.bytes_to_real(utils.real_to_bytes(0.1)) != 0.1
    assert utils.bytes_to_real(utils.real_to_bytes(0.1)) == pytest.approx(0.1, rel=1e-7)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: utils.real_to_bytes(1e39), "too large for single precision"),
        (lambda: utils.real_to_bytes(1.0, BAD["half"]), "precision must be 'single' or 'double'"),
        (lambda: utils.real_to_bytes(1.0, "single", BAD["pdp"]), "byteorder"),
        (lambda: utils.bytes_to_real(b"\x00" * 2), "4 or 8 bytes long, got 2"),
        (lambda: utils.bytes_to_real(b"\x00" * 4, BAD["pdp"]), "byteorder"),
    ],
)
def test_real_errors_say_what_is_wrong(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@given(st.floats(allow_nan=False), st.sampled_from(["big", "little"]))
def test_double_round_trip(value, byteorder):
    data = utils.real_to_bytes(value, "double", byteorder)
    assert len(data) == 8
    assert utils.bytes_to_real(data, byteorder) == value


@given(st.floats(width=32, allow_nan=False), st.sampled_from(["big", "little"]))
def test_single_round_trip(value, byteorder):
    data = utils.real_to_bytes(value, "single", byteorder)
    assert len(data) == 4
    assert utils.bytes_to_real(data, byteorder) == value


def test_sign():
    values = (-math.inf, -1e-300, -0.0, 0.0, 3, math.inf)
    assert [utils.sign(x) for x in values] == [-1, -1, 0, 0, 1, 1]
    with pytest.raises(ValueError, match="NaN"):
        utils.sign(math.nan)


# -- time --------------------------------------------------------------------


def test_mjd_known_dates():
    assert utils.mjd(datetime(1858, 11, 17, tzinfo=UTC)) == 0.0
    assert utils.mjd(datetime(2000, 1, 1, tzinfo=UTC)) == 51544.0
    assert utils.mjd(datetime(1858, 11, 16, 12, tzinfo=UTC)) == -0.5
    # The same instant in another time zone gives the same MJD.
    tokyo = timezone(timedelta(hours=9))
    assert utils.mjd(datetime(2000, 1, 1, 9, tzinfo=tokyo)) == 51544.0


def test_mjd_to_date_known_dates():
    assert utils.mjd_to_date(0) == datetime(1858, 11, 17, tzinfo=UTC)
    assert utils.mjd_to_date(51544.25) == datetime(2000, 1, 1, 6, tzinfo=UTC)
    assert utils.mjd_to_date(51544.25).tzinfo is UTC


@pytest.mark.parametrize("value", [1e12, -1e12, math.nan, math.inf])
def test_mjd_to_date_rejects_impossible_dates(value):
    with pytest.raises(ValueError, match="outside the dates"):
        utils.mjd_to_date(value)


@given(
    st.datetimes(
        min_value=datetime(1800, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    )
)
def test_mjd_round_trip(when):
    assert abs(utils.mjd_to_date(utils.mjd(when)) - when) <= timedelta(microseconds=5)


@pytest.mark.parametrize(
    "helper",
    [utils.mjd, utils.day_milliseconds, utils.day_microseconds, utils.day_percentage],
)
def test_time_helpers_reject_naive_datetimes(helper):
    with pytest.raises(ValueError, match="naive datetime"):
        helper(datetime(2000, 1, 1))


def test_time_of_day():
    when = datetime(2024, 2, 29, 12, 30, 15, 250_999, tzinfo=UTC)
    assert utils.day_microseconds(when) == (12 * 3600 + 30 * 60 + 15) * 1_000_000 + 250_999
    assert utils.day_milliseconds(when) == (12 * 3600 + 30 * 60 + 15) * 1000 + 250
    assert utils.day_percentage(when) == pytest.approx(45015.250999 / 86400)
    midnight = datetime(2024, 3, 1, tzinfo=UTC)
    assert utils.day_microseconds(midnight) == 0
    assert utils.day_percentage(midnight) == 0.0
    # 00:30 in UTC+1 is 23:30 of the previous UTC day.
    assert (
        utils.day_milliseconds(midnight.replace(tzinfo=timezone(timedelta(hours=1)), minute=30))
        == 23.5 * 3600 * 1000
    )


@given(st.datetimes(timezones=st.just(UTC)))
def test_day_percentage_stays_in_range(when):
    assert 0.0 <= utils.day_percentage(when) < 1.0


def test_time_helpers_default_to_the_default_clock(fresh_default_clock):
    fresh_default_clock.delenv(clock_module.SPEED_VARIABLE, raising=False)
    # Day 60000 at 18:00 UTC, in UNIX seconds.
    start = (60000 - 40587) * 86400.0 + 18 * 3600
    default = utils.default_clock()
    manual = utils.ManualClock(start=start)
    fresh_default_clock.setattr(default, "now", manual.now)
    assert utils.mjd() == 60000.75
    assert utils.day_percentage() == 0.75
    assert utils.day_milliseconds() == 18 * 3600 * 1000
    assert utils.day_microseconds() == 18 * 3600 * 1_000_000
