"""Message splitting, tokens, numbers, parameter declarations, responses, the error queue."""

from __future__ import annotations

import math

import pytest

from simulators.protocols.scpi import (
    Boolean,
    Choice,
    ErrorQueue,
    Numeric,
    ScpiError,
    String,
    format_response,
)
from simulators.protocols.scpi.parser import DataKind, classify, parse_number, split_units


@pytest.mark.parametrize(
    ("message", "units"),
    [
        ("", []),
        (" \t\r", []),
        ("A;B", ["A", "B"]),
        ("A ; B ;", ["A", "B"]),
        ("A;;B", ["A", "", "B"]),
        (";", [""]),
        ("X 'a;b';Y \"c;'d\"", ["X 'a;b'", 'Y "c;\'d"']),
        ("X (1;2);Y", ["X (1", "2)", "Y"]),
    ],
)
def test_split_units(message: str, units: list[str]) -> None:
    assert split_units(message) == units


@pytest.mark.parametrize(
    ("token", "kind"),
    [
        ("5", DataKind.NUMBER),
        ("-.5", DataKind.NUMBER),
        ("#H1", DataKind.NONDECIMAL),
        ("#b1", DataKind.NONDECIMAL),
        ("#3abc", DataKind.BLOCK),
        ("#", DataKind.BLOCK),
        ("ON", DataKind.WORD),
        ('"x"', DataKind.STRING),
        ("'x'", DataKind.STRING),
        ("(@1)", DataKind.EXPRESSION),
        ("@", DataKind.INVALID),
        ("A-B", DataKind.INVALID),
    ],
)
def test_classify(token: str, kind: DataKind) -> None:
    assert classify(token) is kind


@pytest.mark.parametrize(
    ("token", "value", "suffix"),
    [
        ("5", 5.0, ""),
        ("+5.", 5.0, ""),
        ("-1.5E-3", -1.5e-3, ""),
        ("2 kOHM", 2.0, "kOHM"),
        ("1e3V", 1000.0, "V"),
        ("#HFF", 255, ""),
        ("#Q17", 15, ""),
        ("#B1010", 10, ""),
    ],
)
def test_parse_number(token: str, value: float, suffix: str) -> None:
    assert parse_number(token) == (value, suffix)


@pytest.mark.parametrize(
    ("token", "code"),
    [
        ("#H", -121),
        ("#B102", -121),
        ("#H" + "F" * 17, -222),
        ("-", -121),
        ("1 2", -121),
        ("1 V2", -131),
    ],
)
def test_parse_number_errors(token: str, code: int) -> None:
    with pytest.raises(ScpiError) as caught:
        parse_number(token)
    assert caught.value.code == code


def test_numeric_integer_and_extremes() -> None:
    count = Numeric(integer=True)
    assert count.convert("#H" + "F" * 16) == 2**64 - 1
    assert count.convert("-0.5") == -1
    assert isinstance(count.convert("2"), int)
    with pytest.raises(ScpiError):
        count.convert("1e999")
    unbounded = Numeric()
    assert unbounded.convert("1e999") == math.inf
    assert Numeric(unit="V").convert("1 EXV") == 1e18
    assert Numeric(unit="A").convert("3 AA") == pytest.approx(3e-18)
    assert Numeric(unit="A").convert("3 MAA") == 3e6


def test_declaration_mistakes() -> None:
    with pytest.raises(ValueError, match="letters"):
        Numeric(unit="V/s")
    with pytest.raises(ValueError, match="above max"):
        Numeric(min=2, max=1)
    with pytest.raises(ValueError, match="at least one"):
        Choice()
    with pytest.raises(ValueError, match="mnemonic"):
        Choice("dc")
    with pytest.raises(ValueError, match="clashes"):
        Choice("DC", "DCurrent")


def test_declarations_compare_and_print() -> None:
    assert Choice("DC", optional=True) == Choice("DC", optional=True)
    assert "options=('DC',)" in repr(Choice("DC"))
    assert Boolean(optional=True).optional
    assert String().convert("''") == ""


def test_format_response_fallbacks() -> None:
    assert format_response([1, [2, 3]]) == "1,2,3"
    assert format_response(math.inf) == "9.9E+37"

    class Mode:
        def __str__(self) -> str:
            return "AUTO"

    assert format_response(Mode()) == "AUTO"


def test_error_codes_and_texts() -> None:
    assert ScpiError(-115).text == '-115,"Unexpected number of parameters"'
    assert ScpiError(-199).text == '-199,"Command error"'
    assert ScpiError(-999).message == "Error"
    assert ScpiError(-42).message == "Error"
    assert ScpiError(7).message == "Device-specific error"
    assert ScpiError(-300, 'say "x"').text == '-300,"say ""x"""'
    assert ScpiError(-113).is_command_error
    assert not ScpiError(-222).is_command_error
    with pytest.raises(ValueError, match="no error"):
        ScpiError(0)


def test_error_queue_bounds() -> None:
    with pytest.raises(ValueError, match="at least one"):
        ErrorQueue(0)
    queue = ErrorQueue(1)
    for code in (-100, -200, -300):
        queue.push(ScpiError(code))
    assert [entry.code for entry in queue] == [-350]
    assert len(queue) == 1
