"""First contact with ``discos-simulator``: --version, help per command, every spelling.

Options work before the command (``-s dut start``) and after it (``start -s dut``).
"""

from __future__ import annotations

from dataclasses import asdict

import pytest

from simulators.cli import main
from simulators.cli_parser import parse, program_version, unabbreviated
from tests.cli_support import cli, free_offset, records, run_dir, simulators, started_pid

pytestmark = pytest.mark.usefixtures("run_dir")
__all__ = ["cli", "run_dir"]  # fixtures, imported for pytest

DEFAULTS = {
    "system": None,
    "type": None,
    "host": "127.0.0.1",
    "port_offset": 0,
    "ephemeral_ports": False,
    "idle_timeout": None,
    "foreground": False,
    "log_file": None,
    "verbose": False,
}


def parsed(*argv: str) -> dict[str, object]:
    return asdict(parse(argv))


def help_of(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    with pytest.raises(SystemExit) as exit_info:
        main([*argv, "--help"])
    assert exit_info.value.code == 0
    return capsys.readouterr().out


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"discos-simulator {program_version()}\n"
    assert program_version() == "0.1.0"


@pytest.mark.parametrize(
    ("argv", "given"),
    [
        (["-s", "dut", "start"], {"system": "dut"}),
        (["start", "-s", "dut"], {"system": "dut"}),
        (
            ["-s", "station", "--port-offset", "100", "start"],
            {"system": "station", "port_offset": 100},
        ),
        (["--host", "127.0.0.1", "-s", "dut", "start"], {"system": "dut"}),
        (
            ["-s", "dut", "start", "--port-offset", "7", "-t", "clean"],
            {"system": "dut", "port_offset": 7, "type": "clean"},
        ),
        (
            ["--port-offset", "5", "-v", "status", "-s", "dut"],
            {"system": "dut", "port_offset": 5, "verbose": True},
        ),
        (
            ["--port-offset", "1234", "--host", "0.0.0.0", "list"],
            {"port_offset": 1234, "host": "0.0.0.0"},
        ),
        (
            ["-s", "dut", "--ephemeral-ports", "--foreground", "start"],
            {"system": "dut", "ephemeral_ports": True, "foreground": True},
        ),
        (["stop", "-s", "dut", "--host", "::1"], {"system": "dut", "host": "::1"}),
    ],
)
def test_options_before_and_after_the_command(argv, given):
    command = next(word for word in argv if word in ("list", "start", "stop", "status"))
    assert parsed(*argv) == {**DEFAULTS, **given, "command": command}


def test_an_option_after_the_command_wins_over_the_same_before_it():
    assert parsed("--port-offset", "1", "start", "--port-offset", "2")["port_offset"] == 2
    assert parsed("--port-offset", "1", "start")["port_offset"] == 1  # not reset by start


@pytest.mark.parametrize(
    ("command", "says", "shows", "hides"),
    [
        ("list", "its -t types", ["--host", "--port-offset"], ["--foreground", "-s NAME"]),
        ("start", "background process", ["-s NAME", "-t TYPE", "--foreground", "--log-file"], []),
        ("stop", "Only a process that is still the recorded one", ["-s NAME"], ["--foreground"]),
        ("status", "exit status 3", ["-s NAME", "--port-offset"], ["--ephemeral-ports"]),
    ],
)
def test_each_command_has_its_own_help(capsys, command, says, shows, hides):
    text = help_of(capsys, command)
    assert text.startswith(f"usage: discos-simulator {command} ")
    assert says in " ".join(text.split())
    for option in shows:
        assert option in text, option
    for option in hides:
        assert option not in text, option


def test_stop_and_status_say_what_the_port_offset_selects(capsys):
    for command in ("stop", "status"):
        text = " ".join(help_of(capsys, command).split())
        assert "--port-offset N the copy started with --port-offset N" in text


def test_the_main_help_lists_the_commands_and_exit_statuses(capsys):
    text = " ".join(help_of(capsys).split())
    for command in ("list", "start", "stop", "status"):
        assert f"{command} " in text
    assert "COMMAND --help" in text
    assert "3 status of a stopped simulator" in text


@pytest.mark.parametrize("command", [None, "list", "start", "stop", "status"])
def test_help_has_no_restructuredtext_markup(capsys, command):
    text = help_of(capsys, *([command] if command else []))
    assert "``" not in text
    assert ":class:" not in text
    assert ":doc:" not in text


def test_a_real_start_with_options_after_the_command(cli, run_dir):
    offset = str(free_offset())
    status, out, err = cli("start", "-s", "dut", "--port-offset", offset)
    assert (status, err) == (0, ""), out
    pid = started_pid(out)
    assert cli("status", "-s", "dut", "--port-offset", offset)[1].startswith(
        f"dut+{offset} running (pid {pid})"
    )
    assert cli("stop", "--port-offset", offset, "-s", "dut")[1] == f"dut+{offset} stopped\n"
    assert records(run_dir) == []


def test_version_and_help_through_python_m():
    version = simulators("--version")
    assert (version.returncode, version.stdout) == (0, f"discos-simulator {program_version()}\n")
    start_help = simulators("start", "--help")
    assert start_help.returncode == 0
    assert start_help.stdout.startswith("usage: discos-simulator start")


def test_help_in_a_narrow_terminal_wraps_below_the_name(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "32")
    lines = help_of(capsys, "status").splitlines()
    assert lines[:3] == [
        "usage: discos-simulator status",
        "       [-h] [-s NAME]",
        "       [--port-offset N]",
    ]
    assert "  -s NAME, --system NAME" in lines


def test_only_options_before_a_double_dash_are_spelled_out():
    known = ["--port-offset", "--system"]
    assert unabbreviated(["--port=1", "--sys", "dut", "--", "--port"], known) == [
        "--port-offset=1",
        "--system",
        "dut",
        "--",
        "--port",
    ]
