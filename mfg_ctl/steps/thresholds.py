"""Judging a measurement against a step's threshold, in the report's exact words.

:class:`ThresholdFields` is how a plan step writes its threshold
(``expected`` + ``tolerance`` | ``expected`` + ``tolerance_pct`` | ``range``);
:meth:`ThresholdFields.build_threshold` turns it into a :data:`Threshold`.

The wording is a contract (doc/reference_station.rst); every detail is the text the
report prints after the step's name::

    wrote 1200 to voltage_setpoint
    measured 1200, expected 1200 +/- 25 (delta 0)
    measured 4980, expected 5000 +/- 1% (delta 20)
    measured 480, expected within [400, 520]

Bounds are inclusive, with a relative slack of :data:`EPSILON` so that float
round-off (``0.1 + 0.2`` against ``0.3``) never fails a reading that is exact
on paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, NamedTuple

from pydantic import AllowInfNan, BaseModel, PrivateAttr, Strict, field_validator

from mfg_ctl.wording import clip

__all__ = [
    "EPSILON",
    "THRESHOLD_FIELDS",
    "FieldError",
    "Judgement",
    "Number",
    "Range",
    "Threshold",
    "ThresholdFields",
    "Tolerance",
    "TolerancePct",
    "format_number",
    "judge",
    "write_detail",
]

#: Relative slack on every bound, against float round-off.
EPSILON = 1e-9
#: A finite number as YAML writes it (true/false and text are refused).
Number = Annotated[float, Strict(), AllowInfNan(False)]


def format_number(value: float) -> str:
    """Integers as integers, other numbers with up to 6 significant digits.

    >>> format_number(1200), format_number(1200.0), format_number(0.30000000000000004)
    ('1200', '1200', '0.3')
    >>> format_number(2.5), format_number(1 / 3), format_number(-0.0)
    ('2.5', '0.333333', '0')
    """
    if isinstance(value, int):
        return str(value)
    if math.isfinite(value) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.6g}"
    return "0" if text == "-0" else text


def _slack(*values: float) -> float:
    return EPSILON * max(1.0, *(abs(value) for value in values))


class Judgement(NamedTuple):
    """A verdict on one measurement and the report text that explains it.

    The numbers events carry (``expected``, ``low``, ``high``) are the threshold's.
    """

    passed: bool
    detail: str


@dataclass(frozen=True)
class _Band:
    """A band around ``expected``; subclasses say how wide it is."""

    expected: float
    tolerance: float

    @property
    def band(self) -> float:
        """The allowed distance from ``expected``."""
        raise NotImplementedError

    @property
    def low(self) -> float:
        """The lowest passing value."""
        return self.expected - self.band

    @property
    def high(self) -> float:
        """The highest passing value."""
        return self.expected + self.band

    def describe(self) -> str:
        """The threshold in the report's words."""
        raise NotImplementedError

    def judge(self, measured: float) -> Judgement:
        """Pass when ``|measured - expected| <= band``."""
        delta = abs(measured - self.expected)
        slack = _slack(measured, self.expected, self.band)
        delta = 0.0 if delta <= slack else delta
        passed = delta <= self.band + slack
        detail = f"measured {format_number(measured)}, {self.describe()}"
        detail += f" (delta {format_number(delta)})"
        return Judgement(passed, detail)


@dataclass(frozen=True)
class Tolerance(_Band):
    """``expected +/- tolerance``, in the measurement's own units."""

    @property
    def band(self) -> float:
        """The allowed distance from ``expected``: ``tolerance`` itself."""
        return self.tolerance

    def describe(self) -> str:
        """``expected 1200 +/- 25``."""
        return f"expected {format_number(self.expected)} +/- {format_number(self.tolerance)}"


@dataclass(frozen=True)
class TolerancePct(_Band):
    """``expected +/- tolerance %`` of ``|expected|``; ``tolerance`` is the percentage."""

    @property
    def band(self) -> float:
        """The allowed distance from ``expected``: that percentage of it."""
        return abs(self.expected) * self.tolerance / 100

    def describe(self) -> str:
        """``expected 5000 +/- 1%``."""
        return f"expected {format_number(self.expected)} +/- {format_number(self.tolerance)}%"


