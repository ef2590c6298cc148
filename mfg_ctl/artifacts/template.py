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
_AXIS = "#37474f"
_GRID = "#cfd8dc"
_TEXT = "#263238"


def _text(x: float, y: float, text: str, anchor: str = "start", extra: str = "") -> str:
    return f'<text x="{x:g}" y="{y:g}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def _line(x1: float, y1: float, x2: float, y2: float, css: str, colour: str, width: float) -> str:
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
        parts.append(_line(chart.left, y, chart.right, y, "grid", _GRID, 0.5))
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
    parts.append(_line(chart.left, chart.top, chart.left, chart.bottom, "axis", _AXIS, 1))
    parts.append(_line(chart.right, chart.top, chart.right, chart.bottom, "axis", _AXIS, 1))
    parts.append(_line(chart.left, chart.bottom, chart.right, chart.bottom, "axis", _AXIS, 1))
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
