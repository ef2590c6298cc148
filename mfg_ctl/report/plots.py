"""The report charts as PNG bytes: TempCo curve, yield Pareto, control chart and histogram.

The PDF and HTML reports embed these images as data URIs. Each chart is drawn on its own
:class:`~matplotlib.figure.Figure` with an Agg canvas (no pyplot, so no figure outlives its
call), under the matplotlib default style plus :data:`_STYLE`: a user's matplotlibrc changes
nothing, and the same input gives the same bytes (the PNG carries no software or date
text). Drawing holds a lock, since matplotlib's style settings are process-wide.

The words around the data come from ``words=`` (a
:class:`~mfg_ctl.report.chart_words.ChartWords`; English by default, as the reports draw
them). Labels that come from user data (step names, error texts, titles) are never read
as mathtext: a ``$x$`` or a ``_`` is drawn as typed. Non-finite numbers are left out.
matplotlib and numpy are imported inside the functions, so starting ``mfg-ctl`` never
pays for them.
"""

from __future__ import annotations

import io
import math
import textwrap
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mfg_ctl.artifacts.chart import LABEL_LIMIT, MAX_BARS
from mfg_ctl.report.chart_words import ENGLISH, ChartWords
from mfg_ctl.tempco import Fit, TempcoPoint
from mfg_ctl.wording import clip_text

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.ticker import Locator

    from mfg_ctl.analytics.trends import StepTrend

__all__ = [
    "BAND_COLOR",
    "FIGSIZE",
    "capability_summary",
    "control_chart_png",
    "drawing",
    "figure_png",
    "histogram_png",
    "pareto_png",
    "tempco_curve_png",
]

#: Width and height in inches: the text width of an A4 page, a third of its height.
FIGSIZE = (6.5, 3.2)
#: The fill of the TempCo acceptance band (drawn at :data:`_BAND_ALPHA` over white).
BAND_COLOR = "#2ca02c"
_BAND_ALPHA = 0.22
#: What every chart changes from matplotlib's default style.
_STYLE: dict[str, Any] = {
    "text.parse_math": False,  # a "$" or "_" in a step name is text, not TeX
    "font.family": "DejaVu Sans",  # shipped with matplotlib: the same glyphs everywhere
    "svg.fonttype": "none",  # SVG text stays text: smaller, and searchable
    "axes.titlesize": 9,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "axes.formatter.useoffset": False,  # 3.2950 V, not 0.0050 + 3.29
}
_LOCK = threading.RLock()  # re-entrant: a chart drawn while drawing one never deadlocks


@contextmanager
def drawing(figsize: tuple[float, float] = FIGSIZE, *, salt: str = "") -> Iterator[Figure]:
    """A fresh figure on an Agg canvas, under the fixed style; save it inside the block.

    ``salt`` seeds the element ids of an SVG (so two charts on one page never clash).
    """
    from matplotlib import style  # noqa: PLC0415 - imported when a chart is drawn
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    with _LOCK, style.context(["default", {**_STYLE, "svg.hashsalt": salt or None}]):
        figure = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(figure)
        yield figure


def figure_png(figure: Figure, dpi: int) -> bytes:
    """The figure as PNG bytes at ``dpi``, with no metadata that varies between runs."""
    output = io.BytesIO()
    figure.savefig(output, format="png", dpi=dpi, metadata={"Software": None})
    return output.getvalue()


def _whole_numbers() -> Locator:
    """Ticks at whole numbers only: counts are never 2.5."""
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415 - imported when a chart is drawn

    return MaxNLocator(integer=True)


def _finite(*values: float) -> bool:
    return all(math.isfinite(value) for value in values)


# -- TempCo ---------------------------------------------------------------------------------


