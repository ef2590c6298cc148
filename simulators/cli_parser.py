"""The command line of ``discos-simulator`` on click: subcommands, options, parsing.

Options may come before the command (``discos-simulator -s dut start``) or
after it (``discos-simulator start -s dut``): the group holds every option
with its default, each subcommand repeats them all, and an option given after
the command wins over the same option given before it. A subcommand's
``--help`` shows only the options it uses (:mod:`simulators.cli_help` writes
the help). Long options may be abbreviated to any unique prefix.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import click
from click.core import ParameterSource

import simulators
from simulators.cli_errors import EXIT_ERROR, EXIT_NOT_RUNNING, EXIT_OK, EXIT_USAGE
from simulators.cli_help import help_option, help_text, usage
from simulators.launcher import DEFAULT_HOST
from simulators.serve_log import LOG_BACKUPS, LOG_MAX_BYTES

__all__ = ["PROG", "Options", "command_line", "parse", "program_version"]

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

EPILOG = (
    f"examples: {PROG} list; {PROG} -s dut start; "
    f"{PROG} -s power_supply -t modbus-tcp start; {PROG} status. "
    f"'{PROG} COMMAND --help' describes a command. Exit status: {EXIT_OK} ok, "
    f"{EXIT_ERROR} error, {EXIT_USAGE} bad usage, {EXIT_NOT_RUNNING} status of a "
    "stopped simulator."
)


class Integer(click.ParamType[int, Any]):
    """A whole number; anything else is a usage error."""

    name = "integer"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        try:
            return int(value)
        except ValueError:
            self.fail(f"invalid int value: {value!r}", param, ctx)


class PositiveSeconds(click.ParamType[float, Any]):
    """A number of seconds > 0; anything else is a usage error."""

    name = "seconds"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        try:
            seconds = float(value)
        except ValueError:
            seconds = math.nan
        if not (math.isfinite(seconds) and seconds > 0):
            self.fail(f"{value!r} is not a number of seconds > 0", param, ctx)
        return seconds


@dataclass(frozen=True)
class Options:
    """What the command line asks for: the command and every option's value."""

    command: str
    system: str | None = None
    type: str | None = None
    host: str = DEFAULT_HOST
    port_offset: int = 0
    ephemeral_ports: bool = False
    idle_timeout: float | None = None
    foreground: bool = False
    log_file: str | None = None
    verbose: bool = False


