"""The report charts as PNG: page-sized, drawn, deterministic, and safe with any label."""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import matplotlib
import numpy as np
import pytest
from PIL import Image

from mfg_ctl.analytics.trends import StepSeries, StepTrend, analyse_step
from mfg_ctl.artifacts.chart import MAX_BARS
from mfg_ctl.report import plots
from mfg_ctl.report.charts import chart_svg
from mfg_ctl.tempco import TempcoPoint, evaluate

#: Would stop mathtext (an unfinished \frac): a chart showing it must draw it as typed.
NOT_TEX = r"volts $\frac{x$ a_b ^c"
TEMPERATURES = (-40.0, 0.0, 25.0, 85.0, 125.0)


def tempco_points(ppm: float = 48.0) -> list[TempcoPoint]:
    return [TempcoPoint(t, t, 3.3 * (1 + ppm * 1e-6 * (t - 25.0))) for t in TEMPERATURES]


def tempco(points: list[TempcoPoint] | None = None, **options: Any) -> bytes:
    shown = tempco_points() if points is None else points
    fit = evaluate([p for p in shown if math.isfinite(p.temperature_c + p.vout_v)]).fit
    return plots.tempco_curve_png(shown, fit, expected_ppm=50.0, tolerance_ppm=5.0, **options)


def pareto_entries(names: list[str], counts: list[int]) -> list[dict[str, object]]:
    total, running, entries = sum(counts), 0, []
    for name, count in zip(names, counts, strict=True):
        running += count
        entries.append(
            {
                "name": name,
                "count": count,
                "percent": 100 * count / total,
                "cumulative_percent": 100 * running / total,
            }
        )
    return entries


def step_trend(step: str = "dc_voltage", count: int = 40) -> StepTrend:
    rng = np.random.default_rng(7)
    values = 5000.0 + rng.normal(0.0, 2.0, count)
    values[count // 2] = 5030.0  # beyond the control limits: flagged by rule 1
    runs = tuple(f"run-{index}" for index in range(count))
    return analyse_step(StepSeries("plan", step, 1, "dc_voltage", values, runs, 4980.0, 5040.0))


def readings(count: int = 50) -> list[float]:
    return [float(v) for v in np.random.default_rng(3).normal(5000.0, 3.0, count)]


CHARTS: dict[str, Callable[..., bytes | None]] = {
    "tempco": tempco,
    "pareto": lambda **dpi: plots.pareto_png(
        pareto_entries(["a", "b", "c"], [5, 3, 1]), title="fails", **dpi
    ),
    "control": lambda **dpi: plots.control_chart_png(step_trend(), **dpi),
    "histogram": lambda **dpi: plots.histogram_png(
        readings(), title="dc", unit="mV", low=4980.0, high=5020.0, **dpi
    ),
}


@functools.cache
def drawn(name: str) -> bytes | None:
    """The chart of :data:`CHARTS` at the default dpi, drawn once per test process."""
    return CHARTS[name]()


def decoded(png: bytes | None) -> np.ndarray:
    """The image as an (height, width, 3) array of 0..255 RGB."""
    assert png is not None
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
        pixels: np.ndarray = np.asarray(image.convert("RGB"), dtype=np.int16)
    return pixels


def colours(pixels: np.ndarray) -> int:
    return len(np.unique(pixels.reshape(-1, 3), axis=0))


def reddish(pixels: np.ndarray) -> np.ndarray:
    """Pure red, as drawn with antialiasing (spec limits, flagged points)."""
    return (pixels[..., 0] > 200) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)


def near(pixels: np.ndarray, rgb: tuple[float, ...], tolerance: float = 2.5) -> np.ndarray:
    """Which pixels are within ``tolerance`` of ``rgb`` on every channel."""
    close: np.ndarray = np.all(np.abs(pixels - np.asarray(rgb)) <= tolerance, axis=-1)
    return close


