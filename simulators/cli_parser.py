"""The command line of ``discos-simulator``: subcommands, options and exit statuses.

Options may come before the command (``discos-simulator -s dut start``) or
after it (``discos-simulator start -s dut``). The main parser holds every
option with its default; each subcommand parser repeats the options with no
default at all (``argparse.SUPPRESS``), so a subcommand never overwrites what
was given before it, and shows in its ``--help`` only the options it uses.
"""

from __future__ import annotations

import argparse
import math
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import simulators
from simulators.launcher import DEFAULT_HOST
from simulators.serve_log import LOG_BACKUPS, LOG_MAX_BYTES

__all__ = ["EXIT_ERROR", "EXIT_NOT_RUNNING", "EXIT_OK", "EXIT_USAGE", "parser", "program_version"]

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_USAGE = 2  # argparse's own status for bad usage
EXIT_NOT_RUNNING = 3  # status: as LSB init scripts report a stopped service

PROG = "discos-simulator"

#: Each subcommand: (one-line help, description).
COMMANDS = {
    "list": (
        "show every simulator, its types and the addresses it serves",
        "Show every simulator (built-in and installed plugins): its description, its -t "
        "types (the default marked) and the addresses it would serve with these options.",
    ),
    "start": (
        "start simulators in the background and print their addresses",
        "Start the simulator given with -s (without -s: every simulator but station), each "
        "in its own background process, and return once every port accepts connections. "
        "With --foreground, serve one simulator in this process instead.",
    ),
    "stop": (
        "stop running simulators",
        "Stop the simulator given with -s at this --port-offset (without -s: every running "
        "simulator, whatever its offset). Only a process that is still the recorded one is "
        "ever signalled.",
    ),
    "status": (
        "show which simulators run and what they serve",
        "Show whether the simulator given with -s runs at this --port-offset, with its pid and "
        f"addresses; exit status {EXIT_NOT_RUNNING} when it is stopped. Without -s, show every "
        "simulator and every running copy.",
    ),
}

def positive_seconds(text: str) -> float:
    """A number of seconds > 0, for argparse: anything else is a usage error."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds > 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds > 0")
    return seconds


#: Every option: flags, argparse keywords, and the subcommands whose --help shows it.
#: Every subcommand accepts every option (spellings that worked before subcommands).
OPTIONS: list[tuple[tuple[str, ...], dict[str, Any], tuple[str, ...]]] = [
    (
        ("-s", "--system"),
        {"metavar": "NAME", "help": "the simulator (default: all; see list)"},
        ("start", "stop", "status"),
    ),
    (
        ("-t", "--type"),
        {"metavar": "TYPE", "help": "the simulator's type, for one that has types (see list)"},
        ("start",),
    ),
    (
        ("--host",),
        {
            "default": DEFAULT_HOST,
            "help": f"address to serve on (default {DEFAULT_HOST}: this machine only)",
        },
        ("list", "start"),
    ),
    (
        ("--port-offset",),
        {"type": int, "default": 0, "metavar": "N", "help": "add N to every port (default 0)"},
        ("list", "start", "stop", "status"),
    ),
    (
        ("--ephemeral-ports",),
        {"action": "store_true", "help": "let the OS choose every port (printed)"},
        ("start",),
    ),
    (
        ("--idle-timeout",),
        {
            "type": positive_seconds,
            "default": None,
            "metavar": "SECONDS",
            "help": "close a client connection that sends nothing for SECONDS (default: never)",
        },
        ("start",),
    ),
    (
        ("--foreground",),
        {"action": "store_true", "help": "serve one simulator in this process until a signal"},
        ("start",),
    ),
    (
        ("--log-file",),
        {
            "metavar": "FILE",
            "help": f"append the log to FILE, rotated at {LOG_MAX_BYTES // 1_000_000} MB "
            f"({LOG_BACKUPS} old files kept); background simulators log to the runtime "
            "directory",
        },
        ("start",),
    ),
    (("-v", "--verbose"), {"action": "store_true", "help": "log debug messages"}, ("start",)),
]


#: Where an option means something narrower for one subcommand: (command, flag) -> help.
HELP_FOR_COMMAND = {
    ("stop", "--port-offset"): "the copy started with --port-offset N (default 0)",
    ("status", "--port-offset"): "the copy started with --port-offset N (default 0)",
    ("list", "--host"): "show addresses on HOST (default 127.0.0.1)",
    ("list", "--port-offset"): "show ports shifted by N (default 0)",
}


def program_version() -> str:
    """Return the installed version, or the package's own when it is not installed."""
    try:
        return version("simulators")
    except PackageNotFoundError:  # pragma: no cover - running from a bare source tree
        return simulators.__version__


def parser() -> argparse.ArgumentParser:
    """Build the parser of ``discos-simulator``."""
    main = argparse.ArgumentParser(
        prog=PROG,
        description="Run simulated instruments on real sockets.",
        epilog=f"examples: {PROG} list; {PROG} -s dut start; "
        f"{PROG} -s power_supply -t modbus-tcp start; {PROG} status. "
        f"'{PROG} COMMAND --help' describes a command. Exit status: {EXIT_OK} ok, "
        f"{EXIT_ERROR} error, {EXIT_USAGE} bad usage, {EXIT_NOT_RUNNING} status of a "
        "stopped simulator.",
    )
    main.add_argument("--version", action="version", version=f"{PROG} {program_version()}")
    _add_options(main, None)
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (summary, description) in COMMANDS.items():
        command = commands.add_parser(name, help=summary, description=description)
        _add_options(command, name)
    return main


def _add_options(parser: argparse.ArgumentParser, command: str | None) -> None:
    for flags, keywords, shown in OPTIONS:
        settings = dict(keywords)
        if command is not None:
            settings["default"] = argparse.SUPPRESS
            if command not in shown:
                settings["help"] = argparse.SUPPRESS
            elif (command, flags[-1]) in HELP_FOR_COMMAND:
                settings["help"] = HELP_FOR_COMMAND[command, flags[-1]]
        parser.add_argument(*flags, **settings)
