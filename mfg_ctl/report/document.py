"""One report model for runs, batches and TempCo sweeps; every renderer (HTML, PDF) reads it.

A :class:`ReportDocument` is plain data: a title, a verdict, the header fields
as (label, value) pairs and sections made of blocks (paragraphs, key-value
lists, KPI tiles, tables, figures). Values are already formatted text; the
renderers escape them. Colours come from a fixed set of statuses, never from
data. Nothing here reads the clock: the document's date is the run's (or the
batch's) own start time, so the same run always gives the same document.

>>> from datetime import UTC, datetime
>>> report = RunReport("r1", "demo", "plans/demo.yaml", "custom", "pass",
...     datetime(2026, 1, 1, tzinfo=UTC), 0.5, 0)
>>> document = run_document(report)
>>> document.title, document.verdict, [section.title for section in document.sections]
('Test report: demo', 'PASS', ['Summary', 'Steps', 'Devices'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib import metadata
from typing import TYPE_CHECKING, Literal

from mfg_ctl.report.model import RunReport, StepLine
from mfg_ctl.report.render import MARKS, summary_text

if TYPE_CHECKING:
    from mfg_ctl.tempco import TempcoPoint

__all__ = [
    "Block",
    "BulletList",
    "Cell",
    "Figure",
    "KeyValues",
    "Kpi",
    "KpiTiles",
    "Paragraph",
    "ReportDocument",
    "ReportError",
    "Row",
    "Section",
    "Status",
    "Subheading",
    "Table",
    "generator_name",
    "number_text",
    "run_document",
    "status_of",
    "tempco_document",
]

#: The colours a cell, row, tile or verdict can take ("" is plain).
Status = Literal["", "pass", "fail", "notrun", "notcovered", "empty"]

#: How the words of verdicts and statuses map onto the colours.
_STATUS_OF_WORD: dict[str, Status] = {
    "pass": "pass", "passed": "pass", "fail": "fail", "failed": "fail", "error": "fail",
    "aborted": "fail", "skipped": "notrun", "not run": "notrun", "running": "notrun",
    "not covered": "notcovered",
}  # fmt: skip
_VERDICT_WORDS = {"pass": "PASS", "fail": "FAIL", "error": "ERROR", "aborted": "ABORTED"}


class ReportError(Exception):
    """A report cannot be rendered or written; the message is one line saying what to do."""


def generator_name() -> str:
    """``mfg-ctl 0.1.0``: the program that made a report, named in its footer."""
    try:
        return f"mfg-ctl {metadata.version('simulators')}"
    except metadata.PackageNotFoundError:
        return "mfg-ctl (version unknown)"


def status_of(word: str) -> Status:
    """The colour of a verdict or status word (``failed`` -> ``fail``); plain if unknown."""
    return _STATUS_OF_WORD.get(word.strip().lower(), "")


def number_text(value: float | int | None) -> str:
    """A measured value or limit: floats to 6 significant digits, None as nothing."""
    if value is None:
        return ""
    return f"{value:.6g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Paragraph:
    """A paragraph of text; a ``note`` prints smaller and grey."""

    text: str
    note: bool = False


@dataclass(frozen=True)
class Subheading:
    """A heading inside a section (``By operator``)."""

    text: str


@dataclass(frozen=True)
class KeyValues:
    """Labelled values, one per line."""

    pairs: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Kpi:
    """One tile: a big value over its label."""

    label: str
    value: str
    status: Status = ""


@dataclass(frozen=True)
class KpiTiles:
    """A row of KPI tiles."""

    tiles: tuple[Kpi, ...]


@dataclass(frozen=True)
class BulletList:
    """A list of short items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Cell:
    """One table cell: its text and its colour."""

    text: str
    status: Status = ""


@dataclass(frozen=True)
class Row:
    """One table row; a row's status colours the cells that have none of their own."""

    cells: tuple[Cell, ...]
    status: Status = ""

    @classmethod
    def of(cls, *texts: str, status: Status = "") -> Row:
        """A row of plain cells."""
        return cls(tuple(Cell(text) for text in texts), status)