@pytest.mark.parametrize("name", CHARTS)
def test_each_chart_fills_the_page_width_and_is_drawn(name: str) -> None:
    pixels = decoded(drawn(name))
    assert pixels.shape == (352, 715, 3)  # 6.5 x 3.2 in at 110 dpi
    assert colours(pixels) > 100  # text, lines and fills, not a blank page
    assert decoded(CHARTS[name](dpi=150)).shape == (480, 975, 3)


@pytest.mark.parametrize("name", CHARTS)
def test_the_same_input_gives_the_same_bytes(name: str) -> None:
    first = drawn(name)
    assert first == CHARTS[name]()
    assert first is not None
    assert b"matplotlib" not in first.lower()  # no software version in the metadata


@pytest.mark.parametrize("name", CHARTS)
def test_a_users_matplotlib_settings_change_nothing(name: str) -> None:
    plain = drawn(name)
    before = dict(matplotlib.rcParams)
    with matplotlib.rc_context({"font.size": 20, "axes.facecolor": "black", "lines.linewidth": 5}):
        assert CHARTS[name]() == plain
    assert dict(matplotlib.rcParams) == before  # and nothing leaks out of a call


def test_charts_drawn_by_threads_are_those_drawn_one_by_one() -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        in_threads = list(pool.map(lambda name: (name, CHARTS[name]()), list(CHARTS) * 2))
    assert all(png == drawn(name) for name, png in in_threads)


# -- TempCo ---------------------------------------------------------------------------------


def band_pixels(pixels: np.ndarray) -> np.ndarray:
    """Where the acceptance band's fill shows (its colour at its alpha over white)."""
    red, green, blue = matplotlib.colors.to_rgb(plots.BAND_COLOR)
    alpha = 0.22
    over_white = tuple(255 * (1 - alpha + alpha * channel) for channel in (red, green, blue))
    return near(pixels, over_white)


def test_the_acceptance_band_narrows_to_the_fit_at_the_reference_temperature() -> None:
    per_column = band_pixels(decoded(drawn("tempco"))).sum(axis=0)
    columns = np.flatnonzero(per_column > 0)
    band = per_column[columns[0] : columns[-1] + 1]  # the plot's width, -46..131 C
    assert band.size > 500

    def mean_over(start: float, stop: float) -> float:
        return float(band[int(start * band.size) : int(stop * band.size)].mean())

    # At 25 C (39% along) the band is the fit's width: only the lines show there, ...
    assert mean_over(0.36, 0.42) < 1
    # ... it widens towards both ends, more on the side further from 25 C.
    assert 6 < mean_over(0.0, 0.05) < mean_over(0.95, 1.0)


def test_the_band_follows_the_tolerance() -> None:
    fit = evaluate(tempco_points()).fit
    narrow, wide = (
        band_pixels(
            decoded(
                plots.tempco_curve_png(
                    tempco_points(), fit, expected_ppm=50.0, tolerance_ppm=tolerance
                )
            )
        ).sum()
        for tolerance in (2.0, 8.0)
    )
    assert wide > 3 * narrow


def test_readings_are_drawn_behind_and_non_finite_values_are_left_out() -> None:
    raw = [(t + 0.3, p.vout_v + 0.0004) for p in tempco_points() for t in (p.temperature_c,)]
    with_raw = tempco(readings=raw)
    assert with_raw != drawn("tempco")
    bad = TempcoPoint(50.0, math.nan, 3.3)
    worse = TempcoPoint(60.0, 60.0, math.inf)
    assert tempco([*tempco_points(), bad, worse]) == drawn("tempco")
    assert tempco(readings=[*raw, (math.nan, 3.3), (20.0, -math.inf)]) == with_raw


