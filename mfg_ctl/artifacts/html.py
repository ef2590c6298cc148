"""The qualification report of a batch, as a report document and as its HTML page.

:func:`batch_document` turns the summary (the dict written as
``results_summary.json``), the coverage matrix and the attempt rows into a
:class:`~mfg_ctl.report.document.ReportDocument`: header, KPIs, Pareto charts
and tables, requirement coverage, per-unit outcomes, failed-step details,
units not tested, and the yield stratified by station, stage, batch, operator
and hour. :func:`render_qualification_report` is its HTML page, written as
``qualification_report.html`` in every run folder (the PDF renderer takes the
same document). Values are formatted here; the renderers escape them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from mfg_ctl.artifacts.chart import pareto_chart
from mfg_ctl.artifacts.coverage import CoverageMatrix
from mfg_ctl.artifacts.template import pareto_svg
from mfg_ctl.report.branding import Branding
from mfg_ctl.report.document import (
    Block,
    BulletList,
    Cell,
    Figure,
    Kpi,
    KpiTiles,
    Paragraph,
    ReportDocument,
    Row,
    Section,
    Subheading,
    Table,
    number_text,
    status_of,
)
from mfg_ctl.report.html import render_html

__all__ = ["batch_document", "failed_steps", "fraction", "render_qualification_report"]

#: The stratification tables, in the order they print, with their headings.
_STRATA = (
    ("station", "station"),
    ("stage", "stage"),
    ("batch", "batch"),
    ("operator", "operator"),
    ("hour", "hour"),
)
#: Characters of a plan hash or run id shown (the full ones are in the JSON files).
_SHORT = 12
_RUN_SHORT = 8
_NOT_AVAILABLE = "n/a"


def render_qualification_report(
    summary: Mapping[str, Any],
    matrix: CoverageMatrix,
    rows: Sequence[Mapping[str, Any]],
    branding: Branding | None = None,
) -> str:
    """``qualification_report.html``: the page of :func:`batch_document`."""
    return render_html(batch_document(summary, matrix, rows), branding)


def batch_document(
    summary: Mapping[str, Any],
    matrix: CoverageMatrix,
    rows: Sequence[Mapping[str, Any]],
    *,
    figures: Sequence[Figure] = (),
    pareto_images: Mapping[str, Figure] | None = None,
) -> ReportDocument:
    """The qualification report of a batch; ``figures`` (charts) follow the Pareto section.

    ``pareto_images`` (by Pareto: ``steps``, ``error_codes``) replace the inline SVG
    charts a run folder's page draws without matplotlib.
    """
    batch = summary["batch"]
    sections = [
        _results(summary["units"], summary["yield"]),
        _paretos(summary["pareto"], pareto_images or {}),
        _coverage(matrix),
        _units(summary["unit_outcomes"]),
        _failures(rows),
        _not_tested(summary["not_tested"]),
        _strata(summary.get("stratification", {})),
    ]
    if figures:
        sections.insert(2, Section("charts", "Charts", tuple(figures)))
    started = str(batch["started"])
    return ReportDocument(
        kind="batch",
        title=f"Qualification report: batch {batch['batch_id']}",
        verdict=_verdict(summary["units"]),
        header=_header(batch),
        sections=tuple(sections),
        date=_parsed(started),
    )


def fraction(value: float | None) -> str:
    """A 0..1 fraction as a percentage with one decimal: ``97.5 %``; None as ``n/a``."""
    return _NOT_AVAILABLE if value is None else f"{value * 100:.1f} %"


def _percent(value: float | None) -> str:
    return _NOT_AVAILABLE if value is None else f"{value:.1f} %"


def _parsed(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        return None


def _verdict(units: Mapping[str, Any]) -> str:
    """FAIL if a unit failed, PASS if units were tested and all passed, else none."""
    if units["failed"]:
        return "FAIL"
    return "PASS" if units["tested"] else ""


def _header(batch: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    plan_hash = str(batch["plan_hash"] or "")
    plan = f"{batch['plan']} version {batch['plan_version']}"
    if plan_hash:
        plan += f" (hash {plan_hash[:_SHORT]})"
    return (
        ("Plan", plan),
        ("Batch", str(batch["batch_id"])),
        ("Station", str(batch["station_id"])),
        ("Stage", str(batch["stage"])),
        ("Operators", ", ".join(str(name) for name in batch["operators"]) or "not recorded"),
        ("Date", str(batch["started"])),
        ("Finished", str(batch["finished"]) if batch["finished"] else "not finished"),
        ("Artifacts", str(batch["run_dir"])),
    )


def _results(units: Mapping[str, Any], figures: Mapping[str, Any]) -> Section:
    kpis = [
        Kpi("units tested", str(units["tested"])),
        Kpi("passed", str(units["passed"])),
        Kpi("failed", str(units["failed"]), "fail" if units["failed"] else ""),
        Kpi("not tested", str(units["not_tested"])),
        Kpi("first pass yield (FPY)", fraction(figures["fpy"])),
        Kpi("final yield", fraction(figures["final_yield"])),
        Kpi("flaky rate (passed on retry)", fraction(figures["flaky_rate"])),
    ]
    if figures.get("rty") is not None:
        kpis.append(Kpi("rolled throughput yield (RTY)", fraction(figures["rty"])))
    blocks: list[Block] = [KpiTiles(tuple(kpis))]
    if stages := figures.get("stages"):
        stage_rows = tuple(
            Row.of(str(stage["stage"]), str(stage["tested"]), fraction(stage["fpy"]))
            for stage in stages
        )
        blocks.append(Table(("stage", "tested", "FPY"), stage_rows, numeric=frozenset({1, 2})))
    return Section("kpis", "Results", tuple(blocks))


def _pareto(
    title: str, entries: Sequence[Mapping[str, Any]], what: str, image: Figure | None
) -> list[Block]:
    blocks: list[Block] = [Subheading(title)]
    if not entries:
        return [*blocks, Paragraph("None.", note=True)]
    chart = pareto_chart(entries)
    if image is not None:
        blocks.append(image)
    elif chart is not None:
        blocks.append(
            Figure(
                f"{title}: count (bars) and cumulative percent (line)",
                pareto_svg(chart, title),
                "image/svg+xml",
                f"{title}: counts as bars, cumulative percent as a line",
            )
        )
        if len(chart.bars) < chart.total_entries:
            blocks.append(
                Paragraph(
                    f"The chart shows the first {len(chart.bars)} of {chart.total_entries}; "
                    "the table lists all.",
                    note=True,
                )
            )
    table_rows = tuple(
        Row.of(
            str(entry["name"]),
            str(entry["count"]),
            _percent(entry["percent"]),
            _percent(entry["cumulative_percent"]),
        )
        for entry in entries
    )
    blocks.append(
        Table((what, "count", "percent", "cumulative"), table_rows, numeric=frozenset({1, 2, 3}))
    )
    return blocks


def _paretos(pareto: Mapping[str, Any], images: Mapping[str, Figure]) -> Section:
    blocks = _pareto("Failing steps", pareto["steps"], "step", images.get("steps"))
    blocks += _pareto("Error codes", pareto["error_codes"], "error code", images.get("error_codes"))
    return Section("pareto", "Pareto of failures", tuple(blocks))


def _coverage_note(matrix: CoverageMatrix) -> str:
    counts = matrix.status_counts()
    runs = f"{matrix.run_count} run" + ("" if matrix.run_count == 1 else "s")
    tally = ", ".join(f"{count} {status}" for status, count in counts.items() if count)
    cells = (
        "a cell is the step's result"
        if matrix.run_count == 1
        else "a cell counts the runs in which the step passed, failed or did not run"
    )
    return f"{len(matrix.rows)} requirements over {runs}: {tally or 'none'}; {cells}."


def _coverage(matrix: CoverageMatrix) -> Section:
    blocks: list[Block] = [Paragraph(_coverage_note(matrix), note=True)]
    if not matrix.rows:
        blocks.append(Paragraph("No requirements: the plan names none.", note=True))
        return Section("coverage", "Requirement coverage", tuple(blocks))
    table_rows = []
    for row in matrix.rows:
        cells = [
            Cell(row.id),
            Cell(row.title),
            Cell(row.method),
            Cell(row.status, status_of(row.status)),
        ]
        cells += [
            Cell("", "empty")
            if cell is None
            else Cell(cell.text(matrix.run_count), status_of(cell.status))
            for cell in row.cells
        ]
        table_rows.append(Row(tuple(cells)))
    headers = ("requirement", "title", "method", "status", *(s.label for s in matrix.steps))
    blocks.append(Table(headers, tuple(table_rows), row_header=True, narrow_from=4))
    return Section("coverage", "Requirement coverage", tuple(blocks))


def _units(outcomes: Sequence[Mapping[str, Any]]) -> Section:
    if not outcomes:
        return Section("units", "Units", (Paragraph("No unit was run.", note=True),))
    table_rows = tuple(
        Row(
            (
                Cell(str(unit["sn"])),
                Cell(str(unit["run_id"])[:_RUN_SHORT]),
                Cell(str(unit["status"]), status_of(str(unit["status"]))),
                Cell(str(unit["first_failure"] or "")),
                Cell("yes" if unit["retried"] else "no"),
                Cell(", ".join(str(code) for code in unit["error_codes"])),
            )
        )
        for unit in outcomes
    )
    headers = ("serial number", "run", "status", "first failing step", "retried", "error codes")
    return Section("units", "Units", (Table(headers, table_rows),))


def failed_steps(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Each run's final attempt of the steps that failed or erred, in run order then step order."""
    finals: dict[tuple[str, int], Mapping[str, Any]] = {}
    run_order: dict[str, int] = {}
    for row in rows:
        key = (str(row["run_id"]), int(row["step_index"]))
        run_order.setdefault(key[0], len(run_order))
        if key not in finals or int(row["attempt"]) >= int(finals[key]["attempt"]):
            finals[key] = row
    ordered = sorted(finals.items(), key=lambda item: (run_order[item[0][0]], item[0][1]))
    return [row for _, row in ordered if row["status"] in {"fail", "error"}]