@dataclass(frozen=True)
class Table:
    """A table; ``numeric`` columns align right, ``row_header`` makes column 0 the row's name.

    ``narrow_from`` (a matrix): column headings from that index on are narrow
    (vertical on paper).
    """

    headers: tuple[str, ...]
    rows: tuple[Row, ...]
    numeric: frozenset[int] = frozenset()
    row_header: bool = False
    narrow_from: int | None = None
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    """A chart or picture: its bytes are embedded in the output, never linked."""

    title: str
    data: bytes = field(repr=False)
    mime: Literal["image/png", "image/svg+xml"]
    alt: str


#: What a section is made of.
Block = Paragraph | Subheading | KeyValues | KpiTiles | BulletList | Table | Figure


@dataclass(frozen=True)
class Section:
    """A titled part of the report; ``anchor`` is its id in HTML (and its TOC target)."""

    anchor: str
    title: str
    blocks: tuple[Block, ...]

    @property
    def wide(self) -> bool:
        """Whether the section holds a matrix (printed on a landscape page)."""
        return any(isinstance(b, Table) and b.narrow_from is not None for b in self.blocks)


@dataclass(frozen=True)
class ReportDocument:
    """A whole report, ready for any renderer."""

    kind: Literal["run", "batch", "tempco"]
    title: str
    verdict: str  # PASS / FAIL / ... as shown; "" when the kind has none
    header: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...]
    date: datetime | None = None  # the run's or batch's own start: the PDF's creation date
    generator: str = field(default_factory=generator_name)

    @property
    def verdict_status(self) -> Status:
        """The verdict's colour."""
        return status_of(self.verdict)

    def value_of(self, label: str) -> str:
        """The header value of ``label`` ("" if absent)."""
        return next((value for name, value in self.header if name == label), "")

    @property
    def running_header(self) -> str:
        """``Plan X | Batch B | Station S | 2026-...``: the line atop every printed page."""
        parts = [
            f"{label} {value}"
            for label in ("Plan", "Batch", "Station")
            if (value := self.value_of(label))
        ]
        if date := self.value_of("Date"):
            parts.append(date)
        return " | ".join(parts)


def _verdict_word(verdict: str) -> str:
    """``fail`` -> ``FAIL``: the verdict as the report shows it."""
    return _VERDICT_WORDS.get(verdict, verdict.upper())


def _run_header(report: RunReport) -> tuple[tuple[str, str], ...]:
    unit = report.identity
    pairs = (
        ("Plan", report.plan_name),
        ("Plan version", report.plan_version),
        ("Batch", unit.batch_id),
        ("Station", unit.station_id),
        ("Stage", unit.stage),
        ("Serial number", unit.sn),
        ("Operator", unit.operator),
        ("Date", report.started_at.isoformat(timespec="seconds")),
        ("Run id", report.run_id),
    )
    return tuple((label, value) for label, value in pairs if value)


def _summary(report: RunReport) -> Section:
    verdict = _verdict_word(report.verdict)
    tiles = (
        Kpi("verdict", verdict, status_of(report.verdict)),
        Kpi("steps passed", f"{report.passed}/{report.step_count}"),
        Kpi("duration", f"{report.duration_s:.3f} s"),
    )
    pairs = [
        ("Result", summary_text(report)),
        ("Plan file", report.plan_path),
        ("Framing", report.framing),
        ("Devices", report.devices_from or "not recorded"),
    ]
    if report.finished_at is not None:
        pairs.append(("Finished", report.finished_at.isoformat(timespec="seconds")))
    if report.parent_run_id:
        pairs.append(("Re-run of", report.parent_run_id))
    return Section("summary", "Summary", (KpiTiles(tiles), KeyValues(tuple(pairs))))


def _limits(step: StepLine) -> str:
    if step.low is not None and step.high is not None:
        return f"{number_text(step.low)} .. {number_text(step.high)}"
    return number_text(step.expected)


def _step_row(step: StepLine) -> Row:
    name = f"{step.name} [teardown]" if step.teardown else step.name
    status = status_of(step.verdict)
    cells = (
        Cell(str(step.number)),
        Cell(name),
        Cell(step.device),
        Cell(MARKS[step.verdict], status),
        Cell(f"{number_text(step.measured)} {step.unit}".strip()),
        Cell(_limits(step)),
        Cell(step.detail),
        Cell(str(step.attempts)),
        Cell(f"{step.duration_s:.3f}"),
    )
    return Row(cells)


