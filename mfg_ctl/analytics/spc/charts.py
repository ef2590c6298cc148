"""Shewhart control charts: individuals and moving range (I-MR), X-bar and R, X-bar and S.

Each chart is a pair: a location chart (the individuals, or the subgroup means) with its
centre line and 3-sigma limits, and a dispersion chart (moving ranges, ranges or standard
deviations). sigma within comes from the dispersion: MR-bar/d2(2), R-bar/d2(n) or, for S,
the pooled estimate below; the constants are exact (:mod:`.constants`).

X-bar and S takes subgroups of unequal size (each point gets its own limits); X-bar and R
refuses them, because R-bar over ranges of different sizes estimates no single sigma.

A chart may be given a known ``center`` and ``sigma`` (phase II: limits from earlier data
applied to new points); the dispersion statistic is then still computed from the data.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from mfg_ctl.analytics.spc.constants import MAX_SUBGROUP, MIN_SUBGROUP, chart_constants
from mfg_ctl.analytics.spc.errors import SpcError

__all__ = [
    "ChartKind",
    "ControlChart",
    "Limits",
    "as_values",
    "individuals_chart",
    "xbar_r_chart",
    "xbar_s_chart",
]

ChartKind = Literal["imr", "xbar-r", "xbar-s"]
Floats = NDArray[np.float64]


def _rounded(values: Floats) -> float | list[float]:
    """One number when every point shares it, else the list (unequal subgroups)."""
    if values.size and bool(np.all(values == values[0])):
        return float(values[0])
    return [float(value) for value in values]


@dataclass(frozen=True, eq=False)
class Limits:
    """A centre line and 3-sigma limits, one value per point (constant for equal subgroups)."""

    center: Floats
    lcl: Floats
    ucl: Floats

    def to_dict(self) -> dict[str, Any]:
        """``center``, ``lcl``, ``ucl``: numbers, or lists when they differ by point."""
        return {
            "center": _rounded(self.center),
            "ucl": _rounded(self.ucl),
            "lcl": _rounded(self.lcl),
        }


@dataclass(frozen=True, eq=False)
class ControlChart:
    """A location chart with its dispersion chart, as computed from the data.

    ``points`` are the plotted values (individuals, or subgroup means); ``sigma`` is the
    per-point standard deviation of a plotted value (sigma within / sqrt(n_i)), which the
    run rules use to place the zones. ``dispersion_name`` is ``mr_bar``, ``r_bar`` or
    ``s_bar`` and ``dispersion_bar`` its value.
    """

    kind: ChartKind
    points: Floats
    sizes: tuple[int, ...]
    location: Limits
    sigma: Floats
    sigma_within: float
    sigma_overall: float
    dispersion_name: str
    dispersion_bar: float
    dispersion_points: Floats
    dispersion: Limits
    nsigmas: float

    @property
    def center(self) -> float:
        """The centre line of the location chart (the same for every point)."""
        return float(self.location.center[0])

    @property
    def beyond_limits(self) -> list[int]:
        """0-based indices of the points strictly beyond the location chart's limits."""
        beyond = (self.points > self.location.ucl) | (self.points < self.location.lcl)
        return [int(index) for index in np.flatnonzero(beyond)]

    @property
    def dispersion_beyond_limits(self) -> list[int]:
        """0-based point indices whose range, deviation or moving range is beyond its limits.

        The moving range ``|x_i - x_(i-1)|`` counts as point i's, so an I-MR chart's indices
        start at 1 and name the point that completed the range.
        """
        values, limits = self.dispersion_points, self.dispersion
        beyond = (values > limits.ucl) | (values < limits.lcl)
        offset = 1 if self.kind == "imr" else 0
        return [int(index) + offset for index in np.flatnonzero(beyond)]

    def to_dict(self) -> dict[str, Any]:
        """The chart as the ``spc --json`` schema has it (doc/spc.rst)."""
        return {
            "chart": self.kind,
            "points": len(self.points),
            "subgroup_size": self.sizes[0]
            if len(set(self.sizes)) == 1
            else list(self.sizes),
            **self.location.to_dict(),
            "sigma_within": self.sigma_within,
            "sigma_overall": self.sigma_overall,
            self.dispersion_name: self.dispersion_bar,
            "dispersion": {
                **self.dispersion.to_dict(),
                "beyond_limits": self.dispersion_beyond_limits,
            },
            "beyond_limits": self.beyond_limits,
        }


