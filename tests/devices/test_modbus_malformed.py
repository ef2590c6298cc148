"""Malformed input on the wire: bad bytes are dropped, logged and resynchronised past."""

from __future__ import annotations

import logging
import random
import socket
import time

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from simulators.protocols.modbus import (
    FRAMINGS,
)
from tests.devices.modbus_wire import (
    DEVICE_LOGGER,
    HOST,
    WAIT,
    crc16,
    custom_data,
    custom_exception,
    custom_read,
    dropped_logs,
    mbap,
    recv_exact,
    recv_mbap,
    recv_until,
    seal,
)

# -- malformed input ----------------------------------------------------------------------

GOOD_CUSTOM = custom_read(0x04, 100, 3)
GOOD_CUSTOM_ANSWER = custom_data(0x04, [4980, 120, 1000])
GOOD_MBAP = mbap(0x0505, bytes.fromhex("04 00 64 00 03"))
GOOD_MBAP_ANSWER = mbap(0x0505, bytes.fromhex("04 06 13 74 00 78 03 e8"))


def good_request(framing: str) -> tuple[bytes, bytes]:
    return (
        (GOOD_CUSTOM, GOOD_CUSTOM_ANSWER) if framing == "custom" else (GOOD_MBAP, GOOD_MBAP_ANSWER)
    )


def answered_on_a_new_connection(port: int, framing: str) -> None:
    request, answer = good_request(framing)
    with socket.create_connection((HOST, port), WAIT) as sock:
        sock.settimeout(WAIT)
        sock.sendall(request)
        assert recv_exact(sock, len(answer)) == answer


CUSTOM_GARBAGE = {
    "short frame": GOOD_CUSTOM[:5],
    "bad CRC": GOOD_CUSTOM[:7] + bytes([GOOD_CUSTOM[7] ^ 0x01]),
    "bad CRC in a long run": bytes(range(0x30, 0x30 + 29)),
    "exception frame": custom_exception(0x03, 2),
    "data frame outside an operation": custom_data(0x10, [5, 6])[8:],
    "unit 250": custom_read(0x04, 100, 1, unit=250),
    "random": random.Random(7).randbytes(40),
    "a command prefix with no command": b"$system_",
}


@pytest.mark.parametrize("case", list(CUSTOM_GARBAGE))
def test_the_custom_framing_drops_bad_bytes_logs_them_and_resynchronises(port, raw, caplog, case):
    caplog.set_level(logging.WARNING, logger=DEVICE_LOGGER)
    garbage = CUSTOM_GARBAGE[case]
    dmm_port = port("dmm", "custom")
    throwaway = raw(dmm_port)
    throwaway.sendall(garbage)
    throwaway.close()
    answered_on_a_new_connection(dmm_port, "custom")

    caplog.clear()
    sock = raw(dmm_port)
    sock.sendall(garbage)
    sock.sendall(GOOD_CUSTOM)
    assert recv_exact(sock, len(GOOD_CUSTOM_ANSWER)) == GOOD_CUSTOM_ANSWER
    logs = dropped_logs(caplog)
    assert logs, "nothing logged"
    assert all("dropped" in line for line in logs)
    assert garbage[:4].hex(" ") in " ".join(logs)


def test_a_damaged_frame_then_half_a_good_one_keeps_the_good_half(port, raw, caplog):
    """With no good window buffered, all but the last 7 bytes go: they may start a frame."""
    caplog.set_level(logging.WARNING, logger=DEVICE_LOGGER)
    sock = raw(port("dmm", "custom"))
    damaged = CUSTOM_GARBAGE["bad CRC"]
    sock.sendall(damaged + GOOD_CUSTOM[:5])
    time.sleep(0.05)  # let the device see the 13 bytes on their own
    sock.sendall(GOOD_CUSTOM[5:])
    assert recv_exact(sock, len(GOOD_CUSTOM_ANSWER)) == GOOD_CUSTOM_ANSWER
    assert any(damaged.hex(" ") in line for line in dropped_logs(caplog))


