"""Run rules: the Western Electric rules 1-4 and the Nelson rules 1-8.

Each rule returns the 0-based indices of the points it flags. The conventions are qcc's
(R package, version 3.0), so results can be checked against it:

* Zones are measured in sigmas of the plotted point from the centre line, z = (x - c)/s.
  "Beyond k sigma" is strict (``|z| > k``); "within 1 sigma" (Nelson 7) is inclusive
  (``|z| <= 1``). A point exactly on the centre line is on neither side: it breaks a
  same-side run.
* A run rule ("k points in a row ...") flags the point that completes the run and every
  later point while the run lasts: point i is flagged when the k points ending at i
  satisfy the rule.
* A k-of-m rule ("2 of 3 beyond 2 sigma, same side") flags the last point of a full
  window of m points, and only when that point is itself beyond the zone on that side.
* Nelson 3 (a trend) and 4 (alternation) compare consecutive values; a tie breaks them.
  Nelson 3 counts points: 6 in a row (5 rises or 5 falls), as Nelson (1984), qcc and
  JMP do; Minitab's 7 is ``trend_points=7``.
* Nelson 8 (8 in a row beyond 1 sigma, either side) needs points on both sides among
  the 8.

========  ==================================================  ==================
rule      Western Electric                                    Nelson
========  ==================================================  ==================
1         1 point beyond 3 sigma                              the same
2         2 of 3 beyond 2 sigma, same side                    9 in a row, same side
3         4 of 5 beyond 1 sigma, same side                    6 in a row rising or falling
4         8 in a row, same side                               14 in a row alternating
5, 6                                                          WE 2, WE 3
7, 8                                                          15 within 1 sigma; 8 beyond
========  ==================================================  ==================
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from mfg_ctl.analytics.spc.errors import SpcError

__all__ = [
    "RULE_SETS",
    "RuleSet",
    "first_rule_per_point",
    "run_rules",
    "zone_scores",
]

RuleSet = Literal["we", "nelson", "none"]
#: The rule numbers each rule set applies; ``none`` applies no run rule.
RULE_SETS: Mapping[str, tuple[int, ...]] = {
    "we": (1, 2, 3, 4),
    "nelson": (1, 2, 3, 4, 5, 6, 7, 8),
    "none": (),
}
Floats = NDArray[np.float64]
Flags = NDArray[np.bool_]


def zone_scores(
    values: Sequence[float] | Floats, center: float | Floats, sigma: float | Floats
) -> Floats:
    """z = (x - centre)/sigma for each point; sigma may differ by point (unequal subgroups)."""
    points = np.asarray(values, dtype=float)
    spread = np.broadcast_to(np.asarray(sigma, dtype=float), points.shape)
    if not bool(np.all(spread > 0)):
        raise SpcError("the run rules need a positive sigma for every point")
    return np.asarray((points - np.asarray(center, dtype=float)) / spread, dtype=float)


def _window_counts(flags: Flags, width: int) -> NDArray[np.int64]:
    """For each i, how many of the ``width`` flags ending at i are set (0 before i = width-1)."""
    counts = np.zeros(flags.size, dtype=np.int64)
    if flags.size < width:
        return counts
    running = np.concatenate(([0], np.cumsum(flags, dtype=np.int64)))
    counts[width - 1 :] = running[width:] - running[: flags.size - width + 1]
    return counts


def _in_a_row(flags: Flags, length: int) -> Flags:
    """Point i is flagged when the ``length`` flags ending at i are all set."""
    return np.asarray(_window_counts(flags, length) == length)


def _k_of_m(z: Floats, beyond: float, k: int, m: int) -> Flags:
    """k of m beyond ``beyond`` sigma on one side; the last point must be one of them."""
    flagged = np.zeros(z.size, dtype=bool)
    for side in (z, -z):
        out = side > beyond
        flagged |= out & (_window_counts(out, m) >= k)
    return flagged


def _same_side(z: Floats, length: int) -> Flags:
    return _in_a_row(z > 0, length) | _in_a_row(z < 0, length)


def _beyond_3(z: Floats) -> Flags:
    return np.asarray(np.abs(z) > 3.0)


def _monotone(values: Floats, points: int) -> Flags:
    """``points`` values in a row, each above (or each below) the one before."""
    if values.size < points:
        return np.zeros(values.size, dtype=bool)
    steps = np.diff(values)
    rises = _in_a_row(steps > 0, points - 1)
    falls = _in_a_row(steps < 0, points - 1)
    return np.concatenate(([False], rises | falls))


def _alternating(values: Floats, points: int) -> Flags:
    """``points`` values in a row going up and down in turn (no tie)."""
    if values.size < points:
        return np.zeros(values.size, dtype=bool)
    signs = np.sign(np.diff(values))
    turns = (signs[1:] * signs[:-1]) < 0
    return np.concatenate(([False, False], _in_a_row(turns, points - 2)))


def _hugging(z: Floats, points: int) -> Flags:
    return _in_a_row(np.abs(z) <= 1.0, points)


def _avoiding(z: Floats, points: int) -> Flags:
    """``points`` in a row beyond 1 sigma, with some on each side among them."""
    run = _in_a_row(np.abs(z) > 1.0, points)
    above = _window_counts(z > 1.0, points) > 0
    below = _window_counts(z < -1.0, points) > 0
    return run & above & below


Rule = Callable[[Floats, Floats, int], Flags]
_WESTERN_ELECTRIC: Mapping[int, Rule] = {
    1: lambda z, _x, _t: _beyond_3(z),
    2: lambda z, _x, _t: _k_of_m(z, 2.0, 2, 3),
    3: lambda z, _x, _t: _k_of_m(z, 1.0, 4, 5),
    4: lambda z, _x, _t: _same_side(z, 8),
}
_NELSON: Mapping[int, Rule] = {
    1: lambda z, _x, _t: _beyond_3(z),
    2: lambda z, _x, _t: _same_side(z, 9),
    3: lambda _z, x, trend: _monotone(x, trend),
    4: lambda _z, x, _t: _alternating(x, 14),
    5: lambda z, _x, _t: _k_of_m(z, 2.0, 2, 3),
    6: lambda z, _x, _t: _k_of_m(z, 1.0, 4, 5),
    7: lambda z, _x, _t: _hugging(z, 15),
    8: lambda z, _x, _t: _avoiding(z, 8),
}
_BOOKS: Mapping[str, Mapping[int, Rule]] = {"we": _WESTERN_ELECTRIC, "nelson": _NELSON}


def run_rules(
    values: Sequence[float] | Floats,
    center: float | Floats,
    sigma: float | Floats,
    *,
    rule_set: str = "we",
    rules: Sequence[int] | None = None,
    trend_points: int = 6,
) -> dict[str, list[int]]:
    """The flagged 0-based indices per rule, keyed ``we_1`` ... or ``nelson_1`` ...

    ``rules`` picks some rules of the set (default: all of it); ``trend_points`` is the
    length of Nelson rule 3 (6; Minitab counts 7). Every rule asked for has a key.
    """
    if rule_set not in RULE_SETS:
        raise SpcError(f"unknown rule set {rule_set!r}: choose one of {', '.join(RULE_SETS)}")
    if not 3 <= trend_points <= 50:
        raise SpcError(f"Nelson rule 3 needs 3 to 50 points in a row, not {trend_points}")
    chosen = RULE_SETS[rule_set] if rules is None else tuple(rules)
    unknown = sorted(set(chosen) - set(RULE_SETS[rule_set]))
    if unknown:
        raise SpcError(f"rule set {rule_set!r} has no rule {unknown[0]}")
    points = np.asarray(values, dtype=float)
    z = zone_scores(points, center, sigma)
    if not chosen:
        return {}
    book = _BOOKS[rule_set]
    return {
        f"{rule_set}_{number}": [
            int(i) for i in np.flatnonzero(book[number](z, points, trend_points))
        ]
        for number in sorted(chosen)
    }


def first_rule_per_point(signals: Mapping[str, Sequence[int]], count: int) -> list[int | None]:
    """For each of ``count`` points, the lowest rule number that flags it (None: no rule)."""
    lowest: list[int | None] = [None] * count
    for name, indices in signals.items():
        number = int(name.rsplit("_", 1)[1])
        for index in indices:
            current = lowest[index]
            if current is None or number < current:
                lowest[index] = number
    return lowest
