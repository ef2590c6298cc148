"""A flood of bad input writes a few log lines, not one per frame.

Each case sends a megabyte of crafted bad frames over a real socket, then one
good request whose answer proves the megabyte was parsed; the log records
captured meanwhile stay few, and one of them says how many were left out.
"""

from __future__ import annotations

import logging
import socket
import struct

import pytest

from simulators import plugins
from simulators.commands import Command, dispatch
from simulators.launcher import Simulator
from simulators.ratelimit import BURST, RateLimitedLog
from tests.server import fake_devices
from tests.server.conftest import answer, frame

MEGABYTE = 1 << 20
#: Far more than the limiter lets through in the time a megabyte takes, far fewer than frames.
MOST_LINES = 100


def crc16(data: bytes) -> int:
    """CRC-16/MODBUS, written here independently of the code under test."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def modbus_read(address: int) -> bytes:
    """A custom-framing read of one input register."""
    body = struct.pack(">BBHH", 1, 4, address, 1)
    crc = crc16(body)
    return body + bytes((crc & 0xFF, crc >> 8))


def bad_crc(good: bytes) -> bytes:
    return good[:-1] + bytes([good[-1] ^ 0xFF])


CASES = {
    # name: (plugin, crafted bad bytes, good request, size of its answer or None for a line)
    "modbus bad CRC": ("dmm", bad_crc(modbus_read(100)), modbus_read(100), 8),
    "dut line too long": ("dut", b"x" * 2000 + b"\n", b"*IDN?\n", None),
    "byte-wise ValueError": ("fake", frame(b"bad"), frame(b"ok"), len(answer(b"ok"))),
}


def receive(sock: socket.socket, size: int | None) -> bytes:
    data = b""
    while (size is None and not data.endswith(b"\n")) or (size is not None and len(data) < size):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


@pytest.mark.parametrize("case", CASES)
def test_a_megabyte_of_bad_frames_writes_few_log_lines(
    case: str, caplog: pytest.LogCaptureFixture
) -> None:
    name, bad, good, size = CASES[case]
    module = fake_devices if name == "fake" else plugins.load(name)
    caplog.set_level(logging.INFO)
    with Simulator(name, module, ephemeral=True) as sim:
        address = sim.addresses[0]
        with socket.create_connection((address.host, address.port), timeout=60) as client:
            flood = bad * (MEGABYTE // len(bad))
            client.sendall(flood + good)
            assert receive(client, size)  # the good request after the flood is answered
    ours = [r for r in caplog.records if r.name.startswith("simulators")]
    assert len(ours) < MOST_LINES, f"{len(ours)} log records for {len(flood)} bytes of {case}"
    assert any("too many similar messages" in r.getMessage() for r in ours)


def test_failing_custom_commands_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    system = fake_devices.FrameSystem()
    caplog.set_level(logging.INFO)
    for _ in range(10_000):
        assert dispatch(system, Command("fail")).startswith("error: fail: it broke")
    assert len(caplog.records) < MOST_LINES


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_limiter_lets_a_burst_through_then_a_line_a_second(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    log = RateLimitedLog(clock=clock)
    logger = logging.getLogger("simulators.test")
    caplog.set_level(logging.WARNING)
    logged = [log.log(logger, logging.WARNING, "bad frame %d", n) for n in range(1000)]
    assert logged.count(True) == BURST
    assert [r.getMessage() for r in caplog.records][BURST:] == [
        "too many similar messages: logging at most 1 a second until they calm down"
    ]
    clock.now += 1.0
    assert log.log(logger, logging.WARNING, "bad frame %d", 1000)
    assert caplog.records[-1].getMessage() == (
        f"bad frame 1000 ({1000 - BURST} similar messages suppressed before this one)"
    )
    assert not log.log(logger, logging.WARNING, "bad frame")  # the second in that second


def test_a_disabled_level_costs_no_token(caplog: pytest.LogCaptureFixture) -> None:
    log = RateLimitedLog(burst=1, clock=FakeClock())
    logger = logging.getLogger("simulators.test")
    caplog.set_level(logging.INFO)
    assert not log.log(logger, logging.DEBUG, "hidden")
    assert log.log(logger, logging.INFO, "shown")


def test_a_limiter_needs_a_positive_rate() -> None:
    with pytest.raises(ValueError, match="burst must be >= 1"):
        RateLimitedLog(burst=0)
