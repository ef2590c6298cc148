"""The fault catalogue: grammar, response faults, and how a verdict becomes a reply."""

from __future__ import annotations

import pytest

from simulators.common import Reply
from simulators.devicekit import GarbageLines, ResponseFault, ResponseFaults, Values, respond
from simulators.devicekit.faults import Corrupt, Delay, Drift, Drop, Stuck, parse


def names(key: str) -> str:
    if key not in {"voltage", "current"}:
        raise ValueError(f"unknown register {key!r}; known: current, voltage")
    return key


@pytest.mark.parametrize(
    ("args", "fault"),
    [
        (("drift", "voltage", "-2.5"), Drift("voltage", -2.5)),
        (("drift", "voltage", "3.0"), Drift("voltage", 3)),
        (("stuck", "current"), Stuck("current")),
        (("delay", "150"), Delay(0.15, 1)),
        (("delay", "10", "3"), Delay(0.01, 3)),
        (("crc", "2"), Corrupt(2)),
        (("drop", "3"), Drop(3)),
    ],
)
def test_the_grammar_gives_typed_faults(args: tuple[str, ...], fault: object) -> None:
    assert parse(args[0], args[1:], resolve=names) == fault


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("melt",), "unknown fault 'melt'; choose one of: drift, stuck, delay, crc, drop$"),
        (
            ("garbage", "1"),
            "unknown fault 'garbage'; choose one of: drift, stuck, delay, crc, drop$",
        ),
        (
            ("drift", "voltage"),
            r"usage: \$system_fault:drift,<register>,<step>\[,<sigma>\[,<seed>\]\]%$",
        ),
        (("drift", "power", "1"), "unknown register 'power'; known: current, voltage"),
        (("drift", "voltage", "x"), "step must be a number, got 'x'"),
        (("drift", "voltage", "nan"), "step must be finite"),
        (("delay", "-1", "0"), "delay must be between 0 and 60000, got -1"),
        (("delay", "1.5"), "delay must be an integer"),
        (("delay", "10", "0"), "every_k must be between 1 and 1000000, got 0"),
        (("crc",), r"usage: \$system_fault:crc,<every_k>%"),
        (("drop", "1", "2"), r"usage: \$system_fault:drop,<every_k>%"),
    ],
)
def test_malformed_faults_are_refused(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(args[0], args[1:], resolve=names)


def test_a_line_protocol_calls_corruption_garbage_and_its_readings_readings() -> None:
    assert parse("garbage", ["4"], resolve=names, garbage=True) == Corrupt(4)
    assert parse("crc", ["4"], resolve=names, garbage=True) == Corrupt(4)
    with pytest.raises(ValueError, match="choose one of: drift, stuck, delay, crc, drop, garbage"):
        parse("melt", [], resolve=names, garbage=True)
    with pytest.raises(ValueError, match=r"usage: \$system_fault:stuck,<reading>%"):
        parse("stuck", [], resolve=names, target="reading", garbage=True)


@pytest.mark.parametrize(
    ("fault", "field", "hits"),
    [
        (Delay(0.15, 1), "delay_s", [0.15, 0.15, 0.15]),
        (Delay(0.01, 3), "delay_s", [0.0, 0.0, 0.01, 0.0, 0.0, 0.01]),
        (Corrupt(2), "corrupt", [False, True, False, True]),
        (Drop(3), "drop", [False, False, True]),
    ],
)
def test_response_faults_hit_every_kth_request(
    fault: Delay | Corrupt | Drop, field: str, hits: list[object]
) -> None:
    faults = ResponseFaults()
    faults.add(fault)
    assert [getattr(faults.next_response(), field) for _ in hits] == hits


def test_no_response_fault_answers_every_request_as_is() -> None:
    faults = ResponseFaults()
    assert [faults.next_response() for _ in range(3)] == [ResponseFault()] * 3
    assert faults.describe() == []


def test_ordinals() -> None:
    faults = ResponseFaults()
    for k, text in [(2, "2nd"), (3, "3rd"), (4, "4th"), (12, "12th"), (21, "21st"), (113, "113th")]:
        faults.add(Corrupt(k))
        assert faults.describe() == [f"crc corrupt every {text} response"]


def test_respond_turns_each_verdict_into_what_the_server_sends() -> None:
    faults = ResponseFaults()
    assert respond(faults, b"1\n", bytes.upper) == b"1\n"
    faults.add(Delay(0.2, 2))
    faults.add(Corrupt(3))
    faults.add(Drop(4))
    faults.clear()  # the count restarts with the faults
    faults.add(Delay(0.2, 2))
    faults.add(Corrupt(3))
    faults.add(Drop(4))
    executed: list[int] = []

    def answer() -> bytes:
        executed.append(1)
        return b"ab"

    replies = [respond(faults, answer, bytes.upper) for _ in range(4)]
    assert replies == [b"ab", b"ab", b"AB", b""]
    assert [type(reply) for reply in replies] == [bytes, Reply, bytes, Reply]
    assert isinstance(replies[1], Reply)
    assert replies[1].delay_s == 0.2
    assert isinstance(replies[3], Reply)
    assert replies[3].close
    assert len(executed) == 3  # the dropped request was lost on its way in


def test_garbage_lines_are_seeded_non_ascii_and_as_long() -> None:
    first, second = GarbageLines(seed=5), GarbageLines(seed=5)
    lines = [first(b"+1.0E+00\n") for _ in range(3)]
    assert lines == [second(b"+1.0E+00\n") for _ in range(3)]
    assert all(len(line) == 9 and line.endswith(b"\n") for line in lines)
    assert not any(line[:-1].isascii() for line in lines)
    empty = first(b"")
    assert len(empty) == 2
    assert empty.endswith(b"\n")


def test_values_hold_the_response_faults_too() -> None:
    values = Values({"voltage": lambda: 1.0}, corruption="crc")
    values.fault("crc", "2")
    values.fault("drift", "voltage", "5")
    assert values.describe_faults() == "drift voltage +5 per read\ncrc corrupt every 2nd response"
    assert [values.responses.next_response().corrupt for _ in range(2)] == [False, True]
    with pytest.raises(ValueError, match="corruption must be"):
        Values({}, corruption="bits")