def test_a_write_multiple_cut_short_is_dropped_and_not_applied(port, raw, caplog):
    caplog.set_level(logging.WARNING, logger=DEVICE_LOGGER)
    supply_port = port("power_supply", "custom")
    sock = raw(supply_port)
    head = seal(bytes.fromhex("01 10 00 00 00 03"))
    sock.sendall(head + custom_data(0x10, [1200, 500, 1])[:16])  # two of three data frames
    sock.sendall(custom_read(0x03, 0, 3))
    assert recv_exact(sock, 24) == custom_data(0x03, [0, 0, 0])
    assert any("cut short" in line for line in dropped_logs(caplog))


MBAP_GARBAGE = {
    "wrong protocol id": bytes.fromhex("00 08 00 01 00 06 01 03 00 00 00 01"),
    "absurd length": bytes.fromhex("00 09 00 00 ff ff"),
    "length 1": bytes.fromhex("00 0a 00 00 00 01 01"),
    "length 255": bytes.fromhex("00 0b 00 00 00 ff 01 03"),
    "reserved unit": mbap(0x0C, bytes.fromhex("04 00 64 00 01"), unit=250),
    "exception code as a request": mbap(0x0D, bytes.fromhex("83 02")),
}


@pytest.mark.parametrize("case", list(MBAP_GARBAGE))
def test_mbap_drops_bad_headers_logs_them_and_resynchronises(port, raw, caplog, case):
    caplog.set_level(logging.WARNING, logger=DEVICE_LOGGER)
    garbage = MBAP_GARBAGE[case]
    dmm_port = port("dmm")
    throwaway = raw(dmm_port)
    throwaway.sendall(garbage)
    throwaway.close()
    answered_on_a_new_connection(dmm_port, "modbus-tcp")

    caplog.clear()
    sock = raw(dmm_port)
    sock.sendall(garbage)
    sock.sendall(GOOD_MBAP)
    assert recv_exact(sock, len(GOOD_MBAP_ANSWER)) == GOOD_MBAP_ANSWER
    logs = dropped_logs(caplog)
    assert logs, "nothing logged"
    assert all("dropped" in line for line in logs)
    assert garbage[:3].hex(" ") in " ".join(logs)


def test_a_short_mbap_frame_on_a_closed_connection_is_forgotten(port, raw):
    dmm_port = port("dmm")
    for partial in (GOOD_MBAP[:3], GOOD_MBAP[:7], GOOD_MBAP[:-1]):
        sock = raw(dmm_port)
        sock.sendall(partial)
        sock.close()
        answered_on_a_new_connection(dmm_port, "modbus-tcp")


def test_a_malformed_pdu_of_a_supported_function_answers_exception_3(port, raw):
    sock = raw(port("dmm"))
    sock.sendall(mbap(0x0E, bytes.fromhex("10 00 00 00 02 03 00 01 00")))  # byte count 3
    assert recv_mbap(sock) == mbap(0x0E, bytes.fromhex("90 03"))


def _straddles_a_good_window(garbage: bytes, request: bytes) -> bool:
    """Whether an 8-byte window across the garbage/request boundary passes the CRC."""
    stream = garbage + request
    start = max(0, len(garbage) - 7)
    return any(crc16(stream[i : i + 8]) == 0 for i in range(start, len(garbage)))


@pytest.mark.parametrize("framing", FRAMINGS)
def test_random_bytes_never_crash_a_device(port, raw, capfd, framing):
    dmm_port = port("dmm", framing)
    request, answer = good_request(framing)

    @settings(deadline=None, max_examples=30, database=None)
    @given(st.binary(min_size=1, max_size=64))
    def check(garbage: bytes) -> None:
        # Custom commands are not noise: a whole one would act ($system_stop% ends the
        # device), and a bare prefix is pinned by the "a command prefix" garbage case.
        assume(b"$system_" not in garbage)
        sock = raw(dmm_port)
        sock.sendall(garbage)
        if framing == "custom" and not _straddles_a_good_window(garbage, request):
            sock.sendall(request)  # the same connection resynchronises
            assert recv_until(sock, answer).endswith(answer)
        sock.close()
        answered_on_a_new_connection(dmm_port, framing)

    check()
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "Exception occurred" not in err
