"""The report files a command writes besides its console report, and the options that ask
for them: ``--json-out``, ``--md-out``, ``--junit``, ``--html`` and ``--pdf``.

``mfg-ctl run``, ``replay``, ``tempco``, ``batch`` and ``report`` take the same five options
(:func:`report_file_options`); what a file holds comes from one report model
(:mod:`mfg_ctl.report.compose`), so a run written live and the same run read back from the
store give the same files. A file that cannot be written is one line, never a traceback;
the other files are still written.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import astuple, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mfg_ctl.artifacts.files import replace_file
from mfg_ctl.report import RunReport, render_json, render_markdown
from mfg_ctl.report.junit import render_junit

if TYPE_CHECKING:
    from mfg_ctl.batch.recorded import RecordedBatch

__all__ = ["ReportFiles", "report_file_options", "write_batch_files", "write_run_files"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class ReportFiles:
    """Where each report format goes (None: not asked for)."""

    json_out: Path | None = None
    md_out: Path | None = None
    junit_out: Path | None = None
    html_out: Path | None = None
    pdf_out: Path | None = None

    def by_option(self) -> dict[str, Path | None]:
        """``{"--json-out": path, ...}``: the files as the user named them."""
        return dict(zip(_OPTIONS, astuple(self), strict=True))

    @property
    def asked(self) -> bool:
        """Whether any file was asked for."""
        return any(astuple(self))


#: The option of each field of :class:`ReportFiles`, in field order.
_OPTIONS = ("--json-out", "--md-out", "--junit", "--html", "--pdf")
_HELP = (
    "also write the report as JSON",
    "also write it as Markdown",
    "also write it as JUnit XML (one testsuite per unit run)",
    "also write it as one self-contained HTML page",
    "also write it as PDF (needs WeasyPrint and Pango)",
)


def report_file_options(command: F) -> F:
    """Add the five report-file options to ``command``; it receives them as ``report_files``."""
    names = [field.name for field in fields(ReportFiles)]

    @functools.wraps(command)
    def with_files(*args: Any, **kwargs: Any) -> Any:
        files = ReportFiles(**{name: kwargs.pop(name) for name in names})
        return command(*args, report_files=files, **kwargs)

    decorated: Callable[..., Any] = with_files
    for name, option, text in reversed(list(zip(names, _OPTIONS, _HELP, strict=True))):
        decorated = click.option(
            option, name, metavar="FILE", type=click.Path(path_type=Path), help=text
        )(decorated)
    return decorated  # type: ignore[return-value]  # click keeps the signature it needs


def _write_all(renders: Sequence[tuple[Path | None, Callable[[], str | bytes]]]) -> list[str]:
    """Render and write each file asked for, whole or not at all; one line per file that
    could not be made."""
    from mfg_ctl.report.document import ReportError  # noqa: PLC0415 - imports Jinja2 lazily

    problems = []
    for path, render in renders:
        if path is None:
            continue
        try:
            replace_file(path, render())
        except (ReportError, ValueError) as error:  # ValueError: a chart of values it cannot draw
            problems.append(f"cannot write {path}: {error}")
        except OSError as error:
            problems.append(f"cannot write {path}: {error.strerror or error}")
    return problems


def write_run_files(report: RunReport, files: ReportFiles) -> list[str]:
    """Write the files of one run's report; return one line per file that could not be."""
    document = functools.cache(_run_document(report))
    return _write_all(
        [
            (files.json_out, lambda: render_json(report)),
            (files.md_out, lambda: render_markdown(report)),
            (files.junit_out, lambda: render_junit(report)),
            (files.html_out, lambda: _html(document())),
            (files.pdf_out, lambda: _pdf(document())),
        ]
    )


def write_batch_files(batch: RecordedBatch, files: ReportFiles) -> list[str]:
    """Write the files of a batch's report (from the store); one line per file that could not be."""
    from mfg_ctl.report.compose import batch_report_document  # noqa: PLC0415 - matplotlib

    document = functools.cache(lambda: batch_report_document(batch))
    return _write_all(
        [
            (files.json_out, batch.json_text),
            (files.md_out, lambda: _markdown(document())),
            (files.junit_out, lambda: render_junit(*batch.reports)),
            (files.html_out, lambda: _html(document())),
            (files.pdf_out, lambda: _pdf(document())),
        ]
    )


def _run_document(report: RunReport) -> Callable[[], Any]:
    def build() -> Any:
        from mfg_ctl.report.compose import run_report_document  # noqa: PLC0415 - matplotlib

        return run_report_document(report)

    return build


def _html(document: Any) -> str:
    from mfg_ctl.report.compose import html_text  # noqa: PLC0415 - Jinja2

    return html_text(document)


def _pdf(document: Any) -> bytes:
    from mfg_ctl.report.compose import pdf_bytes  # noqa: PLC0415 - WeasyPrint

    return pdf_bytes(document)


def _markdown(document: Any) -> str:
    from mfg_ctl.report.compose import markdown_text  # noqa: PLC0415 - kept with the others

    return markdown_text(document)
