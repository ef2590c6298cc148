"""Lexing of one program message: units, header and data, parameter tokens, numbers.

A program message is one line without its terminator. IEEE 488.2 counts every
control character and space (0x00-0x20, except the newline that ends the line)
as white space, so a ``\\r`` before the ``\\n`` needs no special case.

>>> split_units('VOLT 5;:MEAS:VOLT?; DISP:TEXT "a;b" ;')
['VOLT 5', ':MEAS:VOLT?', 'DISP:TEXT "a;b"']
>>> split_unit("VOLT:PROT  5 V, MAX")
('VOLT:PROT', '5 V, MAX')
>>> split_parameters('5 V, MAX, "x,y", (@1,2)')
['5 V', 'MAX', '"x,y"', '(@1,2)']
>>> parse_number("1.5e3 mV"), parse_number("#H1F")
((1500.0, 'mV'), (31, ''))
"""

from __future__ import annotations

import enum
import re

from .errors import ScpiError

WHITESPACE = "".join(map(chr, range(0x21)))
"""IEEE 488.2 <white space>: every control character and the space."""

MAX_NONDECIMAL_BITS = 64

_DECIMAL = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_SUFFIX = re.compile(r"[A-Za-z]+")
_NONDECIMAL = re.compile(r"#([HQB])([0-9A-F]+)", re.IGNORECASE)
_BASES = {"H": 16, "Q": 8, "B": 2}
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
_UNIT = re.compile(r"([^\x00-\x20]*)[\x00-\x20]*(.*)", re.DOTALL)
_STRINGS = {q: re.compile(f"{q}((?:[^{q}]|{q}{q})*){q}", re.DOTALL) for q in "\"'"}


class DataKind(enum.Enum):
    """What sort of program data element a token is, judged by its first characters."""

    NUMBER = "decimal numeric"
    NONDECIMAL = "non-decimal numeric"
    WORD = "character"
    STRING = "string"
    BLOCK = "block"
    EXPRESSION = "expression"
    INVALID = "invalid"


def strip(text: str) -> str:
    """Remove IEEE 488.2 white space from both ends."""
    return text.strip(WHITESPACE)


def _split_outside(text: str, separator: str, *, parentheses: bool) -> list[str]:
    """Split at ``separator`` except inside quoted strings (and parentheses if asked)."""
    if '"' not in text and "'" not in text and not (parentheses and "(" in text):
        return text.split(separator)
    parts: list[str] = []
    start = depth = 0
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""  # a doubled quote simply closes and reopens
        elif char in "\"'":
            quote = char
        elif parentheses and char == "(":
            depth += 1
        elif parentheses and char == ")" and depth:
            depth -= 1
        elif char == separator and not depth:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts


def split_units(message: str) -> list[str]:
    """Split a program message into stripped units at ``;`` outside strings.

    A blank message gives ``[]``. One trailing ``;`` is tolerated; any other
    empty unit is kept as ``""`` so the engine reports it when it gets there.
    """
    if not strip(message):
        return []
    units = [strip(part) for part in _split_outside(message, ";", parentheses=False)]
    if len(units) > 1 and not units[-1]:
        units.pop()
    return units


def split_unit(unit: str) -> tuple[str, str]:
    """Split a stripped unit into its header and its (stripped) data text."""
    match = _UNIT.fullmatch(unit)
    assert match is not None  # the pattern matches any text
    return match.group(1), strip(match.group(2))


def split_parameters(data: str) -> list[str]:
    """Split program data at commas outside strings and parentheses."""
    if not data:
        return []
    return [strip(part) for part in _split_outside(data, ",", parentheses=True)]


def classify(token: str) -> DataKind:
    """Tell what kind of data element ``token`` (non-empty, stripped) is."""
    first = token[0]
    if first in "\"'":
        return DataKind.STRING
    if first == "#":
        return DataKind.NONDECIMAL if token[1:2].upper() in _BASES else DataKind.BLOCK
    if first == "(":
        return DataKind.EXPRESSION
    if first.isdigit() or first in "+-.":
        return DataKind.NUMBER
    if _WORD.fullmatch(token):
        return DataKind.WORD
    return DataKind.INVALID


def unquote(token: str) -> str:
    """Return the text of a quoted string, with doubled quotes undoubled; -151 if malformed."""
    quote = token[0]
    match = _STRINGS[quote].fullmatch(token) if quote in _STRINGS else None
    if not match:
        raise ScpiError(-151)
    return match.group(1).replace(quote * 2, quote)


def parse_number(token: str) -> tuple[float | int, str]:
    """Parse decimal or non-decimal (``#H``, ``#Q``, ``#B``) numeric data.

    Returns the value and the suffix text (letters only, possibly empty):
    -121 for a malformed number, -131 for a suffix that is not letters, -222
    for non-decimal data wider than 64 bits.
    """
    if token.startswith("#"):
        match = _NONDECIMAL.fullmatch(token)
        if not match:
            raise ScpiError(-121)
        base, digits = match.groups()
        try:
            value = int(digits, _BASES[base.upper()])
        except ValueError:
            raise ScpiError(-121) from None
        if value.bit_length() > MAX_NONDECIMAL_BITS:
            raise ScpiError(-222)
        return value, ""
    number = _DECIMAL.match(token)
    if not number:
        raise ScpiError(-121)
    suffix = strip(token[number.end() :])
    if suffix and not suffix[0].isalpha():
        raise ScpiError(-121)
    if suffix and not _SUFFIX.fullmatch(suffix):
        raise ScpiError(-131)
    return float(number.group()), suffix
