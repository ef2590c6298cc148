"""The shared fault catalogue: grammar, value faults, response faults."""

from __future__ import annotations

import pytest

from simulators.faults import Faults, ResponseFault


@pytest.fixture
def faults() -> Faults:
    return Faults(registers={"voltage", "current"})


def test_nothing_active_by_default(faults: Faults) -> None:
    assert not faults.active
    assert faults.describe() == "none"
    assert faults.next_response() == ResponseFault()
    assert faults.read("voltage", 12) == 12
    assert faults.writable("voltage")


def test_drift_moves_every_read(faults: Faults) -> None:
    faults.add("drift", "voltage", "-2.5")
    assert faults.read("voltage", 10) == 7.5
    assert faults.read("current", 10) == 10
    assert faults.describe() == "drift voltage -2.5 per read"


def test_stuck_keeps_the_value_of_its_first_read_and_ignores_writes(faults: Faults) -> None:
    faults.add("stuck", "current")
    assert faults.read("current", 480) == 480
    assert faults.read("current", 0) == 480
    assert not faults.writable("current")
    assert faults.writable("voltage")
    assert faults.describe() == "stuck current"


@pytest.mark.parametrize(
    ("kind", "args", "field", "hits"),
    [
        ("delay", ("150",), "delay_s", [0.15, 0.15, 0.15]),
        ("delay", ("10", "3"), "delay_s", [0.0, 0.0, 0.01, 0.0, 0.0, 0.01]),
        ("crc", ("2",), "corrupt", [False, True, False, True]),
        ("drop", ("3",), "drop", [False, False, True]),
    ],
)
def test_response_faults_hit_every_kth_request(
    faults: Faults, kind: str, args: tuple[str, ...], field: str, hits: list[object]
) -> None:
    faults.add(kind, *args)
    assert [getattr(faults.next_response(), field) for _ in hits] == hits


def test_describe_lists_every_fault(faults: Faults) -> None:
    faults.add("drift", "voltage", "5")
    faults.add("stuck", "current")
    faults.add("delay", "200", "1")
    faults.add("crc", "11")
    faults.add("drop", "22")
    assert faults.describe().splitlines() == [
        "drift voltage +5 per read",
        "stuck current",
        "delay 200 ms every response",
        "crc corrupt every 11th response",
        "drop connection every 22nd response",
    ]
    faults.clear()
    assert faults.describe() == "none"
    assert faults.next_response() == ResponseFault()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("melt",), "unknown fault 'melt'; choose one of: drift, stuck, delay, crc, drop"),
        (("drift", "voltage"), r"usage: \$system_fault:drift,<register>,<step>%"),
        (("drift", "power", "1"), "unknown register 'power'; known: current, voltage"),
        (("drift", "voltage", "x"), "step must be a number, got 'x'"),
        (("drift", "voltage", "nan"), "step must be finite"),
        (("delay", "-1"), "delay must be between 0 and 60000, got -1"),
        (("delay", "1.5"), "delay must be an integer"),
        (("delay", "10", "0"), "every_k must be between 1 and 1000000, got 0"),
        (("crc",), r"usage: \$system_fault:crc,<every_k>%"),
        (("drop", "1", "2"), r"usage: \$system_fault:drop,<every_k>%"),
    ],
)
def test_malformed_faults_are_refused_and_change_nothing(
    faults: Faults, args: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        faults.add(*args)
    assert not faults.active


def test_ordinals() -> None:
    faults = Faults(registers=())
    for k, text in [(2, "2nd"), (3, "3rd"), (4, "4th"), (12, "12th"), (21, "21st"), (113, "113th")]:
        faults.add("crc", str(k))
        assert faults.describe() == f"crc corrupt every {text} response"
