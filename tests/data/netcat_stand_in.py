"""A stand-in for ``nc`` when the documentation's shell examples run in the test suite.

The docs show OpenBSD netcat (``nc -N HOST PORT``, ``nc -u -w1 HOST PORT``,
``nc HOST PORT``). This script takes those options and does what they do for a
request/reply exchange: send standard input (one datagram over UDP), copy
what comes back to standard output, and with ``-N`` close the sending half
when the input ends and read until the peer closes (``-q`` quits that many
seconds after the input ends, ``-w`` after that many idle seconds). It exists
so the examples run on machines without netcat, and fast: when
``DOCS_NETCAT_LINES`` says how many lines the docs show, it stops once that
many have arrived (plus a short grace period to catch extra ones), instead of
waiting for ``-q``. Every wait is bounded.
"""

from __future__ import annotations

import os
import select
import socket
import sys
import time

#: The longest a run may wait for the lines the docs show.
MAX_WAIT = 15.0
#: How long to keep reading after the expected lines, to catch unexpected extra ones.
GRACE = 0.05


def parse(argv: list[str]) -> tuple[bool, bool, float | None, float | None, str, int]:
    """Return (udp, half_close, quit_after_eof, idle_timeout, host, port) from nc arguments."""
    udp, half_close, quit_after, idle = False, False, None, None
    positional: list[str] = []
    arguments = iter(argv)
    for argument in arguments:
        if argument == "-u":
            udp = True
        elif argument == "-N":
            half_close = True
        elif argument.startswith(("-q", "-w")):
            value = float(argument[2:] or next(arguments))
            if argument.startswith("-q"):
                quit_after = value
            else:
                idle = value
        elif argument.startswith("-"):
            raise SystemExit(f"nc stand-in: unsupported option {argument}")
        else:
            positional.append(argument)
    if len(positional) != 2:
        raise SystemExit("nc stand-in: usage: nc [-u] [-N] [-q SECS] [-w SECS] HOST PORT")
    return udp, half_close, quit_after, idle, positional[0], int(positional[1])


def pump(sock: socket.socket, expected: int | None, deadline: float) -> None:
    """Copy what arrives to stdout until the deadline, the peer closes, or enough lines came."""
    received = b""
    while (remaining := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([sock], [], [], remaining)
        if not readable:
            return
        chunk = sock.recv(65536)
        if not chunk:
            return
        received += chunk
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        if expected is not None and received.count(b"\n") >= expected:
            deadline = min(deadline, time.monotonic() + GRACE)


def main(argv: list[str]) -> int:
    """Run one netcat-style exchange."""
    udp, half_close, quit_after, idle, host, port = parse(argv)
    lines = os.environ.get("DOCS_NETCAT_LINES")
    expected = int(lines) if lines else None
    request = b"" if sys.stdin.isatty() else sys.stdin.buffer.read()
    if expected is not None:
        wait = MAX_WAIT
    else:
        wait = min(quit_after if quit_after is not None else idle or MAX_WAIT, MAX_WAIT)
    kind = socket.SOCK_DGRAM if udp else socket.SOCK_STREAM
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.settimeout(MAX_WAIT)
        sock.connect((host, port))
        if request or udp:
            sock.sendall(request)
        if half_close and not udp:
            sock.shutdown(socket.SHUT_WR)  # the peer answers what it got, then closes
        try:
            pump(sock, expected, time.monotonic() + wait)
        except BrokenPipeError:  # `| head -n 3` has what it wanted: exit quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ConnectionRefusedError:
        sys.exit(1)
