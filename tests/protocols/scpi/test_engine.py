"""The engine end to end: (bytes in, reply lines out, errors queued) tables."""

from __future__ import annotations

import pytest

from simulators.protocols.scpi import Numeric, ScpiEngine

from .toy import IDN, Toy, build, run


def nr3(value: float) -> str:
    return f"{value:+.8E}"


def line(*fields: str) -> list[bytes]:
    """One reply line made of the given response units."""
    return [(";".join(fields) + "\n").encode()]


HEADERS = [
    # long/short forms, case, optional nodes
    ("VOLT 5;VOLT?", line(nr3(5)), []),
    ("volt 5;volt?", line(nr3(5)), []),
    ("VOLTAGE 5;Voltage?", line(nr3(5)), []),
    ("SOUR:VOLT:LEV:IMM:AMPL 5;:VOLT?", line(nr3(5)), []),
    ("source:voltage:level 5;:SOUR:VOLT?", line(nr3(5)), []),
    (":SOUR:VOLT:IMM 5;:VOLT:AMPL?", line(nr3(5)), []),
    ("VOLT:AMPL 5;:SOURCE:VOLTAGE:LEVEL:IMMEDIATE:AMPLITUDE?", line(nr3(5)), []),
    ("VOLTA 5", [], [-113]),
    ("SOURC:VOLT 5", [], [-113]),
    ("VOLT:IMM:LEV 5", [], [-113]),
    ("MEAS:VOLT?;:MEAS:VOLT:DC?", line(nr3(0), nr3(0)), []),
    # numeric suffixes: omitted means the default, 1
    ("OUTP2 ON;OUTP2?;OUTP?;OUTP1:STAT?", line("1", "0", "0")),
    ("OUTPUT2:STATE 1;:OUTP2:STAT?;:OUTP3?", line("1", "0")),
    ("OUTP2:STAT 1;:OUTP2:STAT?;OUTP3?", line("1"), [-113]),
    ("OUTP ON;OUTP1?", line("1")),
    ("VOLT2 5", [], [-114]),
    ("OUTP1234567890 ON", [], [-114]),
    ("VOLTAGEVOLTAGE 5", [], [-112]),
]


@pytest.mark.parametrize(
    ("data", "replies", "errors"), [(*row, []) if len(row) == 2 else row for row in HEADERS]
)
def test_headers(engine: ScpiEngine, data: str, replies: list[bytes], errors: list[int]) -> None:
    assert run(engine, data.encode() + b"\n") == (replies, errors)


def test_suffixes_reach_the_handler_in_pattern_order(engine: ScpiEngine, toy: Toy) -> None:
    run(engine, b"SENS2:CHAN3:GAIN 1.5;:SENSE:CHANNEL:GAIN 2;:SENS1:CHAN4:GAIN 3\n")
    assert toy.sense == [(2, 3, 1.5), (1, 1, 2.0), (1, 4, 3.0)]


PATHS = [
    # after ';' a header is relative to the previous header's parent path
    ("SOUR:VOLT 5;CURR 2;:SOUR:VOLT?;CURR?", line(nr3(5), nr3(2)), []),
    ("MEAS:VOLT?;CURR?", line(nr3(0), nr3(0.1)), []),
    ("VOLT 5;CURR 2;CURR?", line(nr3(2)), []),
    ("TEMP:SETP 30;SETP?", line(nr3(30)), []),
    ("TEMP:SETP 30;TEMP:SETP?", [], [-113]),
    ("TEMP:SETP 30;:TEMP:SETP?", line(nr3(30)), []),
    ("OUTP2:STAT ON;STAT?", line("1"), []),
    ("SOUR:VOLT:LEV 5;CURR 2", [], [-113]),
    # common commands leave the path alone
    ("SOUR:VOLT 5;*IDN?;CURR 2;CURR?", line(IDN, nr3(2)), []),
    # an execution error does not reset the path either
    ("SOUR:VOLT 50;CURR 2;CURR?", line(nr3(2)), [-222]),
]


@pytest.mark.parametrize(("data", "replies", "errors"), PATHS)
def test_header_path_rules(
    engine: ScpiEngine, data: str, replies: list[bytes], errors: list[int]
) -> None:
    assert run(engine, data.encode() + b"\n") == (replies, errors)


