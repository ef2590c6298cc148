"""How ``discos-simulator`` ends: its exit statuses and its one-line failures.

The convention both commands share (doc/exit_codes.rst): a failure is an
exception that carries its exit status and prints itself as one line,
``error: ...``, on stderr, as click's own :class:`click.ClickException` does.
Bad usage prints the usage and one ``discos-simulator: error: ...`` line, in
the words the command has always used, and exits 2.
"""

from __future__ import annotations

import os
import sys
from enum import IntEnum
from typing import IO, Any

import click

__all__ = [
    "EXIT_ERROR",
    "EXIT_NOT_RUNNING",
    "EXIT_OK",
    "EXIT_USAGE",
    "MEANINGS",
    "CliError",
    "SimulatorExitCode",
    "quiet_stdout",
    "show_usage_error",
]


class SimulatorExitCode(IntEnum):
    """The exit statuses of ``discos-simulator`` (doc/exit_codes.rst lists them)."""

    OK = 0
    ERROR = 1
    USAGE = 2  # as click and argparse report bad usage
    NOT_RUNNING = 3  # status of a stopped simulator, as LSB init scripts report a stopped service


#: What each status means, word for word as doc/exit_codes.rst says it (a test compares them).
MEANINGS = {
    SimulatorExitCode.OK: "done",
    SimulatorExitCode.ERROR: "an error, said in one line",
    SimulatorExitCode.USAGE: "bad usage: the usage and one line",
    SimulatorExitCode.NOT_RUNNING: "status -s NAME of a stopped simulator",
}

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_NOT_RUNNING = (
    SimulatorExitCode.OK,
    SimulatorExitCode.ERROR,
    SimulatorExitCode.USAGE,
    SimulatorExitCode.NOT_RUNNING,
)


class CliError(click.ClickException):
    """A failure to report as one ``error:`` line; it ends the command with status 1."""

    exit_code = SimulatorExitCode.ERROR

    def show(self, file: IO[Any] | None = None) -> None:
        """Print ``error: MESSAGE`` on stderr (or ``file``)."""
        click.echo(f"error: {self.format_message()}", file=file, err=file is None)


def show_usage_error(error: click.UsageError) -> None:
    """Print the usage and one ``PROG: error: ...`` line, in argparse's long-standing words.

    An unknown option or a stray argument is reported against the whole
    command line (the main usage), anything else against the command it
    concerns.
    """
    ctx = error.ctx
    message = _wording(error)
    if ctx is not None and message.startswith("unrecognized arguments"):
        ctx = ctx.find_root()
    if ctx is not None:
        click.echo(ctx.get_usage(), err=True)
    prog = ctx.command_path if ctx is not None else "discos-simulator"
    click.echo(f"{prog}: error: {message}", err=True)


def _wording(error: click.UsageError) -> str:
    if isinstance(error, click.NoSuchOption):
        return f"unrecognized arguments: {error.option_name}"
    if isinstance(error, click.BadOptionUsage):
        flags = _flags(error.ctx, error.option_name)
        if error.message.endswith("requires an argument."):
            return f"argument {flags}: expected one argument"
        if error.message.endswith("does not take a value."):
            return f"argument {flags}: takes no value"
        return f"argument {flags}: {error.message}"
    if isinstance(error, click.BadParameter) and error.param is not None:
        return f"argument {'/'.join(error.param.opts)}: {error.message}"
    return error.message


def _flags(ctx: click.Context | None, option_name: str) -> str:
    """``-s/--system`` for ``-s``: every spelling of the option, as argparse names it."""
    params = ctx.command.params if ctx is not None else []
    for param in params:
        if option_name in param.opts:
            return "/".join(param.opts)
    return option_name


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
