"""``discos-simulator``: list, start, stop and show the status of simulators.

A thin shell on click: :mod:`simulators.cli_parser` reads the command line,
:mod:`simulators.cli_actions` does the work (loaded only when a command runs,
so ``--help`` and ``--version`` stay quick). Every failure is one line on
stderr and an exit status from :class:`~simulators.cli_errors.SimulatorExitCode`,
never a traceback; bad usage prints the usage too and exits 2.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from simulators.cli_errors import SimulatorExitCode, quiet_stdout, show_usage_error
from simulators.cli_parser import Options, parse

__all__ = ["main", "quiet_stdout", "run"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status.

    ``--help``, ``--version`` and bad usage end with :class:`SystemExit`
    (status 0, 0 and 2), as they always have.
    """
    try:
        options = parse(sys.argv[1:] if argv is None else argv)
    except click.exceptions.Exit as done:  # --help, --version
        raise SystemExit(done.exit_code) from None
    except click.UsageError as error:
        show_usage_error(error)
        raise SystemExit(SimulatorExitCode.USAGE) from None
    return run(options)


def run(options: Options) -> int:
    """Run the parsed command; return the exit status of :class:`SimulatorExitCode`."""
    from simulators import cli_actions  # noqa: PLC0415 - lazy: --help needs none of it

    status = int(SimulatorExitCode.ERROR)
    try:
        status = cli_actions.run(options)
    except click.ClickException as error:
        error.show()
        status = error.exit_code
    except KeyboardInterrupt:
        pass
    except BrokenPipeError:
        quiet_stdout()  # the reader went away (| head): nothing more to say
    return status
