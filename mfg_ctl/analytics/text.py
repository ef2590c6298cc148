"""Yield figures and a unit's history as plain-text tables, for ``mfg-ctl analytics`` and
``mfg-ctl history``.

Figures come from :mod:`mfg_ctl.analytics.figures`; this module only lays them
out. Names from the records (step names, stations, operators) are cell text:
control characters become ``?`` and long names are clipped, so a hostile
``events.jsonl`` cannot rewrite the terminal or flood a table.
"""

from __future__ import annotations

from collections.abc import Sequence

from mfg_ctl.analytics.figures import DIMENSIONS, ParetoEntry, YieldReport, utc
from mfg_ctl.analytics.records import UnitRun
from mfg_ctl.wording import clip_text

__all__ = ["PARETO_ROWS", "percent", "render_history_text", "render_yield_text", "table"]

#: How many entries of each Pareto the text shows (``--json`` has them all).
PARETO_ROWS = 10
#: The widest a name from the records is shown.
CELL_LIMIT = 40
#: What each Pareto counts, as its heading says.
STEP_COUNT = "runs in which the step ended fail or error"
CODE_COUNT = "attempts that carried the code"
_HEADINGS = {
    "station": "By station (of the first run)",
    "stage": "By stage",
    "batch": "By batch (of the first run)",
    "operator": "By operator (of the first run)",
    "hour": "By hour of the first run (UTC)",
}


def percent(value: float | None) -> str:
    """``0.55`` as ``55.0%``; no value (nothing tested) as ``-``."""
    return "-" if value is None else f"{value * 100:.1f}%"


def _cell(text: str) -> str:
    shown = "".join("?" if ord(c) < 32 or ord(c) == 127 else c for c in text)
    return clip_text(shown, CELL_LIMIT) if shown else "-"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """Lines of a table; ``align`` has one letter per column, ``l`` or ``r``."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = (
            cell.rjust(width) if side == "r" else cell.ljust(width)
            for cell, width, side in zip(row, widths, align, strict=True)
        )
        return "  ".join(cells).rstrip()

    return [line(header), *(line(row) for row in rows)]


def _kpis(report: YieldReport) -> list[str]:
    tested = report.tested
    rows = [
        ["FPY", percent(report.fpy), f"{report.first_pass}/{tested} right first time"],
        ["final yield", percent(report.final_yield), f"{report.passed}/{tested} passed in the end"],
        ["flaky rate", percent(report.flaky_rate), f"{report.flaky}/{tested} passed on a retry"],
    ]
    if report.rty is not None:
        factors = " x ".join(f"{_cell(s.stage)} {percent(s.fpy)}" for s in report.stages)
        rows.append(["RTY", percent(report.rty), factors])
    else:
        rows.append(["RTY", "-", "needs two stages or more"])
    return table(["yield", "value", ""], rows, "lrl")


def _pareto(title: str, what: str, entries: Sequence[ParetoEntry]) -> list[str]:
    if not entries:
        return [f"{title}: none"]
    shown = entries[:PARETO_ROWS]
    more = f", top {PARETO_ROWS} of {len(entries)}" if len(entries) > PARETO_ROWS else ""
    rows = [
        [
            _cell(entry.name),
            str(entry.count),
            f"{entry.percent:.1f}%",
            f"{entry.cumulative_percent:.1f}%",
        ]
        for entry in shown
    ]
    return [f"{title}{more}", *table(["name", what, "share", "cumulative"], rows, "lrrr")]


def _strata(report: YieldReport, dimension: str) -> list[str]:
    rows = [
        [
            _cell(stratum.key),
            str(stratum.tested),
            str(stratum.first_pass),
            str(stratum.passed),
            percent(stratum.fpy),
            percent(stratum.final_yield),
        ]
        for stratum in report.stratification[dimension]
    ]
    header = [dimension, "tested", "first pass", "passed", "FPY", "final"]
    return [_HEADINGS[dimension], *table(header, rows, "lrrrrr")]


def render_yield_text(report: YieldReport) -> str:
    """The report as a terminal shows it: KPIs, the two Paretos (top 10), the strata."""
    units = f"units: {report.tested} tested, {report.passed} passed, {report.failed} failed"
    if not report.tested:
        return "units: 0 tested (no finished runs in scope)"
    sections = [
        [units, *_kpis(report)],
        _pareto(f"Failing steps ({STEP_COUNT})", "runs", report.step_pareto),
        _pareto(f"Error codes ({CODE_COUNT})", "attempts", report.code_pareto),
        *(_strata(report, dimension) for dimension in DIMENSIONS),
    ]
    return "\n\n".join("\n".join(section) for section in sections)


def _step_notes(run: UnitRun) -> list[str]:
    """One line per step that did not simply pass first time."""
    notes = []
    for step in run.steps:
        if step.status == "pass" and step.attempts <= 1 and not step.error_codes:
            continue
        what = f"    {step.index:>3} {_cell(step.name)}: {_cell(step.status)}"
        if step.attempts:
            tries = f"{step.attempts} attempt{'s' if step.attempts != 1 else ''}"
            codes = f"; codes {', '.join(_cell(code) for code in step.error_codes)}"
            what += f" ({tries}{codes if step.error_codes else ''})"
        notes.append(what)
    return notes


def render_history_text(runs: Sequence[UnitRun]) -> str:
    """A unit's runs, oldest first, one table row each; under it the steps worth a look."""
    if not runs:
        return "no finished runs"
    header = ["started (UTC)", "run", "stage", "station", "batch", "operator", "plan", "result"]
    rows = [
        [
            utc(run.started).strftime("%Y-%m-%d %H:%M:%S"),
            _cell(run.run_id[:8]),
            _cell(run.stage),
            _cell(run.station_id),
            _cell(run.batch_id),
            _cell(run.operator),
            _cell(run.plan_name),
            _cell(run.status) + (" (retried)" if run.passed and run.retried else ""),
        ]
        for run in runs
    ]
    lines = table(header, rows, "llllllll")
    out = [lines[0]]
    for run, line in zip(runs, lines[1:], strict=True):
        out.append(line)
        out.extend(_step_notes(run))
    return "\n".join(out)
