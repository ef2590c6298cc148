"""The docs harness itself: reading pages, moving ports, matching output, the netcat stand-in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.harness import NETCAT, blocks, matches, shift_command, shift_ports, steps

PAGE = """\
Title
=====

.. code-block:: console

   $ discos-simulator -s dut start   # a comment
   dut started (pid 48213)
     127.0.0.1:6000  tcp listening
   $ mfg-ctl run plans/x.yaml --station stations/local.yaml   # step 9 fails, exit status 1
   ...
    9 FAIL check: measured 4000, ...
   ...

.. code-block:: python

   client = ModbusTcpClient("127.0.0.1", port=5020)
   print(client.read())   # [1200, 480]
"""


@pytest.fixture
def page(tmp_path: Path) -> Path:
    path = tmp_path / "page.rst"
    path.write_text(PAGE)
    return path


def test_blocks_and_steps_are_read_from_a_page(page: Path) -> None:
    console, python = blocks(page)
    assert (console.language, python.language) == ("console", "python")
    start, run = steps(console)
    assert start.command.startswith("discos-simulator -s dut start")
    assert (start.status, start.output[0], start.line) == (0, "dut started (pid 48213)", 6)
    assert run.status == 1
    assert run.output == ["...", " 9 FAIL check: measured 4000, ...", "..."]
    assert "print(client.read())" in python.text


def test_commands_get_the_offset_where_they_reach_ports() -> None:
    assert shift_command("discos-simulator -s station start", 100) == (
        "discos-simulator --port-offset 100 -s station start"
    )
    assert shift_command("mfg-ctl simulate-fault dmm reset", 7) == (
        "mfg-ctl simulate-fault --port-offset 7 dmm reset"
    )
    assert shift_command("mfg-ctl run p.yaml --station s.yaml", 7) == (
        "mfg-ctl run --port-offset 7 p.yaml --station s.yaml"
    )
    # Devices simulated in-process are on free ports already: nothing to move.
    assert shift_command("mfg-ctl run p.yaml", 7) == "mfg-ctl run p.yaml"
    assert shift_command("printf 'x' | nc -q1 127.0.0.1 5021", 7).endswith("127.0.0.1 5028")
    assert shift_command("nc -u -w1 127.0.0.1 6002 # 127.0.0.1:80", 7) == (
        "nc -u -w1 127.0.0.1 6009 # 127.0.0.1:80"
    )
    assert shift_ports('Client("127.0.0.1", port=5020)', 1) == 'Client("127.0.0.1", port=5021)'
    assert shift_ports("set dc_voltage 5020", 1) == "set dc_voltage 5020"


def test_output_matches_by_shape_with_wildcards() -> None:
    shown = ["dut started (pid 1)", "  127.0.0.1:6000  tcp listening"]
    assert matches(shown, "dut+100 started (pid 777)\n  127.0.0.1:6100  tcp listening\n", 100)
    assert not matches(shown, "dut started (pid 777)\n  127.0.0.1:6000  tcp listening\n", 100)
    assert not matches(shown, "dut started (pid 7)\n  127.0.0.1:6100  tcp listening\nx\n", 100)
    report = [
        "Plan: p [FAIL]",
        "...",
        " 9 FAIL c: measured ..., expected 5",
        "...",
        "10/11 passed in 0.010s; first failure: 9 c",
    ]
    real = (
        "Plan: p [FAIL]\n 1 ok a\n 9 FAIL c: measured 4000, expected 5\n"
        "10/11 passed in 2.5s; first failure: 9 c\n"
    )
    assert matches(report, real, 1)
    assert not matches(report, real.replace("9 FAIL", "9 ok"), 1)


def test_the_netcat_stand_in_speaks_tcp_and_udp(tmp_path: Path) -> None:
    with (
        socket.create_server(("127.0.0.1", 0)) as server,
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as datagrams,
    ):
        datagrams.bind(("127.0.0.1", 0))
        port, udp_port = server.getsockname()[1], datagrams.getsockname()[1]
        env = {**os.environ, "DOCS_NETCAT_LINES": "2"}
        client = subprocess.Popen(
            [sys.executable, str(NETCAT), "-q1", "127.0.0.1", str(port)],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert client.stdin is not None
        client.stdin.write(b"A?\nB?\n")
        client.stdin.close()
        peer, _ = server.accept()
        with peer:
            received = b""
            while received.count(b"\n") < 2:
                received += peer.recv(100)
            peer.sendall(b"1\n2\n")
            assert client.wait(timeout=30) == 0
        assert client.stdout is not None
        assert (received, client.stdout.read()) == (b"A?\nB?\n", b"1\n2\n")
        client.stdout.close()

        udp = subprocess.Popen(
            [sys.executable, str(NETCAT), "-u", "-w1", "127.0.0.1", str(udp_port)],
            env={**env, "DOCS_NETCAT_LINES": "1"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert udp.stdin is not None
        udp.stdin.write(b"STATUS?\n")
        udp.stdin.close()
        datagrams.settimeout(30)
        request, sender = datagrams.recvfrom(100)
        datagrams.sendto(b"OK\n", sender)
        assert udp.wait(timeout=30) == 0
        assert udp.stdout is not None
        assert (request, udp.stdout.read()) == (b"STATUS?\n", b"OK\n")
        udp.stdout.close()
