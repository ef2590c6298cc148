"""Patterns compile, headers parse, and the tree matches one to the other."""

from __future__ import annotations

import pytest

from simulators.protocols.scpi import CommandTree, Mnemonic, ScpiError, parse_header, parse_pattern
from simulators.protocols.scpi.tree import PatternNode


def test_pattern_forms_optional_nodes_and_suffixes() -> None:
    pattern = parse_pattern("[SOURce[2]]:VOLTage[:LEVel]:CHANnel[1]?")
    assert pattern.query
    assert pattern.nodes == (
        PatternNode("SOUR", "SOURCE", optional=True, suffix=2),
        PatternNode("VOLT", "VOLTAGE"),
        PatternNode("LEV", "LEVEL", optional=True),
        PatternNode("CHAN", "CHANNEL", suffix=1),
    )
    assert pattern.suffix_defaults == (2, 1)
    paths = {":".join(n.short for n in nodes): slots for nodes, slots in pattern.expansions()}
    assert paths == {
        "SOUR:VOLT:LEV:CHAN": (0, None, None, 1),
        "SOUR:VOLT:CHAN": (0, None, 1),
        "VOLT:LEV:CHAN": (None, None, 1),
        "VOLT:CHAN": (None, 1),
    }


def test_common_pattern() -> None:
    pattern = parse_pattern("*esr?")
    assert (pattern.common, pattern.query, pattern.nodes) == (
        True,
        True,
        (PatternNode("ESR", "ESR"),),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "mandatory"),
        ("[:STATe]", "mandatory"),
        ("VOLT::LEV", "mnemonic"),
        ("VOLT:[:LEV]", "doubled"),
        ("VOLT[LEV]", "separated"),
        ("VOLTLEV[:STAT", "unclosed"),
        ("VOLT2", "digit"),
        ("volt", "mnemonic"),
        ("MEASUREMENTSXYZ", "longer than"),
        ("VOLT$", "separated"),
        ("[VOLT$]", "unclosed"),
    ],
)
def test_malformed_patterns(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_pattern(text)


@pytest.mark.parametrize(
    ("text", "mnemonics", "query", "absolute"),
    [
        ("volt", (Mnemonic("VOLT", None),), False, False),
        (":Sour2:Volt?", (Mnemonic("SOUR", 2), Mnemonic("VOLT", None)), True, True),
        ("OUTP01", (Mnemonic("OUTP", 1),), False, False),
        ("A1B2", (Mnemonic("A1B", 2),), False, False),
    ],
)
def test_headers(text: str, mnemonics: tuple[Mnemonic, ...], query: bool, absolute: bool) -> None:
    header = parse_header(text)
    assert (header.mnemonics, header.query, header.absolute, header.common) == (
        mnemonics,
        query,
        absolute,
        False,
    )


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", -102),
        ("VOLT:", -102),
        ("1VOLT", -102),
        ("VO-LT", -102),
        ("?", -102),
        ("*IDN:X", -102),
        (":*IDN?", -102),
        ("ABCDEFGHIJKLM", -112),
        ("*ABCDEFGHIJKLM", -112),
    ],
)
def test_malformed_headers(text: str, code: int) -> None:
    with pytest.raises(ScpiError) as caught:
        parse_header(text)
    assert caught.value.code == code


def test_tree_resolves_both_forms_and_reports_the_other() -> None:
    tree: CommandTree[str] = CommandTree()
    tree.add("MEASure:VOLTage[:DC]?", "measure")
    tree.add("SYSTem:BEEPer", "beep")
    tree.add("*TRG", "trigger")
    assert tree.resolve(parse_header("meas:volt:dc?")) == ("measure", ())
    assert tree.resolve(parse_header("*trg")) == ("trigger", ())
    for text, code in [
        ("MEAS:VOLT", -100),
        ("SYST:BEEP?", -100),
        ("MEAS?", -113),
        ("MEAS:VOLT:AC?", -113),
        ("*TRG?", -100),
        ("MEAS2:VOLT?", -114),
    ]:
        with pytest.raises(ScpiError) as caught:
            tree.resolve(parse_header(text))
        assert caught.value.code == code, text


def test_clashing_registrations_register_nothing() -> None:
    tree: CommandTree[str] = CommandTree()
    tree.add("OUTPut:STATe", "state")
    with pytest.raises(ValueError, match="clashes with STATE"):
        tree.add("[NEW]:OUTPut:STATus", "status")
    with pytest.raises(ScpiError):  # the expansion that did not clash was not registered
        tree.resolve(parse_header("NEW:OUTP:STATUS"))
    with pytest.raises(ValueError, match="twice"):
        tree.add("[ABC]:[ABC]:DEF", "x")
    with pytest.raises(ValueError, match="already registered"):
        tree.add("OUTPut:STATe", "again")
    with pytest.raises(ValueError, match="clashes with OUTPUT"):
        tree.add("OUTP:STAT", "all capitals: a different long form")
    tree.add("OUTPut:STATe?", "query form is separate")
    assert tree.resolve(parse_header("OUTP:STAT?")) == ("query form is separate", ())