COMPOUND = [
    ("*IDN?;VOLT?;*OPC?", line(IDN, nr3(0), "1"), []),
    ("TEST:LIST?", line("1,+2.50000000E+00,DC,1"), []),
    # a command error abandons the rest of the message; earlier replies still go out
    ("VOLT?;FOO;VOLT?", line(nr3(0)), [-113]),
    ("VOLT 5;VOLT::LEV 6;VOLT 7", [], [-102]),
    # execution errors, device errors and handler errors do not stop the message
    ("VOLT 50;VOLT?", line(nr3(0)), [-222]),
    ("TEST:FAIL;:VOLT 5;:VOLT?", line(nr3(5)), [-221]),
    ("TEST:OVER;:VOLT?", line(nr3(0)), [101]),
    ("TEST:BAD?;:VOLT?", line(nr3(0)), [-230]),
    ("VOLT 5;", [], []),
    ("SYST:BEEP;;SYST:BEEP", [], [-102]),
    (";", [], [-102]),
]


@pytest.mark.parametrize(("data", "replies", "errors"), COMPOUND)
def test_compound_messages(
    engine: ScpiEngine, data: str, replies: list[bytes], errors: list[int]
) -> None:
    assert run(engine, data.encode() + b"\n") == (replies, errors)


def test_units_before_a_command_error_have_run(engine: ScpiEngine, toy: Toy) -> None:
    assert run(engine, b"SYST:BEEP;;SYST:BEEP\n") == ([], [-102])
    assert toy.beeps == 1


PARAMETERS = [
    # MIN / MAX / DEF, any form, any case
    ("VOLT MIN;VOLT?", line(nr3(0)), []),
    ("VOLT 5;VOLT max;VOLT?", line(nr3(30)), []),
    ("VOLT 5;VOLT MAXimum;VOLT?", line(nr3(30)), []),
    ("VOLT 5;VOLT DEFAULT;VOLT?", line(nr3(0)), []),
    ("CURR def;CURR?", line(nr3(0.1)), []),
    ("CONF:RES MIN", [], [-224]),
    # units and multipliers: M is milli, MA mega, MHZ/MOHM mega
    ("VOLT 5 mV;VOLT?", line(nr3(0.005)), []),
    ("VOLT 5mV;VOLT?", line(nr3(0.005)), []),
    ("VOLT 5 MV;VOLT?", line(nr3(0.005)), []),
    ("VOLT 1.5e1;VOLT?", line(nr3(15)), []),
    ("VOLT 1.5E+1 V;VOLT?", line(nr3(15)), []),
    ("VOLT 30000 mV;VOLT?", line(nr3(30)), []),
    ("VOLT .5;VOLT?", line(nr3(0.5)), []),
    ("VOLT 7 uV;VOLT?", line(nr3(7e-6)), []),
    ("VOLT 30001 mV", [], [-222]),
    ("VOLT 5 KV", [], [-222]),
    ("VOLT -1", [], [-222]),
    ("VOLT 1e999", [], [-222]),
    ("VOLT 5 A", [], [-131]),
    ("VOLT 5 k", [], [-131]),
    ("VOLT 5 XV", [], [-131]),
    ("SENS:CHAN:GAIN 5 V", [], [-138]),
    ("CURR 100 mA;CURR?", line(nr3(0.1)), []),
    ("CURR 100 MA;CURR?", line(nr3(0.1)), []),
    ("CURR 2 A;CURR?", line(nr3(2)), []),
    ("TEMP:SETP 25 C;SETP?", line(nr3(25)), []),
    ("TEMP:SETP -41", [], [-222]),
    ("VOLT #B101;VOLT?", line(nr3(5)), []),
    ("VOLT #q7;VOLT?", line(nr3(7)), []),
    ("VOLT #H1F", [], [-222]),
    # wrong kind of data
    ("VOLT abc", [], [-141]),
    ('VOLT "5"', [], [-104]),
    ("VOLT (1+2)", [], [-104]),
    ("VOLT #15abcde", [], [-104]),
    ("VOLT @", [], [-101]),
    ("VOLT 1.2.3", [], [-121]),
    ("VOLT +", [], [-121]),
    ("VOLT #HZZ", [], [-121]),
    # counts
    ("VOLT", [], [-109]),
    ("VOLT 1,2", [], [-108]),
    ("VOLT ,", [], [-108]),
    ("VOLT? 5", [], [-108]),
    ("*RST 1", [], [-108]),
    ("SENS:CHAN:GAIN ,", [], [-108]),
    # booleans: ON/OFF or a number rounded to non-zero
    ("OUTP ON;OUTP?", line("1"), []),
    ("OUTP on;OUTP OFF;OUTP?", line("0"), []),
    ("OUTP 1;OUTP?", line("1"), []),
    ("OUTP 0.4;OUTP?", line("0"), []),
    ("OUTP 0.6;OUTP?", line("1"), []),
    ("OUTP -2;OUTP?", line("1"), []),
    ("OUTP MAYBE", [], [-141]),
    ('OUTP "ON"', [], [-104]),
    ("OUTP 1 V", [], [-138]),
    # character data: the handler gets (and the query echoes) the short form
    ("FUNC CURR;FUNC?", line("CURR"), []),
    ("sense:function resistance;FUNC?", line("RES"), []),
    ("FUNC CURRE", [], [-141]),
    ("FUNC 1", [], [-104]),
    ("FUNC", [], [-109]),
    # strings, quoted either way, separators inside them ignored
    ('DISP:TEXT "hello, world; yes";TEXT?', line('"hello, world; yes"'), []),
    ("DISP:TEXT 'it''s';TEXT?", line('"it\'s"'), []),
    ('DISP:TEXT "say ""hi""";TEXT?', line('"say ""hi"""'), []),
    ("DISP:TEXT hello", [], [-104]),
    ('DISP:TEXT "oops', [], [-151]),
    ('DISP:TEXT "a"b', [], [-151]),
]