def _steps(report: RunReport) -> Section:
    if not report.steps:
        return Section("steps", "Steps", (Paragraph("No step ran.", note=True),))
    table = Table(
        ("#", "step", "device", "verdict", "measured", "limits", "detail", "attempts", "s"),
        tuple(_step_row(step) for step in report.steps),
        numeric=frozenset({0, 4, 7, 8}),
    )
    return Section("steps", "Steps", (table,))


def _devices(report: RunReport) -> Section:
    if not report.devices:
        return Section("devices", "Devices", (Paragraph("No device recorded.", note=True),))
    rows = tuple(
        Row.of(
            device.name,
            f"{device.host}:{device.port}",
            device.framing,
            str(device.unit),
            "yes" if device.simulated else "no",
        )
        for device in report.devices
    )
    return Section(
        "devices", "Devices", (Table(("device", "address", "framing", "unit", "simulated"), rows),)
    )


def _requirements(report: RunReport) -> Section | None:
    verdicts: dict[str, list[StepLine]] = {}
    for step in report.steps:
        for requirement in step.requirements:
            verdicts.setdefault(requirement, []).append(step)
    if not verdicts:
        return None
    rows = []
    for requirement, steps in verdicts.items():
        words = {step.verdict for step in steps}
        verdict = next((w for w in ("error", "fail", "skipped") if w in words), "pass")
        names = ", ".join(f"{step.number} {step.name}" for step in steps)
        rows.append(Row((Cell(requirement), Cell(names), Cell(verdict, status_of(verdict)))))
    table = Table(("requirement", "steps", "verdict"), tuple(rows), row_header=True)
    return Section("requirements", "Requirements", (table,))


def run_document(report: RunReport, *, figures: Sequence[Figure] = ()) -> ReportDocument:
    """The report of one run: summary, steps, devices, requirements and ``figures``."""
    sections = [_summary(report), _steps(report), _devices(report)]
    if requirements := _requirements(report):
        sections.append(requirements)
    if figures:
        sections.append(Section("charts", "Charts", tuple(figures)))
    return ReportDocument(
        kind="run",
        title=f"Test report: {report.plan_name}",
        verdict=_verdict_word(report.verdict),
        header=_run_header(report),
        sections=tuple(sections),
        date=report.started_at,
    )


def tempco_document(
    report: RunReport,
    points: Sequence[TempcoPoint],
    *,
    expected_ppm: float,
    tolerance_ppm: float,
    ppm_per_c: float,
    r_squared: float,
    figures: Sequence[Figure] = (),
) -> ReportDocument:
    """The report of a TempCo sweep: the run's report, then the coefficient, ``figures`` (its
    curve) and its points."""
    delta = ppm_per_c - expected_ppm
    within = abs(delta) <= tolerance_ppm
    tiles = KpiTiles(
        (
            Kpi("tempco (ppm/C)", f"{ppm_per_c:.2f}", "pass" if within else "fail"),
            Kpi("expected (ppm/C)", f"{expected_ppm:g} +/- {tolerance_ppm:g}"),
            Kpi("delta (ppm/C)", f"{delta:+.2f}"),
            Kpi("fit r^2", f"{r_squared:.5f}"),
        )
    )
    table = Table(
        ("setpoint (C)", "chamber (C)", "Vout (V)"),
        tuple(
            Row.of(f"{p.setpoint_c:g}", f"{p.temperature_c:.2f}", f"{p.vout_v:.6f}") for p in points
        ),
        numeric=frozenset({0, 1, 2}),
    )
    sweep = Section("tempco", "Temperature coefficient", (tiles, *figures, table))
    run = run_document(report)
    return ReportDocument(
        kind="tempco",
        title=f"Temperature coefficient: {report.plan_name}",
        verdict=run.verdict,
        header=run.header,
        sections=(run.sections[0], sweep, *run.sections[1:]),
        date=run.date,
    )