#: Every option: flags, metavar (None: a flag), type, help, and the subcommands whose
#: --help shows it. Every subcommand accepts every option (spellings that worked before
#: subcommands); the defaults are those of :class:`Options`.
OPTIONS: list[
    tuple[tuple[str, ...], str | None, click.ParamType[Any, Any] | None, str, tuple[str, ...]]
] = [
    (
        ("-s", "--system"),
        "NAME",
        None,
        "the simulator (default: all; see list)",
        ("start", "stop", "status"),
    ),
    (
        ("-t", "--type"),
        "TYPE",
        None,
        "the simulator's type, for one that has types (see list)",
        ("start",),
    ),
    (
        ("--host",),
        "HOST",
        None,
        f"address to serve on (default {DEFAULT_HOST}: this machine only)",
        ("list", "start"),
    ),
    (
        ("--port-offset",),
        "N",
        Integer(),
        "add N to every port (default 0)",
        ("list", "start", "stop", "status"),
    ),
    (("--ephemeral-ports",), None, None, "let the OS choose every port (printed)", ("start",)),
    (
        ("--idle-timeout",),
        "SECONDS",
        PositiveSeconds(),
        "close a client connection that sends nothing for SECONDS (default: never)",
        ("start",),
    ),
    (
        ("--foreground",),
        None,
        None,
        "serve one simulator in this process until a signal",
        ("start",),
    ),
    (
        ("--log-file",),
        "FILE",
        None,
        f"append the log to FILE, rotated at {LOG_MAX_BYTES // 1_000_000} MB "
        f"({LOG_BACKUPS} old files kept); background simulators log to the runtime directory",
        ("start",),
    ),
    (("-v", "--verbose"), None, None, "log debug messages", ("start",)),
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


def _parsed(
    parse_args: Callable[[click.Context, list[str]], list[str]], ctx: click.Context, args: list[str]
) -> list[str]:
    """Parse, naming the command in a usage error that click raised without one."""
    try:
        return parse_args(ctx, args)
    except click.UsageError as error:
        if error.ctx is None:
            error.ctx = ctx
        raise


class _Subcommand(click.Command):
    """A subcommand; a stray argument is an ``unrecognized arguments`` usage error."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(usage(self, ctx) + "\n")

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(help_text(self, ctx))

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        rest = _parsed(super().parse_args, ctx, args)
        if rest:
            raise click.UsageError(f"unrecognized arguments: {' '.join(rest)}", ctx)
        return rest


class Group(click.Group):
    """The program: its options, then one of :data:`COMMANDS`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return _parsed(super().parse_args, ctx, args)

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(usage(self, ctx) + "\n")

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write(help_text(self, ctx))

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args[0] not in self.commands:
            choices = ", ".join(repr(name) for name in self.commands)
            raise click.UsageError(
                f"argument COMMAND: invalid choice: {args[0]!r} (choose from {choices})", ctx
            )
        return super().resolve_command(ctx, args)


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        click.echo(f"{PROG} {program_version()}")
        ctx.exit(0)


def _options(command: str | None) -> list[click.Parameter]:
    """The options of the group (``None``, with defaults) or of one subcommand (without)."""
    params: list[click.Parameter] = [help_option()]
    if command is None:
        params.append(
            click.Option(
                ["--version"],
                is_flag=True,
                expose_value=False,
                is_eager=True,
                callback=_show_version,
                help="show program's version number and exit",
            )
        )
    defaults = Options(command="")
    for flags, metavar, kind, text, shown in OPTIONS:
        name = flags[-1].lstrip("-").replace("-", "_")
        default = getattr(defaults, name) if command is None else None
        if metavar is None:
            default = bool(default)
        params.append(
            click.Option(
                [*flags, name],
                metavar=metavar,
                is_flag=metavar is None,
                type=kind,
                default=default,
                hidden=command is not None and command not in shown,
                help=HELP_FOR_COMMAND.get((command or "", flags[-1]), text),
            )
        )
    return params


def _require_command(**_given: object) -> None:
    ctx = click.get_current_context()
    if ctx.invoked_subcommand is None:
        raise click.UsageError("the following arguments are required: COMMAND", ctx)


def _options_of(**_given: object) -> Options:
    """Merge the options given after the command over those given before it."""
    ctx = click.get_current_context()
    merged = dict(ctx.find_root().params)
    for name, value in ctx.params.items():
        if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE:
            merged[name] = value
    return Options(command=ctx.command.name or "", **merged)


def command_line() -> Group:
    """Build the click group of ``discos-simulator``."""
    group = Group(
        PROG,
        params=_options(None),
        callback=_require_command,
        invoke_without_command=True,
        help="Run simulated instruments on real sockets.",
        epilog=EPILOG,
        add_help_option=False,
    )
    for name, (summary, description) in COMMANDS.items():
        group.add_command(
            _Subcommand(
                name,
                params=_options(name),
                callback=_options_of,
                help=description,
                short_help=summary,
                context_settings={"allow_extra_args": True},
                add_help_option=False,
            )
        )
    return group


def long_options(group: click.Group) -> list[str]:
    """Every ``--long`` option spelling the command line knows."""
    params = list(group.params)
    for command in group.commands.values():
        params += command.params
    return list(dict.fromkeys(flag for param in params for flag in param.opts if flag[:2] == "--"))


def unabbreviated(args: Sequence[str], known: list[str]) -> list[str]:
    """Spell out ``--long`` options given as a unique prefix (``--port 5``), as argparse did."""
    spelled: list[str] = []
    for position, given in enumerate(args):
        if given == "--":
            return [*spelled, *args[position:]]
        flag, equals, value = given.partition("=")
        matches = [option for option in known if option.startswith(flag)]
        if flag[:2] != "--" or flag in known or not matches:
            spelled.append(given)
        elif len(matches) == 1:
            spelled.append(f"{matches[0]}{equals}{value}")
        else:
            raise click.UsageError(f"ambiguous option: {flag} could match {', '.join(matches)}")
    return spelled


def parse(argv: Sequence[str]) -> Options:
    """Parse a command line; raise :class:`click.UsageError`, or ``click.exceptions.Exit``
    after ``--help`` or ``--version``."""
    group = command_line()
    try:
        args = unabbreviated(argv, long_options(group))
    except click.UsageError as error:
        error.ctx = click.Context(group, info_name=PROG)
        raise
    with group.make_context(PROG, args) as ctx:
        options: Options = group.invoke(ctx)
    return options
