"""Control-chart constants for subgroups of n = 2 to 25, computed exactly rather than read
from a rounded table.

Why computed: printed tables round to 3-4 digits, and tables disagree in their last digit
(D4 for n = 3 is 2.574 in Montgomery and 2.575 elsewhere). Computing them gives every
consumer the same value to ~1e-9, and the formulas document themselves.

* ``c4(n) = sqrt(2/(n-1)) * Gamma(n/2) / Gamma((n-1)/2)``, the mean of the sample standard
  deviation of n standard normals (closed form, via ``lgamma`` so large n do not overflow).
* ``d2(n) = E[R]`` and ``d3(n) = sd[R]`` for the range R of n standard normals, by numerical
  integration (``scipy.integrate``) of the range's distribution, there being no closed form
  beyond n = 3:
  ``E[R] = integral of 1 - Phi(x)^n - (1 - Phi(x))^n dx`` and
  ``E[R^2] = 2 * double integral over y < x of
  1 - Phi(x)^n - (1 - Phi(y))^n + (Phi(x) - Phi(y))^n``.
  The integrands vanish faster than ``exp(-x^2/2)``, so the double integral stops at
  +/-12 (the neglected mass is below 1e-30); both run to an absolute error near 1e-11.
* From those: ``A2 = 3/(d2 sqrt n)``, ``A3 = 3/(c4 sqrt n)``, ``D3, D4 = 1 -/+ 3 d3/d2``,
  ``B3, B4 = 1 -/+ 3 sqrt(1 - c4^2)/c4``, ``B5, B6 = c4 -/+ 3 sqrt(1 - c4^2)`` and
  ``E2 = 3/d2``; the lower factors D3, B3, B5 are floored at 0, as every table prints them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cache

from scipy import special  # type: ignore[import-untyped]  # scipy ships no types

from mfg_ctl.analytics.spc.errors import SpcError

__all__ = ["MAX_SUBGROUP", "MIN_SUBGROUP", "ChartConstants", "c4", "chart_constants", "d2", "d3"]

MIN_SUBGROUP, MAX_SUBGROUP = 2, 25
#: Where the double integral for E[R^2] stops: Phi(-12) is about 2e-33.
_BOUND = 12.0
_TOLERANCE = 1e-11


@dataclass(frozen=True)
class ChartConstants:
    """The factors of the variables control charts for subgroups of size ``n``."""

    n: int
    d2: float
    d3: float
    c4: float
    A2: float  # the names the tables use
    A3: float
    D3: float
    D4: float
    B3: float
    B4: float
    B5: float
    B6: float
    E2: float

    def to_dict(self) -> dict[str, float]:
        """The constants by their table names (``n`` included), for JSON."""
        return asdict(self)


def _check(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or not MIN_SUBGROUP <= n <= MAX_SUBGROUP:
        raise SpcError(
            f"subgroup size {n!r} is out of range: the constants exist for n = "
            f"{MIN_SUBGROUP} to {MAX_SUBGROUP}"
        )


@cache
def c4(n: int) -> float:
    """E[s]/sigma for samples of ``n`` normals: the bias of the sample standard deviation."""
    _check(n)
    log_ratio = math.lgamma(n / 2) - math.lgamma((n - 1) / 2)
    return math.sqrt(2 / (n - 1)) * math.exp(log_ratio)


@cache
def d2(n: int) -> float:
    """E[R]/sigma: the mean range of ``n`` standard normals."""
    _check(n)

    def tail_sum(x: float) -> float:
        return float(1.0 - special.ndtr(x) ** n - special.ndtr(-x) ** n)

    from scipy import integrate  # noqa: PLC0415 - only computing a constant needs it

    value, _ = integrate.quad(
        tail_sum, -math.inf, math.inf, epsabs=_TOLERANCE, epsrel=_TOLERANCE
    )
    return float(value)


@cache
def d3(n: int) -> float:
    """sd[R]/sigma: the standard deviation of the range of ``n`` standard normals."""
    _check(n)

    def joint_tail(y: float, x: float) -> float:  # P(min < y and max > x), y < x
        low, high = special.ndtr(y), special.ndtr(x)
        return float(1.0 - high**n - (1.0 - low) ** n + (high - low) ** n)

    from scipy import integrate  # noqa: PLC0415 - only computing a constant needs it

    half_square, _ = integrate.dblquad(
        joint_tail,
        -_BOUND,
        _BOUND,
        lambda _x: -_BOUND,
        lambda x: x,
        epsabs=_TOLERANCE,
        epsrel=_TOLERANCE,
    )
    return math.sqrt(2.0 * float(half_square) - d2(n) ** 2)


@cache
def chart_constants(n: int) -> ChartConstants:
    """Every factor for subgroups of size ``n`` (2 to 25); :class:`SpcError` outside that."""
    _check(n)
    mean_range, range_sd, sd_bias = d2(n), d3(n), c4(n)
    root_n = math.sqrt(n)
    sd_spread = math.sqrt(1.0 - sd_bias**2)
    return ChartConstants(
        n=n,
        d2=mean_range,
        d3=range_sd,
        c4=sd_bias,
        A2=3.0 / (mean_range * root_n),
        A3=3.0 / (sd_bias * root_n),
        D3=max(0.0, 1.0 - 3.0 * range_sd / mean_range),
        D4=1.0 + 3.0 * range_sd / mean_range,
        B3=max(0.0, 1.0 - 3.0 * sd_spread / sd_bias),
        B4=1.0 + 3.0 * sd_spread / sd_bias,
        B5=max(0.0, sd_bias - 3.0 * sd_spread),
        B6=sd_bias + 3.0 * sd_spread,
        E2=3.0 / mean_range,
    )
