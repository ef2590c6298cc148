"""The geometry of a Pareto chart: bars by count, a cumulative-percent line, two axes.

Numbers only: the report's template draws them as inline SVG, so every label
is escaped there like any other value. Bar heights are proportional to the
counts (the tallest bar fills the plot); the line's points sit over the bar
centres at their cumulative percent (100 % at the top of the plot).

>>> chart = pareto_chart([{"name": "a", "count": 3, "percent": 75.0, "cumulative_percent": 75.0},
...                       {"name": "b", "count": 1, "percent": 25.0, "cumulative_percent": 100.0}])
>>> [bar.height for bar in chart.bars]
[180.0, 60.0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mfg_ctl.wording import clip_text

__all__ = ["MAX_BARS", "ParetoBar", "ParetoChart", "pareto_chart"]

#: The most bars a chart draws; its table lists every entry.
MAX_BARS = 25
#: Characters of a name written under its bar (the full name is the bar's tooltip).
LABEL_LIMIT = 18

_WIDTH = 640.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 48.0, 52.0, 16.0, 104.0
_PLOT_HEIGHT = 180.0
_WIDEST_BAR = 56.0


@dataclass(frozen=True)
class ParetoBar:
    """One entry's bar, its label and its point on the cumulative line."""

    name: str
    label: str  # the name, shortened to fit under the bar
    count: int
    cumulative_percent: float
    x: float
    y: float
    width: float
    height: float
    centre: float
    line_y: float


@dataclass(frozen=True)
class ParetoChart:
    """Everything the template needs to draw one chart."""

    width: float
    height: float
    left: float
    top: float
    plot_width: float
    plot_height: float
    bars: tuple[ParetoBar, ...]
    count_ticks: tuple[tuple[float, int], ...]  # (y, count)
    percent_ticks: tuple[tuple[float, int], ...]  # (y, percent)
    line_points: str  # "x,y x,y ..." for the cumulative polyline
    total_entries: int

    @property
    def bottom(self) -> float:
        """The y of the plot's base line."""
        return self.top + self.plot_height

    @property
    def right(self) -> float:
        """The x of the plot's right edge (the percent axis)."""
        return self.left + self.plot_width


def pareto_chart(entries: Sequence[Mapping[str, Any]]) -> ParetoChart | None:
    """The chart of Pareto ``entries`` (name, count, cumulative_percent); None when empty."""
    shown = [entry for entry in entries[:MAX_BARS] if int(entry["count"]) > 0]
    if not shown:
        return None
    plot_width = _WIDTH - _LEFT - _RIGHT
    pitch = plot_width / len(shown)
    tallest = max(int(entry["count"]) for entry in shown)
    bar_width = min(pitch * 0.7, _WIDEST_BAR)
    bars = []
    for place, entry in enumerate(shown):
        count = int(entry["count"])
        height = round(_PLOT_HEIGHT * count / tallest, 2)
        cumulative = float(entry["cumulative_percent"])
        centre = _LEFT + pitch * (place + 0.5)
        bars.append(
            ParetoBar(
                name=str(entry["name"]),
                label=clip_text(str(entry["name"]), LABEL_LIMIT),
                count=count,
                cumulative_percent=cumulative,
                x=round(centre - bar_width / 2, 2),
                y=round(_TOP + _PLOT_HEIGHT - height, 2),
                width=round(bar_width, 2),
                height=height,
                centre=round(centre, 2),
                line_y=_percent_y(cumulative),
            )
        )
    return ParetoChart(
        width=_WIDTH,
        height=_TOP + _PLOT_HEIGHT + _BOTTOM,
        left=_LEFT,
        top=_TOP,
        plot_width=plot_width,
        plot_height=_PLOT_HEIGHT,
        bars=tuple(bars),
        count_ticks=tuple(
            (round(_TOP + _PLOT_HEIGHT * (1 - tick / tallest), 2), tick)
            for tick in _count_ticks(tallest)
        ),
        percent_ticks=tuple((_percent_y(tick), tick) for tick in (0, 25, 50, 75, 100)),
        line_points=" ".join(f"{bar.centre},{bar.line_y}" for bar in bars),
        total_entries=len(entries),
    )


def _percent_y(percent: float) -> float:
    clamped = min(max(percent, 0.0), 100.0)
    return round(_TOP + _PLOT_HEIGHT * (1 - clamped / 100), 2)


def _count_ticks(tallest: int) -> list[int]:
    """0, the tallest count, and whole numbers between them at a readable step."""
    step = max(1, math.ceil(tallest / 4))
    ticks = [tick for tick in range(0, tallest, step) if tick == 0 or tallest - tick >= step / 2]
    return [*ticks, tallest]
