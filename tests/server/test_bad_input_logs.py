"""A flood of bad input writes a few log lines, not one per frame.

Each case sends a megabyte of crafted bad frames over a real socket, then one
good request whose answer proves the megabyte was parsed; the log records
captured meanwhile stay few, and one of them says how many were left out.
"""

from __future__ import annotations

import logging
import socket
import socketserver
import struct
import threading
import types

import pytest

from simulators import plugins
from simulators.commands import CustomCommand, dispatch
from simulators.common import ListeningSystem
from simulators.devices._modbus.system import ModbusSystem
from simulators.host import SystemHost
from simulators.launcher import Simulator
from simulators.ratelimit import BURST, RateLimitedLog
from simulators.server import make_server
from tests.server import fake_devices
from tests.server.conftest import answer, frame

MEGABYTE = 1 << 20
#: A quarter of that where every byte is a parse call: still ~20,000 lines before the limit.
FLOOD_BYTES = {"byte-wise ValueError": MEGABYTE // 4}
#: Far more than the limiter lets through in the time a megabyte takes, far fewer than frames.
MOST_LINES = 100


def mbap(protocol: int, pdu: bytes) -> bytes:
    """A Modbus TCP frame to unit 1 with the given protocol identifier (0 is Modbus)."""
    return struct.pack(">HHHB", 1, protocol, len(pdu) + 1, 1) + pdu


READ_DC_VOLTAGE = bytes([4, 0, 100, 0, 1])

CASES = {
    # name: (plugin, type, crafted bad bytes, good request, size of its answer or None: a line)
    "modbus-tcp bad protocol id": (
        "dmm",
        "modbus-tcp",
        mbap(0xFFFF, READ_DC_VOLTAGE),
        mbap(0, READ_DC_VOLTAGE),
        11,
    ),
    "dut line too long": ("dut", None, b"x" * 2000 + b"\n", b"*IDN?\n", None),
    "byte-wise ValueError": ("bytewise", None, frame(b"bad"), frame(b"ok"), len(answer(b"ok"))),
}


#: The fake frame device written byte-wise: ``parse`` behind the adapter session.
BYTEWISE = types.ModuleType("bytewise")
BYTEWISE.System = fake_devices.ByteFrameSystem  # type: ignore[attr-defined]
BYTEWISE.servers = [(("127.0.0.1", 0), (), socketserver.ThreadingTCPServer, {})]  # type: ignore[attr-defined]


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
    name, system_type, bad, good, size = CASES[case]
    module = BYTEWISE if name == "bytewise" else plugins.load(name)
    caplog.set_level(logging.INFO)
    with Simulator(name, module, system_type=system_type, ephemeral=True) as sim:
        address = sim.addresses[0]
        with socket.create_connection((address.host, address.port), timeout=60) as client:
            flood = bad * (FLOOD_BYTES.get(case, MEGABYTE) // len(bad))
            client.sendall(flood + good)
            assert receive(client, size)  # the good request after the flood is answered
    ours = [r for r in caplog.records if r.name.startswith("simulators")]
    assert len(ours) < MOST_LINES, f"{len(ours)} log records for {len(flood)} bytes of {case}"
    assert any("too many similar messages" in r.getMessage() for r in ours)


def test_refused_modbus_requests_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    # Well-formed requests for a register that does not exist: each is answered
    # with exception 2, and logged at INFO only as the limiter allows.
    system = ModbusSystem("dmm", framing="modbus-tcp")
    caplog.set_level(logging.INFO)
    replies = system.parse_chunk(mbap(0, bytes([4, 0x10, 0, 0, 1])) * 10_000)
    assert len(replies) == 10_000
    assert len(caplog.records) < MOST_LINES


def test_failing_custom_commands_are_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    system = fake_devices.FrameSystem()
    caplog.set_level(logging.INFO)
    for _ in range(10_000):
        assert dispatch(system, CustomCommand("fail")).startswith("error: fail: it broke")
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


class Broken(ListeningSystem):
    """A System with a bug: any byte raises something other than ValueError."""

    def parse(self, byte: bytes) -> bool | bytes:
        raise ZeroDivisionError("a bug in the System")


def test_an_unexpected_error_is_logged_not_printed(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    server = make_server(
        SystemHost(Broken(), lambda: None),
        "listening",
        ("127.0.0.1", 0),
        socketserver.ThreadingTCPServer,
    )
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        for _ in range(3):  # the server survives each broken connection
            with socket.create_connection(server.server_address[:2], timeout=60) as client:
                client.sendall(b"x")
                assert client.recv(1) == b""  # the connection ends
    finally:
        server.shutdown()
        server.server_close()
        server.close_connections()
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert errors
    assert all(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in errors)
    assert "Traceback" not in capfd.readouterr().err
