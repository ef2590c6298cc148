"""What the ``mfg-ctl`` commands share: exit statuses, one-line failures, the store, exports,
``--port-offset``, SIGTERM, and the context lines on stderr.

A failure is a :class:`CommandExit`: a :class:`click.ClickException` that carries its
exit status and prints itself as one line, the convention ``discos-simulator`` follows too.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from types import FrameType
from typing import IO, Any, NoReturn, ParamSpec, TypeVar

import click

from mfg_ctl.cli.report_files import ReportFiles
from mfg_ctl.run.sequencer import Terminated
from mfg_ctl.store import RunStore, StoreError, default_url
from simulators.protocols import modbus

P = ParamSpec("P")
T = TypeVar("T")

__all__ = [
    "EXIT_FAIL",
    "EXIT_INTERRUPTED",
    "EXIT_PASS",
    "EXIT_STORE",
    "EXIT_TERMINATED",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "FRAMINGS",
    "MEANINGS",
    "CommandExit",
    "ControllerExitCode",
    "Outputs",
    "db_option",
    "fail",
    "interrupted",
    "opened_store",
    "port_offset_option",
    "quiet_stdout",
    "recorded",
    "report_problems",
    "say",
    "shown_path",
    "sigterm_interrupts",
    "store_call",
    "store_url",
]


class ControllerExitCode(IntEnum):
    """The exit statuses of every ``mfg-ctl`` command (doc/exit_codes.rst lists them)."""

    PASS = 0
    FAIL = 1
    USAGE = 2  # as click reports bad usage
    UNREACHABLE = 3
    STORE = 4
    INTERRUPTED = 130  # 128 + SIGINT, as a shell reports Ctrl-C
    TERMINATED = 143  # 128 + SIGTERM


#: What each status means, word for word as doc/exit_codes.rst says it (a test compares them).
MEANINGS = {
    ControllerExitCode.PASS: "every step passed (or, for other commands, done)",
    ControllerExitCode.FAIL: "a step failed or could not be measured",
    ControllerExitCode.USAGE: "bad input or usage: nothing ran",
    ControllerExitCode.UNREACHABLE: "a device could not be reached",
    ControllerExitCode.STORE: "the run store failed during the run",
    ControllerExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
    ControllerExitCode.TERMINATED: "terminated (SIGTERM)",
}

EXIT_PASS, EXIT_FAIL = ControllerExitCode.PASS, ControllerExitCode.FAIL
EXIT_USAGE = ControllerExitCode.USAGE
EXIT_UNREACHABLE, EXIT_STORE = ControllerExitCode.UNREACHABLE, ControllerExitCode.STORE
EXIT_INTERRUPTED, EXIT_TERMINATED = ControllerExitCode.INTERRUPTED, ControllerExitCode.TERMINATED
#: The ``--framing`` choices: the Modbus protocol's own list.
FRAMINGS = click.Choice(modbus.FRAMINGS)


class CommandExit(click.ClickException):
    """End the command with ``message`` as one line on stderr and ``status`` as exit code.

    The line reads ``error: MESSAGE``, or just ``MESSAGE`` when the status is 0;
    an empty message prints nothing (the report already said it all).
    """

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.exit_code = status  # type: ignore[misc]  # click's class default; each exit has its own

    @property
    def status(self) -> int:
        """The exit status (the same as :attr:`exit_code`)."""
        return self.exit_code

    def show(self, file: IO[Any] | None = None) -> None:
        """Print the one line on stderr (or ``file``)."""
        if self.message:
            line = self.message if self.exit_code == EXIT_PASS else f"error: {self.message}"
            click.echo(line, file=file, err=file is None)


def fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    """Stop the command with one line and an exit status."""
    raise CommandExit(message, status)


def quiet_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def say(line: str) -> None:
    """One line of context on stderr (stdout holds only the report)."""
    click.echo(line, err=True)


def report_problems(problems: list[str], verdict_failed: bool) -> None:
    """End the command on the report files that could not be written: each line on stderr,
    the last as the error (exit 1 if the run failed anyway, else 2); nothing if none."""
    if not problems:
        return
    for problem in problems[:-1]:
        say(f"error: {problem}")
    fail(problems[-1], EXIT_FAIL if verdict_failed else EXIT_USAGE)


def recorded(run_id: str, store: RunStore, how: str = "recorded") -> str:
    """``run 536c7545 recorded in ~/.local/share/mfg-ctl/runs.db``."""
    return f"run {run_id[:8]} {how} in {store.where}"


def interrupted(stop: BaseException, run_id: str, store: RunStore) -> NoReturn:
    """End the command after Ctrl-C (130) or SIGTERM (143), naming the run and its store."""
    if isinstance(stop, Terminated):
        fail(f"terminated: {recorded(run_id, store, 'recorded as aborted')}", EXIT_TERMINATED)
    fail(f"interrupted: {recorded(run_id, store, 'recorded as aborted')}", EXIT_INTERRUPTED)


@contextmanager
def sigterm_interrupts() -> Iterator[None]:
    """While it lasts, SIGTERM raises :class:`Terminated`: a run is torn down as on Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach only the main thread
        return

    def terminate(_signum: int, _frame: FrameType | None) -> None:
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def store_url(url: str | None) -> str:
    """The URL of the run store ``--db`` names: a plain path is an SQLite file, as
    ``$MFG_CTL_DB`` takes; none at all is :func:`default_url`."""
    if url and "://" not in url:
        return f"sqlite:///{Path(url).expanduser().absolute()}"
    return url or default_url()


@contextmanager
def opened_store(url: str | None) -> Iterator[RunStore]:
    """The run store at ``url`` (see :func:`store_url`), closed afterwards."""
    try:
        store = RunStore(store_url(url))
    except StoreError as error:
        fail(str(error))
    try:
        yield store
    finally:
        store.close()


db_option = click.option(
    "--db", "db_url", metavar="URL|PATH", help="run store (default: $MFG_CTL_DB, or your data dir)"
)

port_offset_option = click.option(
    "--port-offset",
    default=0,
    show_default=True,
    type=int,
    metavar="N",
    help="add N to every device port (as discos-simulator --port-offset N does)",
)


@dataclass(frozen=True)
class Outputs:
    """Where a run's report and events go besides the console and the store."""

    files: ReportFiles = field(default_factory=ReportFiles)
    log_path: Path | None = None
    artifacts_root: Path | None = None  # a folder: the run's folder goes in it

    def check_apart_from(self, inputs: dict[str, Path | None]) -> None:
        """Exit 2 when an output would overwrite an input file (the plan, the station)."""
        outputs = {**self.files.by_option(), "--log": self.log_path}
        for option, output in outputs.items():
            for what, source in inputs.items():
                if output is not None and source is not None and _same_file(output, source):
                    fail(f"{option} {output} is the {what} file itself: give another path")


def _same_file(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:  # one of them does not exist (yet): compare where they point
        return one.expanduser().resolve() == other.expanduser().resolve()


def store_call(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``call(...)`` on the run store, a store failure ending the command with exit status 4."""
    try:
        return call(*args, **kwargs)
    except StoreError as error:
        fail(str(error), EXIT_STORE)


def shown_path(path: Path) -> str:
    """A path as the user reads it: relative to the working folder when inside it."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