@pytest.mark.parametrize(("data", "replies", "errors"), PARAMETERS)
def test_parameters(engine: ScpiEngine, data: str, replies: list[bytes], errors: list[int]) -> None:
    assert run(engine, data.encode() + b"\n") == (replies, errors)


@pytest.mark.parametrize(
    ("data", "ohms", "hertz"),
    [
        ("CONF:RES 2 kOHM", 2000.0, 0.0),
        ("CONF:RES 1 MOHM", 1e6, 0.0),
        ("CONF:RES 1 MAOHM", 1e6, 0.0),
        ("CONF:RES 4.7", 4.7, 0.0),
        ("CONF:FREQ 1 MHz", 0.0, 1e6),
        ("CONF:FREQ 2.5 kHz", 0.0, 2500.0),
        ("CONF:FREQ 1 GHZ", 0.0, 1e9),
    ],
)
def test_mega_units(engine: ScpiEngine, toy: Toy, data: str, ohms: float, hertz: float) -> None:
    assert run(engine, data.encode() + b"\n") == ([], [])
    assert (toy.ohms, toy.hertz) == (ohms, hertz)


@pytest.mark.parametrize(
    ("data", "counts"),
    [
        ("MEAS:VOLT?", [None]),
        ("MEAS:VOLT? 3", [3]),
        ("MEAS:VOLT? 2.5", [3]),
        ("MEAS:VOLT? -2.5", [-3]),
    ],
)
def test_optional_integer_parameter(
    engine: ScpiEngine, toy: Toy, data: str, counts: list[int | None]
) -> None:
    assert run(engine, data.encode() + b"\n") == (line(nr3(0)), [])
    assert toy.counts == counts


def test_raw_parameter_keeps_channel_lists_whole(engine: ScpiEngine, toy: Toy) -> None:
    assert run(engine, b"ROUT:CLOS (@1,2:4)\n") == ([], [])
    assert toy.routed == ["(@1,2:4)"]


ERRORS = [
    ("FOO", -113),
    ("*FOO?", -113),
    ("SYST:ERR:FOO?", -113),
    ("MEAS:VOLT 5", -100),
    ("SYST:BEEP?", -100),
    ("*IDN", -100),
    ("VOLT::LEV 5", -102),
    ("VOLT: 5", -102),
    (":", -102),
    ("*", -102),
    ("VOLT 50", -222),
]


@pytest.mark.parametrize(("data", "code"), ERRORS)
def test_errors_reach_syst_err(engine: ScpiEngine, data: str, code: int) -> None:
    replies = engine.feed(data.encode() + b"\nSYST:ERR?\n")
    assert replies[0].startswith(f"{code},".encode())
    assert engine.feed(b"SYST:ERR?\n") == [b'0,"No error"\n']


