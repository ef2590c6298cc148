"""From what a command has to the one report document, with its charts; from the document
to HTML, PDF and Markdown.

A run's report becomes a run document, or a TempCo document when the run recorded a
sweep's raw readings (its curve is drawn from them, so a run read back from the store
draws the same chart as the live run). A batch read back from the store becomes a batch
document with its Paretos, and a control chart and a histogram with Cpk for each measured
step. Branding (company, logo, chart DPI) comes from the settings file
(:mod:`mfg_ctl.report.branding`). matplotlib, Jinja2 and WeasyPrint are imported by the
modules this one calls, when it calls them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from mfg_ctl.report.branding import Branding, load_branding
from mfg_ctl.report.document import (
    Figure,
    Paragraph,
    ReportDocument,
    Row,
    Section,
    Table,
    run_document,
    tempco_document,
)
from mfg_ctl.report.model import RunReport, StepLine
from mfg_ctl.tempco import Fit, TempcoPoint, fit_line, points_of, tempco_ppm_per_c

if TYPE_CHECKING:
    from mfg_ctl.batch.recorded import RecordedBatch

__all__ = [
    "MAX_STEP_CHARTS",
    "TEMPCO_UNIT",
    "TempcoFigures",
    "batch_report_document",
    "html_text",
    "markdown_text",
    "pdf_bytes",
    "run_report_document",
    "tempco_figures",
]

#: The most measured steps a batch report draws charts for (its tables list every step).
MAX_STEP_CHARTS = 12
#: The unit a TempCo step is judged in (``mfg_ctl.steps.tempco``).
TEMPCO_UNIT = "ppm/C"


def _tempco_step(report: RunReport) -> StepLine | None:
    """The step that judged the sweep, in ppm/C (None: the run swept nothing)."""
    if not report.readings:
        return None
    return next((step for step in report.steps if step.unit == TEMPCO_UNIT), None)


@dataclass(frozen=True)
class TempcoFigures:
    """What a swept run's TempCo is judged on: the step, the points and their fit, the
    expected coefficient and its tolerance (ppm/C), and the measured coefficient."""

    step: StepLine
    points: tuple[TempcoPoint, ...]
    fit: Fit
    expected_ppm: float
    tolerance_ppm: float
    ppm_per_c: float


def tempco_figures(report: RunReport) -> TempcoFigures | None:
    """The TempCo of a run from its sweep readings; None when it swept no judged curve."""
    step = _tempco_step(report)
    points = points_of(report.readings)
    if step is None or len(points) < 2 or step.expected is None:
        return None
    fit = fit_line([p.temperature_c for p in points], [p.vout_v for p in points])
    tolerance = (step.high - step.low) / 2 if step.high is not None and step.low is not None else 0
    return TempcoFigures(step, points, fit, step.expected, tolerance, tempco_ppm_per_c(fit))


def run_report_document(report: RunReport, branding: Branding | None = None) -> ReportDocument:
    """A run's document: a TempCo document when it swept (with its curve), else a run one."""
    branding = branding if branding is not None else load_branding()
    found = tempco_figures(report)
    if found is None:
        return run_document(report)
    from mfg_ctl.report.plots import tempco_curve_png  # noqa: PLC0415 - matplotlib

    points, fit, ppm = found.points, found.fit, found.ppm_per_c
    expected, tolerance = found.expected_ppm, found.tolerance_ppm
    readings = [(reading.chamber_c, reading.vout_v) for reading in report.readings]
    curve = tempco_curve_png(
        points,
        fit,
        expected_ppm=expected,
        tolerance_ppm=tolerance,
        dpi=branding.chart_dpi,
        readings=readings,
    )
    figure = Figure(
        "TempCo curve",
        curve,
        "image/png",
        f"Vout against chamber temperature: {len(points)} points, the fit "
        f"({ppm:.2f} ppm/C) and the band of {expected:g} +/- {tolerance:g} ppm/C",
    )
    return tempco_document(
        report,
        points,
        expected_ppm=expected,
        tolerance_ppm=tolerance,
        ppm_per_c=ppm,
        r_squared=fit.r_squared,
        figures=(figure,),
    )


@dataclass
class _Measured:
    """One measured step of a batch: its values in run order, their runs, its newest limits."""

    values: list[float] = field(default_factory=list)
    run_ids: list[str] = field(default_factory=list)
    low: float | None = None
    high: float | None = None


