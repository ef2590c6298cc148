"""What the ``mfg-ctl`` commands share: exit statuses, one-line failures, the store, exports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click

from simulators.controller.report import RunReport, render_json, render_markdown
from simulators.controller.store import RunStore, StoreError, default_url

__all__ = [
    "EXIT_FAIL",
    "EXIT_INTERRUPTED",
    "EXIT_PASS",
    "EXIT_UNREACHABLE",
    "EXIT_USAGE",
    "FRAMINGS",
    "CommandExit",
    "Outputs",
    "db_option",
    "export",
    "fail",
    "opened_store",
]

EXIT_PASS, EXIT_FAIL, EXIT_USAGE, EXIT_UNREACHABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
FRAMINGS = click.Choice(["custom", "modbus-tcp"])


class CommandExit(Exception):  # noqa: N818 - an exit, not an error
    """End the command with ``message`` on stderr and ``status``."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def fail(message: str, status: int = EXIT_USAGE) -> NoReturn:
    """Stop the command with one line and an exit status."""
    raise CommandExit(message, status)


@contextmanager
def opened_store(url: str | None) -> Iterator[RunStore]:
    """The run store at ``url`` (default: :func:`default_url`), closed afterwards."""
    if url and "://" not in url:  # a plain path, as $MFG_CTL_DB takes
        url = f"sqlite:///{Path(url).expanduser().absolute()}"
    try:
        store = RunStore(url or default_url())
    except StoreError as error:
        fail(str(error))
    try:
        yield store
    finally:
        store.close()


db_option = click.option(
    "--db", "db_url", metavar="URL|PATH", help="run store (default: $MFG_CTL_DB, or your data dir)"
)


@dataclass(frozen=True)
class Outputs:
    """Where a run's report and events go besides the console and the store."""

    json_out: Path | None = None
    md_out: Path | None = None
    log_path: Path | None = None


def export(report: RunReport, json_out: Path | None, md_out: Path | None) -> None:
    for path, render in ((json_out, render_json), (md_out, render_markdown)):
        if path is not None:
            try:
                path.write_text(render(report))
            except OSError as error:
                fail(f"cannot write {path}: {error.strerror}")


