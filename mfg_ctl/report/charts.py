"""Control-chart images and the ``mfg-ctl trends --export`` documents (Markdown and HTML).

One chart per analysed step, drawn by :func:`draw_control_chart` (which also draws the
PDF report's PNG, :func:`mfg_ctl.report.plots.control_chart_png`): the readings in run
order, the centre line, the 3-sigma control limits, the step's specification limits and
the points a run rule flags (ringed, with the rule numbers). matplotlib is imported only
when a chart is drawn, so starting ``mfg-ctl`` never pays for it.

The HTML document is self-contained: every text escaped, the style inline, each chart an
inline ``<svg>`` (no external file, script, font or link). The Markdown document links
SVG files written beside it (``NAME-01.svg``, ...).
"""

from __future__ import annotations

import html
import io
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from mfg_ctl.analytics.trends import HEADERS, StepTrend, cells
from mfg_ctl.report.chart_words import ENGLISH, ChartWords
from mfg_ctl.report.plots import drawing

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "ExportError",
    "chart_svg",
    "draw_control_chart",
    "render_html",
    "render_markdown",
    "write_export",
]

#: What comes before the ``<svg`` element in matplotlib's output (XML declaration, DOCTYPE
#: pointing at the W3C's DTD): dropped, so an inline chart refers to nothing outside.
_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.DOTALL)
#: Markdown's special characters, backslash-escaped in table cells and headings.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]#|<>&])")


class ExportError(Exception):
    """An export could not be written; the message is one line for the user."""


def chart_svg(trend: StepTrend, salt: str = "", words: ChartWords = ENGLISH) -> str:
    """The control chart of an analysed step as an ``<svg>`` element (no XML prologue).

    ``salt`` makes the element ids differ between charts of one HTML page.
    """
    with drawing((8, 3.2), salt=salt or trend.series.step) as figure:
        draw_control_chart(figure, trend, words)
        output = io.StringIO()
        figure.savefig(
            output, format="svg", metadata=dict.fromkeys(("Creator", "Date", "Format", "Type"))
        )
    return _PROLOGUE.sub("", output.getvalue(), count=1)


def draw_control_chart(figure: Figure, trend: StepTrend, words: ChartWords = ENGLISH) -> None:
    """Draw the control chart of an analysed step on ``figure`` (SVG and PNG alike).

    The readings in run order, the centre line, the 3-sigma control limits, the step's
    specification limits and the points a run rule flags, ringed with the rule numbers.
    """
    analysis = trend.analysis
    if analysis is None:
        raise ValueError(f"step {trend.series.step} has no chart: {trend.note}")
    series, chart = trend.series, analysis.chart
    runs = list(range(len(series.values)))
    axes = figure.add_subplot()
    axes.plot(
        runs, series.values, marker="o", markersize=3, linewidth=0.8, label=words.control_reading
    )
    axes.plot(runs, chart.location.center, color="green", linewidth=1, label=words.control_centre)
    axes.plot(runs, chart.location.ucl, color="orange", linestyle="--", label=words.control_limits)
    axes.plot(runs, chart.location.lcl, color="orange", linestyle="--")
    for limit, name in (
        (series.low, words.control_spec_low),
        (series.high, words.control_spec_high),
    ):
        if limit is not None and math.isfinite(limit):
            axes.axhline(limit, color="red", linewidth=1, label=name)
    _ring_flagged(axes, trend, words.control_flagged)
    classification = words.classification(analysis.classification)
    axes.set_title(
        words.control_title.format(
            step=series.step, plan=series.plan, classification=classification
        )
    )
    axes.set_xlabel(words.control_x)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)


def _ring_flagged(axes: Axes, trend: StepTrend, label: str) -> None:
    flagged = trend.flagged()
    if not flagged:
        return
    axes.scatter(
        [point["index"] for point in flagged],
        [point["value"] for point in flagged],
        s=70,
        facecolors="none",
        edgecolors="red",
        linewidths=1.2,
        label=label,
        zorder=3,
    )
    for point in flagged:
        axes.annotate(
            ",".join(map(str, point["rules"])),
            (point["index"], point["value"]),
            textcoords="offset points",
            xytext=(0, 7),
            ha="center",
            fontsize=7,
            color="red",
        )


def _markdown_text(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text.replace("\n", " "))


def render_markdown(
    found: Sequence[StepTrend], title: str, rules: str, images: Sequence[str | None]
) -> str:
    """The Markdown document: the table, then per step its chart (``images``: file names)."""
    lines = [f"# {_markdown_text(title)}", "", f"Run rules: {_markdown_text(rules)}.", ""]
    lines.append("| plan | " + " | ".join(HEADERS) + " |")
    lines.append("|" + "---|" * (len(HEADERS) + 1))
    for trend in found:
        row = [trend.series.plan, *cells(trend)]
        lines.append("| " + " | ".join(_markdown_text(cell) for cell in row) + " |")
    for trend, image in zip(found, images, strict=True):
        heading = f"{_markdown_text(trend.series.step)} ({_markdown_text(trend.series.plan)})"
        lines += ["", f"## {heading}", ""]
        if image is None:
            lines.append(_markdown_text(trend.note or "no chart"))
        else:
            alt = _markdown_text(f"control chart of {trend.series.step}")
            lines.append(f"![{alt}]({image})")
    return "\n".join(lines) + "\n"


_STYLE = (
    "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}"
    "td,th{border:1px solid #bbb;padding:2px 6px;text-align:left}svg{max-width:100%;height:auto}"
)


def render_html(
    found: Sequence[StepTrend], title: str, rules: str, charts: Sequence[str | None]
) -> str:
    """The self-contained HTML document: the table, then per step its inline SVG chart."""
    escape = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>Run rules: {escape(rules)}.</p>",
        "<table><tr><th>plan</th>" + "".join(f"<th>{escape(h)}</th>" for h in HEADERS) + "</tr>",
    ]
    for trend in found:
        row = [trend.series.plan, *cells(trend)]
        parts.append("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>")
    parts.append("</table>")
    for trend, svg in zip(found, charts, strict=True):
        parts.append(f"<h2>{escape(trend.series.step)} ({escape(trend.series.plan)})</h2>")
        parts.append(svg if svg is not None else f"<p>{escape(trend.note or 'no chart')}</p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ExportError(f"cannot write {path}: {reason}") from None


def write_export(path: Path, found: Sequence[StepTrend], title: str, rules: str) -> int:
    """Write ``path`` (.md with SVG files beside it, or .html); return the charts drawn."""
    charts = [
        None if trend.analysis is None else chart_svg(trend, f"{trend.series.plan}/{index}")
        for index, trend in enumerate(found, start=1)
    ]
    if path.suffix.lower() == ".html":
        _write(path, render_html(found, title, rules, charts))
        return sum(chart is not None for chart in charts)
    images: list[str | None] = []
    for index, chart in enumerate(charts, start=1):
        if chart is None:
            images.append(None)
            continue
        image = path.with_name(f"{path.stem}-{index:02d}.svg")
        _write(image, chart)
        images.append(quote(image.name))
    _write(path, render_markdown(found, title, rules, images))
    return sum(image is not None for image in images)