@dataclass(frozen=True)
class Range:
    """``low <= measured <= high``."""

    low: float
    high: float

    @property
    def expected(self) -> None:
        """A range has no single expected value."""
        return None

    def describe(self) -> str:
        """``expected within [400, 520]``."""
        return f"expected within [{format_number(self.low)}, {format_number(self.high)}]"

    def judge(self, measured: float) -> Judgement:
        """Pass when ``measured`` lies within the bounds, both included."""
        slack = _slack(measured, self.low, self.high)
        passed = self.low - slack <= measured <= self.high + slack
        detail = f"measured {format_number(measured)}, {self.describe()}"
        return Judgement(passed, detail)


#: Every threshold has ``expected`` (None for a range), ``low``, ``high``,
#: ``describe()`` and ``judge(measured)``.
Threshold = Tolerance | TolerancePct | Range


def judge(threshold: Threshold, measured: float) -> Judgement:
    """Judge ``measured``: ``(passed, detail)``.

    >>> passed, detail = judge(Tolerance(5000, 50), 4980)
    >>> passed, detail
    (True, 'measured 4980, expected 5000 +/- 50 (delta 20)')
    >>> judge(Range(400, 520), 521)
    Judgement(passed=False, detail='measured 521, expected within [400, 520]')
    """
    return threshold.judge(measured)


def write_detail(value: float, register: str) -> str:
    """The detail of a write step.

    >>> write_detail(1200, "voltage_setpoint")
    'wrote 1200 to voltage_setpoint'
    """
    return f"wrote {format_number(value)} to {register}"


class FieldError(ValueError):
    """A check that fails on a field other than the one being validated."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


THRESHOLD_FIELDS = ("expected", "tolerance", "tolerance_pct", "range")


class ThresholdFields(BaseModel):
    """The threshold fields of a measuring step, as a plan writes them; a mixin for step models."""

    expected: Number | None = None
    tolerance: Number | None = None
    tolerance_pct: Number | None = None
    range: tuple[Number, Number] | None = None
    _threshold: Threshold | None = PrivateAttr(default=None)

    @property
    def threshold(self) -> Threshold | None:
        """The threshold the measurement is judged by, set when a read step validates."""
        return self._threshold

    @field_validator("tolerance", "tolerance_pct")
    @classmethod
    def _check_tolerance(cls, value: float) -> float:
        if value < 0:
            raise ValueError(
                f"{format_number(value)} is negative: give the allowed distance from expected"
            )
        return value

    @field_validator("range", mode="before")
    @classmethod
    def _check_range_shape(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError(f"{clip(value)} is not a range: write range: [low, high]")
        return value

    @field_validator("range")
    @classmethod
    def _check_range(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] > value[1]:
            raise ValueError(
                f"low {format_number(value[0])} is above high {format_number(value[1])}: "
                "write range: [low, high]"
            )
        return value

    def given_thresholds(self) -> list[str]:
        """The threshold fields the step gives."""
        return [name for name in THRESHOLD_FIELDS if getattr(self, name) is not None]

    def build_threshold(self) -> Threshold:
        """The one threshold the fields give; FieldError if none, two or half of one."""
        given = self.given_thresholds()
        if self.range is not None:
            if len(given) > 1:
                other = next(name for name in given if name != "range")
                raise FieldError("range", f"give one threshold, not two: drop range or {other}")
            return Range(*self.range)
        if self.tolerance is not None and self.tolerance_pct is not None:
            raise FieldError(
                "tolerance_pct", "give one threshold, not two: drop tolerance or tolerance_pct"
            )
        if self.expected is None:
            if not given:
                raise FieldError(
                    "expected",
                    "missing: a read step needs one threshold: expected with tolerance "
                    "or tolerance_pct, or range: [low, high]",
                )
            raise FieldError("expected", f"missing: {given[0]} needs an expected value")
        if self.tolerance is not None:
            return Tolerance(self.expected, self.tolerance)
        if self.tolerance_pct is not None:
            return TolerancePct(self.expected, self.tolerance_pct)
        raise FieldError(
            "tolerance",
            f"missing: expected {format_number(self.expected)} needs tolerance (absolute) "
            "or tolerance_pct (percent of expected)",
        )
