"""Subgroups of unequal size: supported by X-bar/S with per-subgroup limits, refused by
X-bar/R with the reason."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mfg_ctl.analytics.spc import SpcError, c4, xbar_r_chart, xbar_s_chart
from tests.controller.spc.reference import example

RINGS = example("xbar_r_examples", "qcc_pistonrings")["subgroups_phase1"]
UNEQUAL = [group[: 3 + index % 3] for index, group in enumerate(RINGS)]  # sizes 3, 4, 5, 3, ...


def test_xbar_r_refuses_unequal_subgroups_and_says_why() -> None:
    with pytest.raises(SpcError) as caught:
        xbar_r_chart(UNEQUAL)
    message = str(caught.value)
    assert message.startswith("subgroups of unequal size (3, 4, 5): an X-bar/R chart needs one")
    assert message.endswith("use an X-bar/S chart")
    assert "\n" not in message


def test_xbar_s_gives_each_subgroup_limits_for_its_size() -> None:
    chart = xbar_s_chart(UNEQUAL)
    sizes = np.array(chart.sizes, dtype=float)
    half_widths = chart.location.ucl - chart.center
    assert half_widths == pytest.approx(3 * chart.sigma_within / np.sqrt(sizes))
    assert chart.location.lcl == pytest.approx(chart.center - half_widths)
    assert half_widths[0] > half_widths[1] > half_widths[2]  # n = 3, 4, 5
    centres = [c4(int(size)) * chart.sigma_within for size in sizes]
    assert chart.dispersion.center == pytest.approx(centres)
    document = chart.to_dict()
    assert document["subgroup_size"][:4] == [3, 4, 5, 3]
    assert len(document["ucl"]) == len(UNEQUAL)
    assert isinstance(document["center"], float)


def test_xbar_s_centre_is_the_mean_of_all_values() -> None:
    chart = xbar_s_chart(UNEQUAL)
    everything = [value for group in UNEQUAL for value in group]
    assert chart.center == pytest.approx(sum(everything) / len(everything))


def test_xbar_s_with_equal_sizes_is_the_textbook_chart() -> None:
    """sigma = S-bar/c4(n), limits = centre +/- A3 S-bar, S chart B3 and B4 times S-bar."""
    chart = xbar_s_chart(RINGS)
    assert chart.sigma_within == pytest.approx(chart.dispersion_bar / c4(5))
    assert chart.location.ucl[0] - chart.center == pytest.approx(1.427299 * chart.dispersion_bar)
    assert chart.dispersion.ucl[0] == pytest.approx(2.088998 * chart.dispersion_bar)
    assert isinstance(chart.to_dict()["ucl"], float)


def test_xbar_s_sigma_is_unbiased_over_unequal_sizes() -> None:
    """2,000 subgroups of 2 to 9 normals with sigma 2: the estimate lands within 1.5%."""
    rng = np.random.default_rng(11)
    groups = [list(rng.normal(50, 2, 2 + index % 8)) for index in range(2000)]
    assert xbar_s_chart(groups).sigma_within == pytest.approx(2.0, rel=0.015)


@pytest.mark.parametrize(
    ("subgroups", "message"),
    [
        ([[1.0, 2.0]], r"^1 subgroups given: this chart needs at least 2$"),
        ([[1.0, 2.0], [3.0]], r"^subgroup 1 \(0-based\) has 1 values: subgroups need 2 to 25$"),
        ([[1.0, 2.0], [3.0, math.nan]], r"not a finite number$"),
        ([[1.0, 2.0], [1.0, 2.0] * 13], "has 26 values"),
    ],
)
def test_bad_subgroups_are_one_line(subgroups: list[list[float]], message: str) -> None:
    for chart in (xbar_r_chart, xbar_s_chart):
        with pytest.raises(SpcError, match=message):
            chart(subgroups)


def test_subgroups_without_spread_have_no_limits() -> None:
    with pytest.raises(SpcError, match="constant data: sigma within is 0"):
        xbar_r_chart([[1.0, 1.0], [2.0, 2.0]])