def as_values(values: Sequence[float] | Floats, what: str = "value") -> Floats:
    """The values as a float array; :class:`SpcError` for a NaN, an infinity or non-numbers."""
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as error:
        raise SpcError(f"every {what} must be a number: {error}") from None
    if array.ndim != 1:
        raise SpcError(f"the {what}s must be a flat sequence of numbers")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        raise SpcError(f"{what} {int(bad[0])} (0-based) is {array[bad[0]]}, not a finite number")
    return array


def _need(count: int, needed: int, what: str) -> None:
    if count < needed:
        raise SpcError(f"{count} {what} given: this chart needs at least {needed}")


def _known(
    center: float | None, sigma: float | None, fitted_center: float, fitted_sigma: float
) -> tuple[float, float]:
    """The centre and sigma the limits use: the known ones, else the fitted ones."""
    if sigma is not None and not (math.isfinite(sigma) and sigma > 0):
        raise SpcError(f"a known sigma must be a positive number, not {sigma}")
    if center is not None and not math.isfinite(center):
        raise SpcError(f"a known center must be a finite number, not {center}")
    used_sigma = fitted_sigma if sigma is None else sigma
    if used_sigma == 0:
        raise SpcError(
            "constant data: sigma within is 0, so the control limits and the capability "
            "indices are undefined"
        )
    return (fitted_center if center is None else center), used_sigma


def _limits(center: Floats, spread: Floats, nsigmas: float) -> Limits:
    return Limits(center=center, lcl=center - nsigmas * spread, ucl=center + nsigmas * spread)


def _overall(values: Floats) -> float:
    return float(np.std(values, ddof=1)) if values.size > 1 else 0.0


def individuals_chart(
    values: Sequence[float] | Floats,
    *,
    nsigmas: float = 3.0,
    center: float | None = None,
    sigma: float | None = None,
) -> ControlChart:
    """The I-MR chart: limits ``mean +/- nsigmas * MR-bar/d2(2)``; MR chart ``D3, D4 * MR-bar``.

    ``MR_i = |x_i - x_(i-1)|`` (span 2), MR-bar their mean over N-1 ranges; needs 2 points.
    """
    points = as_values(values)
    _need(points.size, 2, "values")
    moving_ranges = np.abs(np.diff(points))
    mr_bar = float(np.mean(moving_ranges))
    factors = chart_constants(2)
    used_center, used_sigma = _known(center, sigma, float(np.mean(points)), mr_bar / factors.d2)
    count = points.size
    location = _limits(np.full(count, used_center), np.full(count, used_sigma), nsigmas)
    spread = nsigmas * factors.d3 / factors.d2
    dispersion_limits = Limits(
        center=np.full(count - 1, mr_bar),
        lcl=np.full(count - 1, max(0.0, 1.0 - spread) * mr_bar),
        ucl=np.full(count - 1, (1.0 + spread) * mr_bar),
    )
    return ControlChart(
        kind="imr",
        points=points,
        sizes=(1,) * count,
        location=location,
        sigma=np.full(count, used_sigma),
        sigma_within=used_sigma,
        sigma_overall=_overall(points),
        dispersion_name="mr_bar",
        dispersion_bar=mr_bar,
        dispersion_points=moving_ranges,
        dispersion=dispersion_limits,
        nsigmas=nsigmas,
    )


def _subgroups(subgroups: Sequence[Sequence[float]]) -> list[Floats]:
    """Each subgroup as an array, checked: 2 subgroups at least, sizes 2 to 25."""
    arrays = [as_values(group, "subgroup value") for group in subgroups]
    _need(len(arrays), 2, "subgroups")
    for index, group in enumerate(arrays):
        if not MIN_SUBGROUP <= group.size <= MAX_SUBGROUP:
            raise SpcError(
                f"subgroup {index} (0-based) has {group.size} values: subgroups need "
                f"{MIN_SUBGROUP} to {MAX_SUBGROUP}"
            )
    return arrays


