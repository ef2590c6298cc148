"""Parameter declarations: what a command accepts, and how a token becomes a value.

Each declaration converts one stripped token to the value the handler gets,
or raises :class:`ScpiError` with the code SCPI-99 gives for that mistake:
-104 for the wrong kind of data (a string where a number belongs), -141 for
an unknown word, -222 for a number outside the declared limits, -224 for
``MIN``/``MAX``/``DEF`` where no such limit was declared, -131/-138 for a
wrong or unwanted unit suffix.

Units follow IEEE 488.2: suffixes are case-insensitive, so ``M`` is milli and
``MA`` is mega (``5 mV`` and ``5 MV`` are both 5 millivolts, ``1 MAV`` is a
megavolt). A suffix is matched against the declared unit first, so ``100 mA``
for an ampere parameter is milli-ampere. The two exceptions 488.2 defines are
``MHZ`` and ``MOHM``, which mean mega. A multiplier alone, without the
unit, is not accepted.

>>> volts = Numeric(unit="V", min=0, max=30, default=0)
>>> volts.convert("5 mV"), volts.convert("MAX"), volts.convert("1.5e1")
(0.005, 30.0, 15.0)
>>> Numeric(unit="OHM").convert("2 kOHM"), Numeric(unit="Hz").convert("1 MHz")
(2000.0, 1000000.0)
>>> Boolean().convert("on"), Choice("DC", "ACurrent").convert("acurrent")
(True, 'AC')
>>> String().convert('"a ""b"" c"'), String().convert("'it''s'")
('a "b" c', "it's")
"""

from __future__ import annotations

import abc
import math
import re
from dataclasses import dataclass, field
from decimal import Decimal

from .errors import ScpiError
from .parser import DataKind, classify, parse_number, unquote

MULTIPLIERS: dict[str, int] = {
    "": 0,
    "EX": 18,
    "PE": 15,
    "T": 12,
    "G": 9,
    "MA": 6,
    "K": 3,
    "M": -3,
    "U": -6,
    "N": -9,
    "P": -12,
    "F": -15,
    "A": -18,
}
"""IEEE 488.2 suffix multipliers, as powers of ten."""

MEGA_UNITS = frozenset({"HZ", "OHM"})
"""Units for which a lone ``M`` multiplier means mega (``MHZ``, ``MOHM``)."""

_MNEMONIC = re.compile(r"([A-Z][A-Z0-9_]*)([a-z0-9_]*)")
_UNIT = re.compile(r"[A-Za-z]+")


@dataclass(frozen=True, kw_only=True)
class Parameter(abc.ABC):
    """Base of all parameter declarations.

    An ``optional`` parameter may be left out; the handler then gets ``None``.
    Optional parameters must come after the required ones.
    """

    optional: bool = False

    @abc.abstractmethod
    def convert(self, token: str) -> object:
        """Convert one non-empty, stripped token, or raise :class:`ScpiError`."""


def _wrong_kind(kind: DataKind) -> ScpiError:
    return ScpiError(-101 if kind is DataKind.INVALID else -104)


def _round_half_away(value: float) -> int:
    return int(math.copysign(math.floor(abs(value) + 0.5), value))


def _scaled(value: float | int, exponent: int) -> float | int:
    """Apply a power-of-ten multiplier without binary rounding surprises."""
    if exponent == 0 or not math.isfinite(value):
        return value
    return float(Decimal(repr(float(value))).scaleb(exponent))


