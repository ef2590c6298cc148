"""IEEE 488.2 common commands and the status registers behind them."""

from __future__ import annotations

import pytest

from simulators.protocols.scpi import Esr, ScpiEngine, Stb

from .toy import IDN, Toy, run


def ask(engine: ScpiEngine, message: bytes) -> bytes:
    (reply,) = engine.feed(message + b"\n")
    return reply.rstrip(b"\n")


def test_idn_tst_opc_wai(engine: ScpiEngine) -> None:
    assert run(engine, b"*IDN?;*TST?;*OPC?;*WAI\n") == ([f"{IDN};0;1\n".encode()], [])


def test_self_test_hook() -> None:
    engine = ScpiEngine(idn="X,Y,0,1", self_test=lambda: 3)
    assert ask(engine, b"*TST?") == b"3"


def test_rst_calls_the_reset_hook_and_keeps_errors(engine: ScpiEngine, toy: Toy) -> None:
    engine.feed(b"VOLT 5\nFOO\n*RST\n")
    assert toy.resets == 1
    assert ask(engine, b"VOLT?") == b"+0.00000000E+00"
    assert ask(engine, b"SYST:ERR:COUN?") == b"1"


def test_rst_without_hook_does_nothing() -> None:
    assert run(ScpiEngine(idn="X,Y,0,1"), b"*RST\n") == ([], [])


def test_power_on_sets_pon_then_esr_reads_and_clears(engine: ScpiEngine) -> None:
    assert ask(engine, b"*ESR?") == b"128"
    assert ask(engine, b"*ESR?") == b"0"


@pytest.mark.parametrize(
    ("message", "bits"),
    [
        (b"FOO", Esr.CME),
        (b"VOLT 50", Esr.EXE),
        (b"TEST:OVER", Esr.DDE),
        (b"TEST:FAIL", Esr.EXE),
        (b"*OPC", Esr.OPC),
        (b"FOO\nVOLT 50\nTEST:OVER", Esr.CME | Esr.EXE | Esr.DDE),
        (b"*IDN?", Esr(0)),
    ],
)
def test_esr_bits_follow_the_error_class(engine: ScpiEngine, message: bytes, bits: Esr) -> None:
    engine.feed(b"*CLS\n" + message + b"\n")
    assert ask(engine, b"*ESR?") == str(int(bits)).encode()


@pytest.mark.parametrize(
    ("code", "bit"),
    [(-410, Esr.QYE), (-500, Esr.PON), (-600, Esr.URQ), (-700, Esr.RQC), (-800, Esr.OPC)],
)
def test_pushed_events_set_their_esr_bit(engine: ScpiEngine, code: int, bit: Esr) -> None:
    engine.feed(b"*CLS\n")
    engine.push_error(code)
    assert ask(engine, b"*ESR?") == str(int(bit)).encode()


def test_cls_clears_queue_and_esr(engine: ScpiEngine) -> None:
    engine.feed(b"FOO\nVOLT 50\n*CLS\n")
    assert ask(engine, b"*ESR?;:SYST:ERR?") == b'0;0,"No error"'


@pytest.mark.parametrize(
    ("message", "replies", "errors"),
    [
        (b"*ESE 32;*ESE?", [b"32\n"], []),
        (b"*ESE 32.4;*ESE?", [b"32\n"], []),
        (b"*ESE #H24;*ESE?", [b"36\n"], []),
        (b"*ESE 256", [], [-222]),
        (b"*ESE -1", [], [-222]),
        (b"*ESE", [], [-109]),
        (b"*SRE 255;*SRE?", [b"191\n"], []),
        (b"*SRE 16;*SRE?", [b"16\n"], []),
        (b"*SRE ON", [], [-141]),
    ],
)
def test_enable_registers(
    engine: ScpiEngine, message: bytes, replies: list[bytes], errors: list[int]
) -> None:
    assert run(engine, message + b"\n") == (replies, errors)


def test_stb_computes_eav_esb_rqs(engine: ScpiEngine) -> None:
    engine.feed(b"*CLS\n")
    assert ask(engine, b"*STB?") == b"0"
    engine.feed(b"FOO\n")
    assert ask(engine, b"*STB?") == str(int(Stb.EAV)).encode()
    engine.feed(b"*ESE 32\n")
    assert ask(engine, b"*STB?") == str(int(Stb.EAV | Stb.ESB)).encode()
    engine.feed(b"*SRE 32\n")
    assert ask(engine, b"*STB?") == str(int(Stb.EAV | Stb.ESB | Stb.RQS)).encode()
    engine.feed(b"SYST:ERR?\n")
    assert ask(engine, b"*STB?") == str(int(Stb.ESB | Stb.RQS)).encode()
    engine.feed(b"*ESR?\n")
    assert ask(engine, b"*STB?") == b"0"


def test_stb_sets_mav_when_a_reply_is_pending(engine: ScpiEngine) -> None:
    engine.feed(b"*CLS\n")
    assert ask(engine, b"*IDN?;*STB?").endswith(b";16")


def test_stb_reports_the_instruments_summary_bits(engine: ScpiEngine) -> None:
    engine.feed(b"*CLS\n")
    engine.status.summary = 0x88  # QUES and OPER summaries
    assert ask(engine, b"*STB?") == b"136"
    engine.status.summary = 0xFF  # bits the engine computes are not the instrument's
    assert ask(engine, b"*STB?") == b"139"
    engine.feed(b"*SRE 128\n")
    assert ask(engine, b"*STB?") == b"203"