def xbar_r_chart(
    subgroups: Sequence[Sequence[float]],
    *,
    nsigmas: float = 3.0,
    center: float | None = None,
    sigma: float | None = None,
) -> ControlChart:
    """X-bar and R: limits ``grand mean +/- nsigmas * (R-bar/d2)/sqrt(n)`` (= A2 R-bar at 3).

    Every subgroup must have the same size n (2 to 25); the R chart is ``D3, D4 * R-bar``.
    """
    arrays = _subgroups(subgroups)
    sizes = sorted({group.size for group in arrays})
    if len(sizes) > 1:
        raise SpcError(
            f"subgroups of unequal size ({', '.join(map(str, sizes))}): an X-bar/R chart "
            "needs one size, since R-bar of ranges of different sizes estimates no single "
            "sigma; use an X-bar/S chart"
        )
    size = sizes[0]
    factors = chart_constants(size)
    means = np.array([group.mean() for group in arrays])
    ranges = np.array([np.ptp(group) for group in arrays])
    r_bar = float(np.mean(ranges))
    used_center, used_sigma = _known(center, sigma, float(np.mean(means)), r_bar / factors.d2)
    count = means.size
    spread = nsigmas * factors.d3 / factors.d2
    return ControlChart(
        kind="xbar-r",
        points=means,
        sizes=(size,) * count,
        location=_limits(
            np.full(count, used_center), np.full(count, used_sigma / math.sqrt(size)), nsigmas
        ),
        sigma=np.full(count, used_sigma / math.sqrt(size)),
        sigma_within=used_sigma,
        sigma_overall=_overall(np.concatenate(arrays)),
        dispersion_name="r_bar",
        dispersion_bar=r_bar,
        dispersion_points=ranges,
        dispersion=Limits(
            center=np.full(count, r_bar),
            lcl=np.full(count, max(0.0, 1.0 - spread) * r_bar),
            ucl=np.full(count, (1.0 + spread) * r_bar),
        ),
        nsigmas=nsigmas,
    )


def xbar_s_chart(
    subgroups: Sequence[Sequence[float]],
    *,
    nsigmas: float = 3.0,
    center: float | None = None,
    sigma: float | None = None,
) -> ControlChart:
    """X-bar and S, for subgroups of equal or unequal sizes n_i (2 to 25 each).

    sigma within = sum(h_i s_i/c4(n_i)) / sum(h_i) with h_i = c4(n_i)^2/(1 - c4(n_i)^2),
    the minimum-variance weighting of the unbiased s_i/c4(n_i) (qcc's default; for equal
    sizes it is S-bar/c4(n)). The centre is the mean of all values. Limits per point:
    ``centre +/- nsigmas * sigma/sqrt(n_i)``; S chart ``c4(n_i) sigma +/- nsigmas * sigma
    sqrt(1 - c4(n_i)^2)`` (= B3, B4 * S-bar for equal sizes). ``s_bar`` is the mean of s_i.
    """
    arrays = _subgroups(subgroups)
    sizes = np.array([group.size for group in arrays], dtype=float)
    means = np.array([group.mean() for group in arrays])
    deviations = np.array([np.std(group, ddof=1) for group in arrays])
    bias = np.array([chart_constants(int(size)).c4 for size in sizes])
    weights = bias**2 / (1.0 - bias**2)
    fitted_sigma = float(np.sum(weights * deviations / bias) / np.sum(weights))
    everything = np.concatenate(arrays)
    used_center, used_sigma = _known(center, sigma, float(np.mean(everything)), fitted_sigma)
    count = means.size
    spread = np.sqrt(1.0 - bias**2)
    return ControlChart(
        kind="xbar-s",
        points=means,
        sizes=tuple(int(size) for size in sizes),
        location=_limits(np.full(count, used_center), used_sigma / np.sqrt(sizes), nsigmas),
        sigma=used_sigma / np.sqrt(sizes),
        sigma_within=used_sigma,
        sigma_overall=_overall(everything),
        dispersion_name="s_bar",
        dispersion_bar=float(np.mean(deviations)),
        dispersion_points=deviations,
        dispersion=Limits(
            center=bias * used_sigma,
            lcl=np.maximum(0.0, bias - nsigmas * spread) * used_sigma,
            ucl=(bias + nsigmas * spread) * used_sigma,
        ),
        nsigmas=nsigmas,
    )