def tempco_curve_png(
    points: Sequence[TempcoPoint],
    fit: Fit,
    *,
    expected_ppm: float,
    tolerance_ppm: float,
    reference_c: float = 25.0,
    dpi: int = 110,
    readings: Sequence[tuple[float, float]] = (),
    words: ChartWords = ENGLISH,
) -> bytes:
    """Vout against chamber temperature: the points, the fit and the acceptance band.

    The band lies between the lines a DUT of ``expected_ppm -/+ tolerance_ppm`` ppm/C
    would follow through the fit's value at ``reference_c``. ``readings`` (temperature,
    Vout) are drawn faint behind the points. ValueError without a finite point or fit.
    """
    shown = [p for p in points if _finite(p.temperature_c, p.vout_v)]
    if not shown:
        raise ValueError("no TempCo point with a finite temperature and Vout to draw")
    if not _finite(fit.slope, fit.intercept, expected_ppm, tolerance_ppm, reference_c):
        raise ValueError("the TempCo fit, expected tempco and tolerance must be finite numbers")
    raw = [(t, v) for t, v in readings if _finite(t, v)]
    temperatures = [p.temperature_c for p in shown] + [t for t, _v in raw]
    low, high = min(*temperatures, reference_c), max(*temperatures, reference_c)
    margin = max((high - low) * 0.04, 1.0)
    xs = [low - margin, reference_c, high + margin]
    at_reference = fit.at(reference_c)

    def band_line(ppm: float) -> list[float]:
        return [at_reference * (1 + ppm * 1e-6 * (x - reference_c)) for x in xs]

    with drawing() as figure:
        axes = figure.add_subplot()
        if raw:
            axes.scatter(
                [t for t, _v in raw],
                [v for _t, v in raw],
                s=6,
                color="0.6",
                alpha=0.5,
                linewidths=0,
                label=words.tempco_readings,
                zorder=1,
            )
        slowest = band_line(expected_ppm - tolerance_ppm)
        fastest = band_line(expected_ppm + tolerance_ppm)
        axes.fill_between(
            xs,
            slowest,
            fastest,
            color=BAND_COLOR,
            alpha=_BAND_ALPHA,
            linewidth=0,
            label=words.tempco_band.format(
                expected=f"{expected_ppm:g}", tolerance=f"{tolerance_ppm:g}"
            ),
            zorder=0,
        )
        for line in (slowest, fastest):
            axes.plot(xs, line, color=BAND_COLOR, linewidth=0.6, zorder=0.5)
        axes.plot(
            [xs[0], xs[-1]],
            [fit.at(xs[0]), fit.at(xs[-1])],
            color="#1f4e9c",
            linewidth=1.2,
            label=words.tempco_fit.format(r_squared=f"{fit.r_squared:.5f}"),
            zorder=2,
        )
        axes.scatter(
            [p.temperature_c for p in shown],
            [p.vout_v for p in shown],
            s=22,
            color="#d62728",
            edgecolors="black",
            linewidths=0.5,
            label=words.tempco_points,
            zorder=3,
        )
        axes.set_xlim(xs[0], xs[-1])
        axes.set_title(words.tempco_heading(fit, reference_c, expected_ppm, tolerance_ppm))
        axes.set_xlabel(words.tempco_x)
        axes.set_ylabel(words.tempco_y)
        axes.grid(True, linewidth=0.3, color="0.85")
        axes.legend(loc="upper left")
        return figure_png(figure, dpi)


# -- yield Pareto ---------------------------------------------------------------------------


def pareto_png(
    entries: Sequence[Mapping[str, Any]],
    *,
    title: str,
    dpi: int = 110,
    words: ChartWords = ENGLISH,
) -> bytes | None:
    """Bars by count with the cumulative percent on a second axis; None with nothing to show.

    ``entries`` as the yield report's Pareto lists (``name``, ``count``,
    ``cumulative_percent``), most first; at most ``MAX_BARS`` bars, names clipped.
    """
    shown = [entry for entry in entries[:MAX_BARS] if int(entry["count"]) > 0]
    if not shown:
        return None
    places = list(range(len(shown)))
    counts = [int(entry["count"]) for entry in shown]
    cumulative = [
        (place, float(entry["cumulative_percent"]))
        for place, entry in zip(places, shown, strict=True)
        if math.isfinite(float(entry["cumulative_percent"]))
    ]
    with drawing() as figure:
        axes = figure.add_subplot()
        bars = axes.bar(places, counts, width=0.7, color="#4c72b0", zorder=2)
        axes.bar_label(bars, fontsize=6, padding=1)
        axes.set_xticks(
            places,
            [clip_text(str(entry["name"]), LABEL_LIMIT) for entry in shown],
            rotation=35,
            ha="right",
            rotation_mode="anchor",
        )
        axes.set_ylabel(words.count)
        axes.set_ylim(0, max(counts) * 1.12)
        axes.yaxis.set_major_locator(_whole_numbers())
        axes.set_xlim(-0.6, len(shown) - 0.4)
        percent = axes.twinx()
        percent.plot(
            [place for place, _value in cumulative],
            [value for _place, value in cumulative],
            color="#dd8452",
            marker="o",
            markersize=3,
            linewidth=1.2,
            zorder=3,
        )
        percent.set_ylim(0, 105)
        ticks = [0, 25, 50, 75, 100]
        percent.set_yticks(ticks, [words.pareto_percent.format(value=tick) for tick in ticks])
        percent.set_ylabel(words.pareto_cumulative, color="#dd8452")
        if len(entries) > len(shown):
            title = words.pareto_top.format(title=title, shown=len(shown), total=len(entries))
        axes.set_title(title)
        axes.grid(True, axis="y", linewidth=0.3, color="0.85", zorder=0)
        return figure_png(figure, dpi)


# -- control chart --------------------------------------------------------------------------


def control_chart_png(trend: StepTrend, *, dpi: int = 110, words: ChartWords = ENGLISH) -> bytes:
    """The control chart of an analysed step; ValueError (with the reason) for one without.

    The drawing is :func:`mfg_ctl.report.charts.draw_control_chart`, as in the trends export.
    """
    from mfg_ctl.report.charts import draw_control_chart  # noqa: PLC0415 - it loads numpy

    with drawing() as figure:
        draw_control_chart(figure, trend, words)
        return figure_png(figure, dpi)