def _measured_steps(rows: Sequence[Mapping[str, Any]]) -> dict[tuple[int, str], _Measured]:
    """Each measured step's finite values, by (number, name), in the order steps first came."""
    steps: dict[tuple[int, str], _Measured] = {}
    for row in rows:
        value = row.get("value")
        if not isinstance(value, int | float) or not math.isfinite(value):
            continue
        measured = steps.setdefault((int(row["step_index"]), str(row["step"])), _Measured())
        measured.values.append(float(value))
        measured.run_ids.append(str(row["run_id"]))
        measured.low, measured.high = row.get("low"), row.get("high")
    return steps


def _measured_section(rows: Sequence[Mapping[str, Any]], dpi: int, plan: str) -> Section | None:
    """The measured steps: their statistics as ``mfg-ctl trends`` tabulates them, then a
    control chart and a histogram for each (the first MAX_STEP_CHARTS); None: no step
    measured anything."""
    import numpy as np  # noqa: PLC0415 - only a batch's charts need it

    from mfg_ctl.analytics.trends import (  # noqa: PLC0415 - numpy
        HEADERS,
        StepSeries,
        analyse_step,
        cells,
    )
    from mfg_ctl.report.plots import control_chart_png, histogram_png  # noqa: PLC0415

    figures, rows_out = [], []
    measured_steps = list(_measured_steps(rows).items())
    for position, ((number, name), step) in enumerate(measured_steps):
        series = StepSeries(
            plan, name, number, "", np.array(step.values), tuple(step.run_ids), step.low, step.high
        )
        trend = analyse_step(series)
        rows_out.append(Row.of(*cells(trend)))
        if position >= MAX_STEP_CHARTS:
            continue
        title = f"{number} {name}"
        if trend.analysis is not None:
            chart = control_chart_png(trend, dpi=dpi)
            alt = f"individuals chart of {name} over {len(step.values)} units"
            figures.append(Figure(f"{title}: control chart", chart, "image/png", alt))
        histogram = histogram_png(step.values, title=title, low=step.low, high=step.high, dpi=dpi)
        alt = f"distribution of {name} with its specification limits and Cpk"
        figures.append(Figure(f"{title}: distribution", histogram, "image/png", alt))
    if not rows_out:
        return None
    table = Table(HEADERS, tuple(rows_out), numeric=frozenset({1, 2, 3, 6}))
    note = Paragraph(
        "Each measured step over the batch's units in run order: individuals chart, "
        "Western Electric rules, Cpk against the step's own limits.",
        note=True,
    )
    return Section("measured-steps", "Measured steps", (note, table, *figures))


def batch_report_document(batch: RecordedBatch, branding: Branding | None = None) -> ReportDocument:
    """A batch's document: its summary, coverage and rows, with Paretos and step charts."""
    from mfg_ctl.report.plots import pareto_png  # noqa: PLC0415 - matplotlib

    branding = branding if branding is not None else load_branding()
    dpi = branding.chart_dpi
    pareto_images = {}
    for key, title in (("steps", "Failing steps"), ("error_codes", "Error codes")):
        image = pareto_png(batch.summary["pareto"].get(key, []), title=title, dpi=dpi)
        if image is not None:
            alt = f"{title}: counts as bars, cumulative percent as a line"
            pareto_images[key] = Figure(
                f"{title}: count (bars) and cumulative percent (line)", image, "image/png", alt
            )
    measured = _measured_section(batch.rows, dpi, batch.record.plan_name)
    from mfg_ctl.artifacts.html import batch_document  # noqa: PLC0415 - Jinja2

    document = batch_document(batch.summary, batch.matrix, batch.rows, pareto_images=pareto_images)
    if measured is None:
        return document
    sections = list(document.sections)
    after = next((i + 1 for i, s in enumerate(sections) if s.anchor == "pareto"), len(sections))
    sections.insert(after, measured)
    return replace(document, sections=tuple(sections))


def html_text(document: ReportDocument, branding: Branding | None = None) -> str:
    """The document as one self-contained HTML page."""
    from mfg_ctl.report.html import render_html  # noqa: PLC0415 - Jinja2

    return render_html(document, branding if branding is not None else load_branding())


def pdf_bytes(document: ReportDocument, branding: Branding | None = None) -> bytes:
    """The document as PDF (ReportError when WeasyPrint or Pango is missing)."""
    from mfg_ctl.report.pdf import render_pdf  # noqa: PLC0415 - WeasyPrint

    return render_pdf(document, branding if branding is not None else load_branding())


def markdown_text(document: ReportDocument) -> str:
    """The document as Markdown (images left out: Markdown has no way to embed them)."""
    from mfg_ctl.report.markdown import render_document_markdown  # noqa: PLC0415

    return render_document_markdown(document)
