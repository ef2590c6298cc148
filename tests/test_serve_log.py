"""A background simulator's log: appended across restarts, bounded by rotation, -v honoured.

``start`` gives each background simulator ``<key>.log`` in the runtime
directory (rotated at 1 MB, 3 old files kept) and ``<key>.out`` for what it
prints before it serves, which is where a failed start's one-line error is read.
"""

from __future__ import annotations

import logging
import os
import socket
import struct
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from simulators import runtime, serve_log
from simulators.serve_log import LOG_BACKUPS, LOG_MAX_BYTES, LogStream
from tests.cli_support import WAIT, addresses, cli, run_dir, started_pid, wait_until

pytestmark = pytest.mark.usefixtures("run_dir")
__all__ = ["cli", "run_dir"]  # fixtures, imported for pytest

FAILING_PLUGIN = '''\
"""Fails on every byte it is sent."""

from socketserver import ThreadingTCPServer

from simulators.common import ListeningSystem

servers = [(("127.0.0.1", 0), (), ThreadingTCPServer, {})]


class System(ListeningSystem):
    def parse(self, byte):
        raise RuntimeError("boom: a bug in the plugin")
'''


def log_text(run_dir: Path, key: str) -> str:
    path = run_dir / f"{key}.log"
    return path.read_text() if path.exists() else ""


# -- rotation (in this process: no need for a simulator to fill a megabyte) ------------------


def test_the_log_file_rotates_and_keeps_three_old_files(tmp_path):
    path = tmp_path / "dut.log"
    handler = serve_log.log_handler(path)
    writer = logging.getLogger("tests.serve_log.rotation")
    writer.propagate = False
    writer.addHandler(handler)
    writer.setLevel(logging.INFO)
    line = "x" * 999
    try:
        for number in range(6 * LOG_MAX_BYTES // len(line)):  # six megabytes
            writer.info("%06d %s", number, line)
    finally:
        writer.removeHandler(handler)
        handler.close()
    files = sorted(path.parent.iterdir())
    assert [file.name for file in files] == ["dut.log", *(f"dut.log.{n}" for n in (1, 2, 3))]
    assert LOG_BACKUPS == 3
    assert all(file.stat().st_size <= LOG_MAX_BYTES for file in files)
    newest = path.read_text().splitlines()[-1]
    assert f" {6 * LOG_MAX_BYTES // len(line) - 1:06d} " in newest  # the last line is kept


def test_the_log_file_is_appended_not_truncated(tmp_path):
    path = tmp_path / "dut.log"
    path.write_text("an earlier start\n")
    handler = serve_log.log_handler(path)
    handler.emit(logging.makeLogRecord({"msg": "a later start", "levelname": "INFO"}))
    handler.close()
    assert path.read_text().splitlines()[0] == "an earlier start"
    assert path.read_text().splitlines()[1].endswith("a later start")


def test_log_stream_logs_whole_lines_and_bounds_a_line_without_end(caplog):
    stream = LogStream(logging.getLogger("tests.serve_log.stream"), logging.ERROR)
    with caplog.at_level(logging.ERROR, logger="tests.serve_log.stream"):
        stream.write("Traceback (most recent call last):\n  File")
        stream.write(' "x.py"\nValueError: bad\n')
        stream.write("y" * 10_000)
        stream.write("no newline")
        stream.flush()
    assert [record.getMessage() for record in caplog.records] == [
        "Traceback (most recent call last):",
        '  File "x.py"',
        "ValueError: bad",
        "y" * 10_000,
        "no newline",
    ]


# -- a background simulator --------------------------------------------------------------------


def test_restarts_append_to_the_log_and_verbose_logs_debug_messages(
    cli: Callable[..., tuple[int, str, str]], run_dir: Path
):
    status, out, err = cli("-s", "dut", "--ephemeral-ports", "-v", "start")
    assert (status, err) == (0, ""), out
    first = started_pid(out)
    port = addresses(out)[0][1]
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
        client.sendall(b"*IDN?\n")
        assert client.recv(4096).startswith(b"SIMULATORS,")
        # close with a reset: the server logs the ended connection at debug level
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    debug = "DEBUG simulators.handlers: connection from"
    assert wait_until(lambda: debug in log_text(run_dir, "dut"), timeout=15.0), log_text(
        run_dir, "dut"
    )
    stopped = cli("-s", "dut", "stop")
    assert stopped[0] == 0, stopped

    status, out, err = cli("-s", "dut", "--ephemeral-ports", "start")
    assert (status, err) == (0, ""), out
    second = started_pid(out)
    stopped = cli("-s", "dut", "stop")
    assert stopped[0] == 0, stopped

    log = log_text(run_dir, "dut")
    assert f"dut serving (pid {first})" in log, log  # the first start is still there
    assert f"dut stopped (pid {first})" in log, log
    assert f"dut serving (pid {second})" in log, log
    assert "DEBUG" in log.split(f"pid {second}")[0]
    assert "DEBUG" not in log.split(f"dut serving (pid {second})")[1]  # no -v the second time


def test_what_a_serving_simulator_prints_goes_to_the_bounded_log(
    cli: Callable[..., tuple[int, str, str]],
    run_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
):
    # A plugin installed as a distribution would be: a module and its entry point.
    site = tmp_path / "site"
    info = site / "failing_sim-0.1.dist-info"
    info.mkdir(parents=True)
    (site / "failing_sim_for_log_tests.py").write_text(FAILING_PLUGIN)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: failing-sim\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[simulators.plugins]\nfailing = failing_sim_for_log_tests\n"
    )
    python_path = [str(site), *filter(None, [os.environ.get("PYTHONPATH")])]
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(python_path))
    monkeypatch.syspath_prepend(str(site))  # so this process finds it too
    status, out, err = cli("-s", "failing", "--ephemeral-ports", "start")
    assert (status, err) == (0, ""), out
    port = addresses(out)[0][1]
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
        client.sendall(b"x")  # socketserver prints the traceback to stderr
        assert wait_until(
            lambda: "boom: a bug in the plugin" in log_text(run_dir, "failing"), timeout=15.0
        )
    assert "Traceback" in log_text(run_dir, "failing")
    assert "boom" not in (run_dir / "failing.out").read_text()
    assert cli("-s", "failing", "stop")[0] == 0
    sys.modules.pop("failing_sim_for_log_tests", None)


def test_a_failed_start_still_reports_the_simulators_own_error(
    cli: Callable[..., tuple[int, str, str]], run_dir: Path
):
    status, out, err = cli("-s", "dut", "-t", "bogus", "--ephemeral-ports", "start")
    assert status == 1
    assert out == ""
    assert err.startswith("error: simulator 'dut': unknown type 'bogus'")
    assert len(err.splitlines()) == 1
    assert "unknown type 'bogus'" in log_text(run_dir, "dut")  # the log keeps the history
    assert runtime.instances() == []


def test_a_log_file_that_cannot_be_opened_is_one_error_line(
    cli: Callable[..., tuple[int, str, str]], tmp_path: Path
):
    where = tmp_path / "missing" / "dut.log"
    argv = ("-s", "dut", "--ephemeral-ports", "--log-file", str(where), "--foreground", "start")
    status, out, err = cli(*argv)
    assert (status, out) == (1, "")
    assert err == f"error: cannot open log file {where}: No such file or directory\n"
