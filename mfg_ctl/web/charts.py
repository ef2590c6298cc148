"""The dashboards' charts as ``data:`` image addresses (the pages' CSP allows ``img data:``).

The yield Paretos, control charts and TempCo curve are the report's own charts
(:mod:`mfg_ctl.report.plots`), so a page and a PDF show the same picture; the sweep's
temperatures over time is drawn here, in the same fixed style, with the labels the
page's language gives. Heat buckets turn a count into the CSS class of its cell.
matplotlib is imported by the drawing functions, when a chart is drawn.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mfg_ctl.analytics.trends import StepTrend
from mfg_ctl.report.compose import TempcoFigures
from mfg_ctl.report.plots import (
    control_chart_png,
    drawing,
    figure_png,
    pareto_png,
    tempco_curve_png,
)
from mfg_ctl.run.events import SweepReading

__all__ = [
    "HEAT_BUCKETS",
    "TemperatureLabels",
    "control_chart_uri",
    "data_uri",
    "heat_class",
    "pareto_uri",
    "tempco_curve_uri",
    "temperatures_uri",
]

#: How many shades a heatmap cell with failures can take (``heat-1`` .. ``heat-4``).
HEAT_BUCKETS = 4
#: The resolution of the pages' charts (the report's default).
_DPI = 110


def data_uri(image: bytes, media_type: str = "image/png") -> str:
    """``image`` as a ``data:`` address for an ``<img src>``."""
    return f"data:{media_type};base64,{base64.b64encode(image).decode('ascii')}"


def heat_class(count: int, most: int) -> str:
    """The CSS class of a heatmap cell: ``heat-0`` for none, up to ``heat-4`` for the most."""
    if count <= 0 or most <= 0:
        return "heat-0"
    return f"heat-{max(1, math.ceil(HEAT_BUCKETS * count / most))}"


def pareto_uri(entries: Sequence[Mapping[str, Any]], title: str) -> str | None:
    """The Pareto chart of ``entries`` (the yield report's list), or None with nothing failing."""
    image = pareto_png(entries, title=title, dpi=_DPI)
    return None if image is None else data_uri(image)


def control_chart_uri(trend: StepTrend) -> str | None:
    """The control chart of an analysed step; None for a step without (too few, constant)."""
    if trend.analysis is None:
        return None
    return data_uri(control_chart_png(trend, dpi=_DPI))


def tempco_curve_uri(found: TempcoFigures, readings: Sequence[SweepReading]) -> str:
    """Vout against temperature with the fit and the acceptance band (the report's curve)."""
    image = tempco_curve_png(
        found.points,
        found.fit,
        expected_ppm=found.expected_ppm,
        tolerance_ppm=found.tolerance_ppm,
        dpi=_DPI,
        readings=[(reading.chamber_c, reading.vout_v) for reading in readings],
    )
    return data_uri(image)


@dataclass(frozen=True)
class TemperatureLabels:
    """The texts of the temperatures chart, in the page's language."""

    title: str
    elapsed: str
    temperature: str
    setpoint: str
    chamber: str
    dut: str


def temperatures_uri(readings: Sequence[SweepReading], labels: TemperatureLabels) -> str:
    """The setpoint, the chamber's air and the DUT's case temperature against the sweep's
    elapsed time (minutes, in the bench's time); the DUT line only where a probe read it."""
    minutes = [reading.elapsed_s / 60 for reading in readings]
    with drawing() as figure:
        axes = figure.add_subplot()
        axes.step(
            minutes,
            [reading.setpoint_c for reading in readings],
            where="pre",
            color="0.55",
            linestyle="--",
            linewidth=0.9,
            label=labels.setpoint,
        )
        axes.plot(
            minutes,
            [reading.chamber_c for reading in readings],
            color="#1f4e9c",
            marker="o",
            markersize=2.5,
            linewidth=1.1,
            label=labels.chamber,
        )
        probed = [
            (at, r.dut_c) for at, r in zip(minutes, readings, strict=True) if r.dut_c is not None
        ]
        if probed:
            axes.plot(
                [at for at, _dut in probed],
                [dut for _at, dut in probed],
                color="#d62728",
                marker="s",
                markersize=2.5,
                linewidth=1.1,
                label=labels.dut,
            )
        axes.set_title(labels.title)
        axes.set_xlabel(labels.elapsed)
        axes.set_ylabel(labels.temperature)
        axes.grid(True, linewidth=0.3, color="0.85")
        axes.legend(loc="best")
        return data_uri(figure_png(figure, _DPI))