def _failures(rows: Sequence[Mapping[str, Any]]) -> Section:
    failures = failed_steps(rows)
    if not failures:
        return Section("failures", "Failed steps", (Paragraph("No step failed.", note=True),))
    table_rows = tuple(
        Row(
            (
                Cell(str(row["sn"])),
                Cell(f"{row['step_index']} {row['step']}"),
                Cell(str(row["status"]), "fail"),
                Cell(number_text(row.get("value"))),
                Cell(number_text(row.get("low"))),
                Cell(number_text(row.get("high"))),
                Cell(str(row.get("unit") or "")),
                Cell(str(row.get("error_code") or "")),
                Cell(str(row.get("reason") or "")),
                Cell(str(row["attempt"])),
            )
        )
        for row in failures
    )
    headers = ("serial number", "step", "status", "value", "low", "high", "unit",
               "error code", "reason", "attempts")  # fmt: skip
    table = Table(headers, table_rows, numeric=frozenset({3, 4, 5, 9}))
    return Section("failures", "Failed steps", (table,))


def _not_tested(serials: Sequence[str]) -> Section:
    if not serials:
        note = Paragraph("None: every unit of the batch was tested.", note=True)
        return Section("not-tested", "Units not tested", (note,))
    return Section("not-tested", "Units not tested", (BulletList(tuple(map(str, serials))),))


def _strata(stratification: Mapping[str, Any]) -> Section:
    blocks: list[Block] = []
    headers = ("tested", "first pass", "passed", "FPY", "final yield")
    for key, title in _STRATA:
        if key not in stratification:
            continue
        table_rows = tuple(
            Row.of(
                str(stratum["key"]),
                str(stratum["tested"]),
                str(stratum["first_pass"]),
                str(stratum["passed"]),
                fraction(stratum["fpy"]),
                fraction(stratum["final_yield"]),
            )
            for stratum in stratification[key]
        )
        blocks.append(Subheading(f"By {title}"))
        blocks.append(Table((title, *headers), table_rows, numeric=frozenset(range(1, 6))))
    if not blocks:
        blocks.append(Paragraph("No figures.", note=True))
    title = "Yield by station, stage, batch, operator and hour"
    return Section("stratification", title, tuple(blocks))