def test_tempco_without_a_finite_point_or_fit_is_a_value_error() -> None:
    fit = evaluate(tempco_points()).fit
    with pytest.raises(ValueError, match="no TempCo point"):
        plots.tempco_curve_png([], fit, expected_ppm=50.0, tolerance_ppm=5.0)
    with pytest.raises(ValueError, match="no TempCo point"):
        plots.tempco_curve_png(
            [TempcoPoint(0.0, math.nan, 3.3)], fit, expected_ppm=50.0, tolerance_ppm=5.0
        )
    with pytest.raises(ValueError, match="must be finite"):
        plots.tempco_curve_png(tempco_points(), fit, expected_ppm=math.nan, tolerance_ppm=5.0)


# -- Pareto ---------------------------------------------------------------------------------


def bar_runs(pixels: np.ndarray) -> int:
    """How many bars cross the row just above the plot's base line."""
    bars = near(pixels, tuple(255 * c for c in matplotlib.colors.to_rgb("#4c72b0")))
    row = int(np.flatnonzero(bars.sum(axis=1))[-1]) - 2
    line = bars[row].astype(np.int8)
    return int(np.count_nonzero(np.diff(line) == 1))


def test_pareto_draws_a_bar_per_entry_up_to_max_bars() -> None:
    assert bar_runs(decoded(drawn("pareto"))) == 3
    many = pareto_entries([f"step {n}" for n in range(MAX_BARS + 5)], [1] * (MAX_BARS + 5))
    assert bar_runs(decoded(plots.pareto_png(many, title="fails"))) == MAX_BARS


def test_pareto_of_nothing_is_none() -> None:
    assert plots.pareto_png([], title="fails") is None
    nothing = {"name": "a", "count": 0, "percent": 0.0, "cumulative_percent": 0.0}
    assert plots.pareto_png([nothing, nothing], title="fails") is None


def test_pareto_with_long_names_and_a_missing_percent_draws() -> None:
    entries = pareto_entries(["x" * 300, "short"], [4, 1])
    entries[1]["cumulative_percent"] = math.nan
    assert decoded(plots.pareto_png(entries, title="fails")).shape == (352, 715, 3)


# -- labels from user data --------------------------------------------------------------------


def test_labels_from_user_data_are_text_not_tex() -> None:
    entries = pareto_entries([NOT_TEX, "$x$"], [2, 1])
    drawn = [
        plots.pareto_png(entries, title=NOT_TEX),
        plots.control_chart_png(step_trend(NOT_TEX)),
        plots.histogram_png(readings(), title=NOT_TEX, unit="$V_out$"),
    ]
    assert all(decoded(png).shape == (352, 715, 3) for png in drawn)
    as_typed = plots.histogram_png(readings(), title="$x$")
    assert as_typed != plots.histogram_png(readings(), title="x")  # the dollars are drawn


# -- control chart ----------------------------------------------------------------------------


def test_the_control_chart_rings_the_flagged_point_in_red() -> None:
    pixels = decoded(drawn("control"))
    rings = reddish(pixels).sum()
    assert rings > 200  # spec lines and the ring
    series = step_trend().series
    calm = StepSeries("plan", "dc", 1, "dc", series.values.copy(), series.run_ids, 4980.0, 5040.0)
    calm.values[len(calm.values) // 2] = 5000.0  # the same readings, none flagged
    assert reddish(decoded(plots.control_chart_png(analyse_step(calm)))).sum() < rings - 50


def test_the_svg_and_the_png_are_one_drawing() -> None:
    svg = chart_svg(step_trend("volts <b>"))
    assert svg.startswith("<svg ")
    assert "volts &lt;b&gt; (plan): out of control" in svg
    assert ">1<" in svg  # the flagged point's rule number


def test_a_step_without_an_analysis_has_no_chart() -> None:
    series = StepSeries("plan", "rare", 1, "dc", np.asarray([1.0, 2.0]), ("a", "b"), None, None)
    with pytest.raises(ValueError, match="rare has no chart: needs 3 results, has 2"):
        plots.control_chart_png(analyse_step(series))
    with pytest.raises(ValueError, match="no chart"):
        chart_svg(analyse_step(series))
