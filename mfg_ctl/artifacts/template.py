"""The drawing of a Pareto chart: one standalone SVG file from :mod:`.chart`'s geometry.

The report embeds it as an image (a ``data:`` URI), so it carries its own
colours as attributes and refers to nothing outside itself. Every name is
escaped; the full name of a bar is its tooltip, the shortened one its label.

>>> from mfg_ctl.artifacts.chart import pareto_chart
>>> chart = pareto_chart([{"name": "<a>", "count": 2, "cumulative_percent": 100.0}])
>>> svg = pareto_svg(chart, "Failing steps").decode()
>>> svg.startswith("<svg") and "<title>&lt;a&gt;: 2</title>" in svg
True
"""

from __future__ import annotations

from html import escape

from mfg_ctl.artifacts.chart import ParetoChart

__all__ = ["pareto_svg"]

_BAR = "#5c7a99"
_LINE = "#c62828"
_TEXT = "#263238"
#: The colour and width of each kind of line.
_STROKES = {"grid": ("#cfd8dc", 0.5), "axis": ("#37474f", 1.0)}


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _line(css: str, x1: float, y1: float, x2: float, y2: float) -> str:
    colour, width = _STROKES[css]
    return (
        f'<line class="{css}" x1="{x1:g}" y1="{y1:g}" x2="{x2:g}" y2="{y2:g}" '
        f'stroke="{colour}" stroke-width="{width:g}"/>'
    )


def pareto_svg(chart: ParetoChart, title: str) -> bytes:
    """The chart as an SVG document: counts as bars, the cumulative percent as a line."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width:g} {chart.height:g}" '
        f'width="{chart.width:g}" height="{chart.height:g}" font-size="10" '
        f'font-family="DejaVu Sans, Arial, sans-serif" fill="{_TEXT}">',
        f"<title>{escape(title)}: counts as bars, cumulative percent as a line</title>",
    ]
    for y, tick in chart.count_ticks:
        parts.append(_line("grid", chart.left, y, chart.right, y))
        parts.append(_text(chart.left - 6, y + 3, str(tick), "end"))
    for y, tick in chart.percent_ticks:
        parts.append(_text(chart.right + 6, y + 3, f"{tick} %"))
    for bar in chart.bars:
        parts.append(
            f'<rect class="bar" x="{bar.x:g}" y="{bar.y:g}" width="{bar.width:g}" '
            f'height="{bar.height:g}" fill="{_BAR}" data-count="{bar.count}">'
            f"<title>{escape(bar.name)}: {bar.count}</title></rect>"
        )
        below = chart.bottom + 12
        rotate = f' transform="rotate(-40 {bar.centre:g} {below:g})"'
        parts.append(_text(bar.centre, below, bar.label, "end", rotate))
    parts.append(_line("axis", chart.left, chart.top, chart.left, chart.bottom))
    parts.append(_line("axis", chart.right, chart.top, chart.right, chart.bottom))
    parts.append(_line("axis", chart.left, chart.bottom, chart.right, chart.bottom))
    parts.append(
        f'<polyline class="cumulative" points="{chart.line_points}" fill="none" '
        f'stroke="{_LINE}" stroke-width="2"/>'
    )
    parts += [
        f'<circle class="dot" cx="{bar.centre:g}" cy="{bar.line_y:g}" r="2.5" fill="{_LINE}"/>'
        for bar in chart.bars
    ]
    parts.append("</svg>\n")
    return "\n".join(parts).encode("utf-8")
