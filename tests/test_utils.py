"""Tests for simulators.utils and the clocks it re-exports."""

from __future__ import annotations

import math
import threading
import time
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


@pytest.fixture
def fresh_default_clock(monkeypatch):
    """Forget the process-wide clock so the next default_clock() builds a new one."""
    monkeypatch.setattr(clock_module, "_default", None)
    return monkeypatch


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


# -- clocks ------------------------------------------------------------------


def test_default_clock_is_created_once(fresh_default_clock):
    fresh_default_clock.setenv(clock_module.SPEED_VARIABLE, "25")
    first = utils.default_clock()
    assert first is utils.default_clock()
    assert first.speed == 25.0
    assert abs(first.time() - time.time()) < 60


def test_default_clock_runs_at_real_speed_without_the_variable(fresh_default_clock):
    fresh_default_clock.delenv(clock_module.SPEED_VARIABLE, raising=False)
    assert utils.default_clock().speed == 1.0


def test_import_does_not_create_the_default_clock():
    import subprocess
    import sys

    code = "import simulators.utils, simulators.clock as c; print(c._default is None)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    )
    assert out.stdout.strip() == "True"


@pytest.mark.parametrize("raw", ["fast", "0", "-2", "nan", "inf"])
def test_default_clock_rejects_a_bad_speed_variable(fresh_default_clock, raw):
    fresh_default_clock.setenv(clock_module.SPEED_VARIABLE, raw)
    with pytest.raises(ValueError, match=f"SIMULATORS_CLOCK_SPEED must be .* got '{raw}'"):
        utils.default_clock()


def test_both_clocks_satisfy_the_protocol():
    assert isinstance(utils.SimulatedClock(), utils.Clock)
    assert isinstance(utils.ManualClock(), utils.Clock)


def test_manual_clock_moves_only_when_told():
    clock = utils.ManualClock(start=1_000.0)
    assert (clock.time(), clock.monotonic()) == (1_000.0, 0.0)
    time.sleep(0.01)
    assert clock.time() == 1_000.0
    clock.advance(2.5)
    clock.sleep(0.5)
    assert (clock.time(), clock.monotonic()) == (1_003.0, 3.0)
    assert clock.now() == datetime(1970, 1, 1, 0, 16, 43, tzinfo=UTC)
    assert "elapsed=3.0" in repr(clock)


def test_manual_clock_sleep_does_not_wait():
    clock = utils.ManualClock()
    started = time.monotonic()
    clock.sleep(3600.0)
    assert time.monotonic() - started < 1.0
    assert clock.monotonic() == 3600.0


def test_manual_clock_speed_is_settable_but_checked():
    clock = utils.ManualClock()
    clock.speed = 10
    assert clock.speed == 10.0
    clock.advance(1)
    assert clock.monotonic() == 1.0
    with pytest.raises(ValueError, match="speed"):
        clock.speed = 0


@pytest.mark.parametrize("seconds", [-1.0, math.nan, math.inf])
def test_clocks_reject_bad_durations(seconds):
    with pytest.raises(ValueError, match="seconds must be"):
        utils.ManualClock().advance(seconds)
    with pytest.raises(ValueError, match="seconds must be"):
        utils.ManualClock().sleep(seconds)
    with pytest.raises(ValueError, match="seconds must be"):
        utils.SimulatedClock().sleep(seconds)


@pytest.mark.parametrize("speed", [0, -1.0, math.nan, math.inf])
def test_simulated_clock_rejects_bad_speeds(speed):
    with pytest.raises(ValueError, match="speed must be"):
        utils.SimulatedClock(speed=speed)
    clock = utils.SimulatedClock()
    with pytest.raises(ValueError, match="speed must be"):
        clock.speed = speed
    assert clock.speed == 1.0


class FakeRealTime:
    """A real monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def real_time(monkeypatch):
    fake = FakeRealTime()
    monkeypatch.setattr(clock_module, "_real_monotonic", fake)
    return fake


def test_simulated_clock_scales_real_time_exactly(real_time):
    clock = utils.SimulatedClock(speed=60.0, start=1_000.0)
    assert (clock.monotonic(), clock.time()) == (0.0, 1_000.0)
    real_time.now += 2.0
    assert (clock.monotonic(), clock.time()) == (120.0, 1_120.0)
    assert clock.now() == datetime.fromtimestamp(1_120.0, tz=UTC)


def test_simulated_clock_speed_change_keeps_time_continuous(real_time):
    clock = utils.SimulatedClock(speed=2.0, start=0.0)
    real_time.now += 10.0
    assert clock.time() == 20.0
    clock.speed = 100.0
    assert clock.time() == 20.0  # no jump when the speed changes
    real_time.now += 1.0
    assert clock.time() == 120.0
    clock.speed = 0.5
    real_time.now += 4.0
    assert clock.time() == 122.0
    assert clock.speed == 0.5
    assert "speed=0.5" in repr(clock)


def test_simulated_clock_starts_at_real_time_by_default():
    before = time.time()
    clock = utils.SimulatedClock(speed=1.0)
    assert before <= clock.time() <= time.time() + 0.001


def test_simulated_clock_runs_faster_than_real_time():
    clock = utils.SimulatedClock(speed=50.0)
    real_start = time.monotonic()
    sim_start = clock.monotonic()
    time.sleep(0.02)
    sim_elapsed = clock.monotonic() - sim_start
    real_elapsed = time.monotonic() - real_start
    assert 50.0 * 0.02 <= sim_elapsed <= 50.0 * real_elapsed + 1e-6


def test_simulated_clock_sleep_is_short_in_real_time():
    clock = utils.SimulatedClock(speed=200.0)
    real_start = time.monotonic()
    sim_start = clock.monotonic()
    clock.sleep(4.0)  # 20 ms of real time
    assert clock.monotonic() - sim_start >= 4.0
    real_elapsed = time.monotonic() - real_start
    assert 0.02 * 0.9 <= real_elapsed < 1.0
    clock.sleep(0)


def test_speeding_up_wakes_a_sleeper_early():
    clock = utils.SimulatedClock(speed=1.0)
    done = threading.Event()

    def sleeper():
        clock.sleep(3600.0)
        done.set()

    thread = threading.Thread(target=sleeper, daemon=True)
    thread.start()
    time.sleep(0.01)
    assert not done.is_set()
    clock.speed = 1e6  # the remaining hour now takes under 4 ms
    assert done.wait(timeout=2.0)
    thread.join(timeout=2.0)
    assert clock.monotonic() >= 3600.0


def test_simulated_clock_never_goes_back_under_concurrent_speed_changes():
    clock = utils.SimulatedClock(speed=1.0)
    stop = threading.Event()
    problems = []

    def reader():
        last = clock.monotonic()
        while not stop.is_set():
            current = clock.monotonic()
            if current < last:
                problems.append((last, current))
            last = current

    readers = [threading.Thread(target=reader, daemon=True) for _ in range(3)]
    for thread in readers:
        thread.start()
    for i in range(200):
        clock.speed = 1.0 + (i % 7) * 100.0
    stop.set()
    for thread in readers:
        thread.join(timeout=2.0)
    assert problems == []