@dataclass(frozen=True, kw_only=True)
class Numeric(Parameter):
    """A number, with optional unit, limits and default.

    ``MINimum``/``MAXimum``/``DEFault`` stand for ``min``/``max``/``default``.
    With ``integer=True`` the value is rounded half away from zero and
    handed over as an ``int``; otherwise as a ``float``.
    """

    unit: str = ""
    min: float | None = None
    max: float | None = None
    default: float | None = None
    integer: bool = False

    def __post_init__(self) -> None:
        if self.unit and not _UNIT.fullmatch(self.unit):
            raise ValueError(f"unit {self.unit!r} must be letters only")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")

    def convert(self, token: str) -> float | int:
        kind = classify(token)
        if kind is DataKind.WORD:
            return self._finish(self._keyword(token.upper()))
        if kind not in (DataKind.NUMBER, DataKind.NONDECIMAL):
            raise _wrong_kind(kind)
        value, suffix = parse_number(token)
        return self._finish(_scaled(value, self._exponent(suffix)))

    def _keyword(self, word: str) -> float:
        for names, limit in (
            (("MIN", "MINIMUM"), self.min),
            (("MAX", "MAXIMUM"), self.max),
            (("DEF", "DEFAULT"), self.default),
        ):
            if word in names:
                if limit is None:
                    raise ScpiError(-224)
                return limit
        raise ScpiError(-141)

    def _exponent(self, suffix: str) -> int:
        """Power of ten meant by ``suffix`` for this parameter's unit."""
        if not suffix:
            return 0
        if not self.unit:
            raise ScpiError(-138)
        text, unit = suffix.upper(), self.unit.upper()
        if not text.endswith(unit):
            raise ScpiError(-131)
        prefix = text[: len(text) - len(unit)]
        if prefix == "M" and unit in MEGA_UNITS:
            return 6
        if prefix not in MULTIPLIERS:
            raise ScpiError(-131)
        return MULTIPLIERS[prefix]

    def _finish(self, value: float | int) -> float | int:
        if not self.integer:
            value = float(value)
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise ScpiError(-222)
            value = _round_half_away(value)
        if (self.min is not None and not value >= self.min) or (
            self.max is not None and not value <= self.max
        ):
            raise ScpiError(-222)
        return value


@dataclass(frozen=True, kw_only=True)
class Boolean(Parameter):
    """``ON``/``OFF`` or a number: rounded, non-zero means on (SCPI-99 7.3)."""

    def convert(self, token: str) -> bool:
        kind = classify(token)
        if kind is DataKind.WORD:
            word = token.upper()
            if word not in ("ON", "OFF"):
                raise ScpiError(-141)
            return word == "ON"
        if kind not in (DataKind.NUMBER, DataKind.NONDECIMAL):
            raise _wrong_kind(kind)
        value, suffix = parse_number(token)
        if suffix:
            raise ScpiError(-138)
        return abs(value) >= 0.5


@dataclass(frozen=True, init=False)
class Choice(Parameter):
    """Character data from a fixed set, written like mnemonics: ``Choice("IMMediate", "BUS")``.

    The handler gets the short form in uppercase (``"IMM"``), which is also
    what SCPI queries answer with.
    """

    options: tuple[str, ...]
    _lookup: dict[str, str] = field(repr=False, compare=False)

    def __init__(self, *options: str, optional: bool = False) -> None:
        if not options:
            raise ValueError("a Choice needs at least one option")
        lookup: dict[str, str] = {}
        owners: dict[str, str] = {}
        for option in options:
            match = _MNEMONIC.fullmatch(option)
            if not match:
                raise ValueError(f"option {option!r} is not a mnemonic like 'IMMediate'")
            for form in (match.group(1), option.upper()):
                if owners.setdefault(form, option) != option:
                    raise ValueError(f"option {option!r} clashes with {owners[form]!r}")
                lookup[form] = match.group(1)
        object.__setattr__(self, "optional", optional)
        object.__setattr__(self, "options", options)
        object.__setattr__(self, "_lookup", lookup)

    def convert(self, token: str) -> str:
        kind = classify(token)
        if kind is not DataKind.WORD:
            raise _wrong_kind(kind)
        try:
            return self._lookup[token.upper()]
        except KeyError:
            raise ScpiError(-141) from None


@dataclass(frozen=True, kw_only=True)
class String(Parameter):
    """A quoted string (``"..."`` or ``'...'``); the handler gets its text."""

    def convert(self, token: str) -> str:
        kind = classify(token)
        if kind is not DataKind.STRING:
            raise _wrong_kind(kind)
        return unquote(token)


@dataclass(frozen=True, kw_only=True)
class Raw(Parameter):
    """Any single data element, handed over as its source text (e.g. channel lists)."""

    def convert(self, token: str) -> str:
        return token