def test_syst_err_texts(engine: ScpiEngine) -> None:
    data = b"FOO\nTEST:FAIL\nMEAS:VOLT 5\nSYST:ERR:COUN?\nSYST:ERR?;:SYST:ERR:NEXT?;:SYST:ERR?\n"
    assert engine.feed(data) == [
        b"3\n",
        b'-113,"Undefined header";-221,"Settings conflict;output is on";'
        b'-100,"Command error;query only"\n',
    ]
    assert engine.feed(b"syst:err?;:syst:vers?\n") == [b'0,"No error";1999.0\n']


def test_push_error_from_the_instrument(engine: ScpiEngine) -> None:
    engine.push_error(-300)
    engine.push_error(-241, detail="fan")
    engine.push_error(42, "Lid open")
    assert engine.feed(b"SYST:ERR?;:SYST:ERR?;:SYST:ERR?\n") == [
        b'-300,"Device-specific error";-241,"Hardware missing;fan";42,"Lid open"\n'
    ]


def test_queue_overflow_replaces_the_newest_entry(engine: ScpiEngine) -> None:
    engine.feed(b"FOO\n" * 25)
    assert engine.feed(b"SYST:ERR:COUN?\n") == [b"20\n"]
    codes = [engine.feed(b"SYST:ERR?\n")[0] for _ in range(21)]
    assert codes[:19] == [b'-113,"Undefined header"\n'] * 19
    assert codes[19:] == [b'-350,"Queue overflow"\n', b'0,"No error"\n']


def test_queue_takes_new_errors_again_once_read(engine: ScpiEngine) -> None:
    engine.feed(b"FOO\n" * 21)
    engine.feed(b"SYST:ERR?\nVOLT 99\n")
    assert [entry.code for entry in engine.errors][-2:] == [-350, -222]


def test_handler_bugs_propagate_and_leave_the_engine_usable() -> None:
    engine = ScpiEngine(idn="X,Y,0,1")

    def broken() -> None:
        raise RuntimeError("instrument bug")

    engine.command("BROKen", broken)
    engine.query("NONE?", lambda: None)
    with pytest.raises(RuntimeError, match="instrument bug"):
        engine.feed(b"*IDN?;BROK\n")
    with pytest.raises(TypeError, match="returned None"):
        engine.feed(b"NONE?\n")
    assert engine.feed(b"*OPC?\n") == [b"1\n"]


def test_non_ascii_replies_are_replaced() -> None:
    engine = ScpiEngine(idn="ACME,TH\u00e9RMO,1,1")
    assert engine.feed(b"*IDN?\n") == [b"ACME,TH?RMO,1,1\n"]


def test_handler_gets_declared_units_with_custom_limits() -> None:
    seen: list[float] = []
    engine = ScpiEngine(idn="X,Y,0,1")
    engine.command("LOAD", seen.append, [Numeric(unit="OHM", min=1, max=1e6)])
    assert run(engine, b"LOAD 2 kOHM;LOAD MIN;LOAD MAX\n") == ([], [])
    assert seen == [2000.0, 1.0, 1e6]


def test_registration_mistakes_are_value_errors(engine: ScpiEngine) -> None:
    with pytest.raises(ValueError, match="query"):
        engine.command("VOLT?", print)
    with pytest.raises(ValueError, match="must end with"):
        engine.query("VOLT", print)
    with pytest.raises(ValueError, match="already registered"):
        engine.command("SOURce:VOLTage", print, [Numeric()])
    with pytest.raises(ValueError, match="clashes"):
        engine.command("OUTPut:STATus", print)
    with pytest.raises(TypeError, match="not a Parameter"):
        engine.command("NEW", print, [5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="follows an optional"):
        engine.command("NEW", print, [Numeric(optional=True), Numeric()])
    with pytest.raises(ValueError, match="max_line"):
        ScpiEngine(idn="X", max_line=0)
    assert run(engine, b"NEW\n") == ([], [-113])


def test_build_registers_every_pattern() -> None:
    assert build(Toy()).feed(b"*IDN?\n") == [f"{IDN}\n".encode()]