# -- histogram ------------------------------------------------------------------------------


def histogram_png(
    values: Sequence[float],
    *,
    title: str,
    unit: str = "",
    low: float | None = None,
    high: float | None = None,
    dpi: int = 110,
    words: ChartWords = ENGLISH,
) -> bytes:
    """A histogram with the LSL/USL and mean lines and a box with n, mean, sigma and Cpk.

    sigma is sigma within (MR-bar/d2 of the values in their order, as the trends
    analysis has it); Cpk against ``low``/``high``, or the reason it is undefined.
    ValueError without a finite value.
    """
    shown = [float(value) for value in values if math.isfinite(value)]
    if not shown:
        raise ValueError(f"no finite value to draw a histogram of {title!r}")
    lsl = low if low is not None and math.isfinite(low) else None
    usl = high if high is not None and math.isfinite(high) else None
    mean = math.fsum(shown) / len(shown)
    suffix = f" {unit}" if unit else ""
    with drawing() as figure:
        axes = figure.add_subplot()
        axes.hist(
            shown,
            bins="auto",
            range=_constant_range(shown, lsl, usl),
            color="#4c72b0",
            edgecolor="white",
            linewidth=0.4,
        )
        axes.axvline(mean, color="black", linestyle="--", linewidth=1, label=words.histogram_mean)
        for limit, name in ((lsl, words.histogram_lsl), (usl, words.histogram_usl)):
            if limit is not None:
                label = name.format(limit=f"{limit:g}{suffix}")
                axes.axvline(limit, color="red", linewidth=1.2, label=label)
        axes.text(
            1.02,
            1.0,
            capability_summary(shown, low=lsl, high=usl, unit=unit, words=words),
            transform=axes.transAxes,
            ha="left",
            va="top",
            fontsize=7,
            family="DejaVu Sans Mono",
            bbox={"boxstyle": "round", "facecolor": "white", "edgecolor": "0.6"},
        ).set_in_layout(True)
        axes.set_title(title)
        axes.set_xlabel(words.histogram_x.format(unit=unit) if unit else words.histogram_x_plain)
        axes.set_ylabel(words.count)
        axes.yaxis.set_major_locator(_whole_numbers())
        axes.legend(loc="lower left", bbox_to_anchor=(1.02, 0.0), borderaxespad=0)
        return figure_png(figure, dpi)


def _constant_range(
    values: list[float], lsl: float | None, usl: float | None
) -> tuple[float, float] | None:
    """For constant values, a narrow bin around them (numpy's default spans +/- 0.5)."""
    value = values[0]
    if max(values) != min(values):
        return None
    span = usl - lsl if lsl is not None and usl is not None and usl > lsl else abs(value)
    half = (span or 1.0) / 60
    return value - half, value + half


def capability_summary(
    values: Sequence[float],
    *,
    low: float | None,
    high: float | None,
    unit: str = "",
    words: ChartWords = ENGLISH,
) -> str:
    """The text box of :func:`histogram_png`: n, mean, sigma within and Cpk, one a line.

    Cpk comes from :func:`mfg_ctl.analytics.spc.capability` with sigma within from the
    moving ranges (as ``mfg-ctl trends``); when undefined, the box says why.
    Non-finite values are left out; ValueError when none is left.
    """
    from mfg_ctl.analytics.spc import (  # noqa: PLC0415 - numpy and scipy load with a chart
        SpcError,
        capability,
        individuals_chart,
    )

    values = [float(value) for value in values if math.isfinite(value)]
    if not values:
        raise ValueError("no finite value to summarise")
    lsl = low if low is not None and math.isfinite(low) else None
    usl = high if high is not None and math.isfinite(high) else None
    unit = f" {unit}" if unit else ""
    mean = math.fsum(values) / len(values)
    lines = [
        words.summary_n.format(n=len(values)),
        words.summary_mean.format(mean=f"{mean:.5g}{unit}"),
    ]
    sigma: float | None = None
    overall = 0.0
    why = None
    if len(values) < 2:
        why = words.summary_one_value
    elif max(values) == min(values):
        sigma, overall = 0.0, 0.0  # capability() names the reason
    else:
        chart = individuals_chart(values)
        sigma, overall = chart.sigma_within, chart.sigma_overall
    shown_sigma = "-" if sigma is None else format(sigma, ".4g")
    lines.append(words.summary_sigma.format(sigma=f"{shown_sigma}{unit}"))
    if lsl is None and usl is None:
        why = words.summary_no_limit
    if why is None and sigma is not None:
        try:
            found = capability(mean, sigma, overall, lsl=lsl, usl=usl)
        except SpcError as error:
            why = str(error)
        else:
            why = found.undefined.get("cpk")
            if found.cpk is not None:
                lines.append(words.summary_cpk.format(cpk=f"{found.cpk:.3f}"))
    if why is not None:
        lines += textwrap.wrap(words.summary_undefined.format(why=why), 30, subsequent_indent="  ")
    return "\n".join(lines)
