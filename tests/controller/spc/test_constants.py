"""The chart constants, computed exactly, against the published tables at their precision."""

from __future__ import annotations

import math
from itertools import pairwise
from typing import Any

import pytest

from mfg_ctl.analytics.spc import SpcError, c4, chart_constants, d2, d3
from tests.controller.spc.reference import REFERENCE

PUBLISHED = REFERENCE["constants"]["published"]
EXACT = REFERENCE["constants"]["exact_computed_here"]
#: The decimals each column of Montgomery's table prints.
TABLE_DECIMALS = {"c4": 4}


def _cells(table: dict[str, Any]) -> list[tuple[int, str, float]]:
    names = table["columns"][1:]
    return [
        (row[0], name, value)
        for row in table["rows"]
        for name, value in zip(names, row[1:], strict=True)
    ]


@pytest.mark.parametrize(
    ("n", "name", "printed"),
    [cell for cell in _cells(PUBLISHED) if cell[:2] != (3, "D4")],
)
def test_the_textbook_table_is_our_value_rounded(n: int, name: str, printed: float) -> None:
    """Montgomery / ASTM / AIAG print each factor to 3 decimals (c4 to 4)."""
    ours = chart_constants(n).to_dict()[name]
    assert round(ours, TABLE_DECIMALS.get(name, 3)) == pytest.approx(printed, abs=1e-12)


def test_the_textbook_d4_for_n3_is_off_by_one_in_the_last_digit() -> None:
    """The source is wrong by rounding: it prints D4(3) = 2.574 but 1 + 3 d3/d2 is 2.574591,
    which rounds to 2.575 (as other tables print). 2.574 is what the rounded table
    entries give: 1 + 3 * 0.888/1.693 = 2.57354."""
    ours = chart_constants(3).D4
    assert round(ours, 3) == 2.575
    assert round(1 + 3 * 0.888 / 1.693, 3) == 2.574


@pytest.mark.parametrize(("n", "name", "computed"), _cells(EXACT))
def test_the_exactly_computed_table_to_six_decimals(n: int, name: str, computed: float) -> None:
    assert chart_constants(n).to_dict()[name] == pytest.approx(computed, abs=6e-7)


def test_the_closed_forms_for_small_n() -> None:
    """d2(2) = 2/sqrt(pi), d3(2) = sqrt(2 - 4/pi), d2(3) = 3/sqrt(pi), c4(2) = sqrt(2/pi)."""
    assert d2(2) == pytest.approx(2 / math.sqrt(math.pi), abs=1e-10)
    assert d3(2) == pytest.approx(math.sqrt(2 - 4 / math.pi), abs=1e-9)
    assert d2(3) == pytest.approx(3 / math.sqrt(math.pi), abs=1e-10)
    assert c4(2) == pytest.approx(math.sqrt(2 / math.pi), abs=1e-14)


def test_the_extra_factors_of_the_table() -> None:
    extra = PUBLISHED["extra"]
    assert round(chart_constants(2).E2, 2) == extra["E2_n2"]
    assert round(chart_constants(6).B5, 3) == extra["B5_n6"]
    assert round(chart_constants(2).B6, 3) == extra["B6_n2"]


def test_the_published_one_over_d2_comes_from_the_rounded_d2() -> None:
    """The source is wrong in the 4th decimal: it prints 1/d2(2) = 0.8865, which is 1/1.128
    (the rounded d2); the exact 1/1.128379 is 0.886227."""
    assert round(1 / d2(2), 4) == 0.8862
    assert round(1 / 1.128, 4) == PUBLISHED["extra"]["one_over_d2_n2"]


def test_every_size_to_25_is_consistent() -> None:
    """Up to n = 25 (beyond the reference table): d2 grows, d3 and the limit factors shrink,
    and each factor follows from d2, d3 and c4 by its formula."""
    table = [chart_constants(n) for n in range(2, 26)]
    assert all(a.d2 < b.d2 and a.A2 > b.A2 and a.D4 > b.D4 for a, b in pairwise(table))
    assert all(a.d3 > b.d3 for a, b in pairwise(table[1:]))
    last = table[-1]
    assert (round(last.d2, 3), round(last.d3, 3), round(last.c4, 4)) == (3.931, 0.708, 0.9896)
    for row in table:
        factors = row.to_dict()
        assert factors["A2"] == pytest.approx(3 / (row.d2 * math.sqrt(row.n)))
        assert factors["D4"] == pytest.approx(1 + 3 * row.d3 / row.d2)
        assert factors["B4"] == pytest.approx(1 + 3 * math.sqrt(1 - row.c4**2) / row.c4)


@pytest.mark.parametrize("n", [1, 26, 0, 2.5, True])
def test_sizes_outside_2_to_25_are_refused_in_one_line(n: object) -> None:
    with pytest.raises(SpcError, match=r"^subgroup size .* constants exist for n = 2 to 25$"):
        chart_constants(n)
