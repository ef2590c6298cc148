"""The temperatures of a TempCo sweep against time: setpoint, chamber air and DUT case.

Drawn in the style of :mod:`mfg_ctl.report.plots` (same figure size and drawing
lock), its texts from :class:`~mfg_ctl.report.chart_words.ChartWords`; the web UI's
TempCo page shows it beside the curve.
"""

from __future__ import annotations

from collections.abc import Sequence

from mfg_ctl.report.chart_words import ENGLISH, ChartWords
from mfg_ctl.report.plots import drawing, figure_png
from mfg_ctl.run.events import SweepReading

__all__ = ["temperatures_png"]


def temperatures_png(
    readings: Sequence[SweepReading], *, dpi: int = 110, words: ChartWords = ENGLISH
) -> bytes:
    """The setpoint (steps), the chamber's air and the DUT's case temperature against the
    sweep's elapsed minutes (the bench's time); the DUT line only where a probe read it."""
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
            label=words.temperatures_setpoint,
        )
        axes.plot(
            minutes,
            [reading.chamber_c for reading in readings],
            color="#1f4e9c",
            marker="o",
            markersize=2.5,
            linewidth=1.1,
            label=words.temperatures_chamber,
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
                label=words.temperatures_dut,
            )
        axes.set_title(words.temperatures_title)
        axes.set_xlabel(words.temperatures_x)
        axes.set_ylabel(words.temperatures_y)
        axes.grid(True, linewidth=0.3, color="0.85")
        axes.legend(loc="best")
        return figure_png(figure, dpi)
