"""The dut's custom commands as methods, its telemetry without sockets, its types."""

from __future__ import annotations

import queue
import re
import time

import pytest

from simulators.devices.dut import IDENTITY, DutSystem, System
from simulators.utils import ManualClock
from tests.devices.dut_helpers import (
    FAULT,
    POWER_FAULT,
    collect,
    custom,
    outcomes,
)

# -- custom commands as methods ----------------------------------------------------


def test_set_seed_makes_readings_reproducible():
    dut = DutSystem(seed=5)
    dut.execute("POWER ON")
    assert dut.system_set_seed("11") == "ok"
    first = [dut.execute("MEAS:VOLT?") for _ in range(5)]
    assert len(set(first)) > 1
    dut.execute("MEAS:CURR?")
    custom(dut, "set_seed", 11)
    assert [dut.execute("MEAS:VOLT?") for _ in range(5)] == first
    custom(dut, "set_seed", 12)
    assert [dut.execute("MEAS:VOLT?") for _ in range(5)] != first


def test_set_seed_restarts_the_fault_sequence():
    dut = DutSystem(profile="factory-flaky")
    dut.system_set_seed("3")
    first = outcomes(dut, 300)
    assert 0 < sum(first) < 300
    dut.system_set_seed("3")
    assert outcomes(dut, 300) == first
    dut.system_set_seed("4")
    assert outcomes(dut, 300) != first


def test_set_seed_restarts_a_markov_fault_sequence_whatever_its_state():
    dut = DutSystem()
    dut.system_set_profile("markov-flaky", "0.5", "0.5")
    for _ in range(100):  # drive the chain into its bad state
        if dut.execute("*IDN?") == FAULT:
            break
    assert dut.system_profile().endswith("state=bad")
    dut.system_set_seed("7")
    first = outcomes(dut, 40)
    for _ in range(100):  # and now into its good state
        if dut.execute("*IDN?") != FAULT:
            break
    assert dut.system_profile().endswith("state=good")
    dut.system_set_seed("7")
    assert outcomes(dut, 40) == first


def test_set_seed_refuses_a_non_integer():
    dut = DutSystem()
    with pytest.raises(ValueError, match="invalid literal"):
        dut.system_set_seed("x")
    assert custom(dut, "set_seed", "1.5").startswith("error: set_seed: invalid literal")
    assert custom(dut, "set_seed").startswith("error: wrong number of arguments")


def test_set_profile_with_parameters_and_profile_shows_them():
    dut = DutSystem()
    assert dut.system_profile() == "clean"
    assert dut.system_set_profile("factory-flaky", "0.2") == "ok"
    assert dut.system_profile() == "factory-flaky rate=0.2"
    assert custom(dut, "set_profile", "markov-flaky", "0.05", "0.3") == "ok"
    assert custom(dut, "profile") == (
        "markov-flaky p_fail=0.05 p_recover=0.3 bad_failure_rate=1 state=good"
    )
    assert custom(dut, "set_profile", "factory-flaky") == "ok"
    assert custom(dut, "profile") == "factory-flaky rate=0.05"
    assert dut.execute("STATUS?").endswith("PROFILE=factory-flaky")
    custom(dut, "set_profile", "factory-flaky", 1)
    assert outcomes(dut, 20) == [True] * 20
    custom(dut, "set_profile", "clean")
    assert outcomes(dut, 200) == [False] * 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("factory-flaky", "2"), "error: set_profile: rate must be a probability between 0 and 1"),
        (("factory-flaky", "lots"), "error: set_profile: could not convert string to float"),
        (("markov-flaky", "0.1", ""), "error: set_profile: could not convert string to float"),
        (("sometimes",), "error: set_profile: unknown profile 'sometimes'; choose one of:"),
        (("clean", "1"), "error: set_profile: too many parameters for profile 'clean'"),
        ((), "error: wrong number of arguments; usage: $system_set_profile:<name>,"),
    ],
)
def test_set_profile_refuses_bad_input_and_keeps_the_profile(args, message):
    dut = DutSystem(profile="factory-flaky")
    assert custom(dut, "set_profile", *args).startswith(message)
    assert dut.system_profile() == "factory-flaky rate=0.05"


def test_set_profile_raises_value_error_as_a_method():
    with pytest.raises(ValueError, match="rate must be a probability"):
        DutSystem().system_set_profile("factory-flaky", "7")


def test_fail_next_fails_the_next_requests_then_recovers():
    dut = DutSystem()
    assert dut.system_fail_next("2") == "ok"
    assert dut.execute("*IDN?") == FAULT
    # the fault answers before the value is checked, with the load's own code
    assert dut.execute("LOAD 5") == "ERR E203 electronic load fault"
    assert dut.execute("*IDN?") == IDENTITY
    custom(dut, "fail_next", 3)
    assert dut.execute("NOPE").startswith("ERR E100 unknown command")  # not a request: not counted
    assert [dut.execute("POWER ON") for _ in range(4)] == [*[POWER_FAULT] * 3, "OK"]
    custom(dut, "fail_next", 5)
    custom(dut, "fail_next", 0)  # cancels
    assert dut.execute("*IDN?") == IDENTITY


def test_fail_next_refuses_bad_counts():
    dut = DutSystem()
    assert custom(dut, "fail_next", -1) == "error: fail_next: count must be >= 0"
    assert custom(dut, "fail_next", "two").startswith("error: fail_next: invalid literal")
    with pytest.raises(ValueError, match="count must be >= 0"):
        dut.system_fail_next("-3")
    assert dut.execute("*IDN?") == IDENTITY


RESET_SCRIPT = ["POWER?", "LOAD?", "POWER ON", "LOAD 1", *["MEAS:VOLT?"] * 20, "STATUS?"]


def test_reset_restores_start_up_profile_seed_and_output_off():
    fresh = DutSystem(profile="factory-flaky", seed=8)
    expected = [fresh.execute(line) for line in RESET_SCRIPT]
    assert expected[:2] == ["OFF", "0.000"]
    # the fault sequence is part of what must come back
    assert any(reply.startswith("ERR E2") for reply in expected)

    dut = DutSystem(profile="factory-flaky", seed=8)
    for line in RESET_SCRIPT:
        dut.execute(line)
    dut.system_set_seed("99")
    custom(dut, "set_profile", "markov-flaky", "0.3")
    assert dut.system_reset() == "ok"
    assert dut.system_profile() == "factory-flaky rate=0.05"
    assert [dut.execute(line) for line in RESET_SCRIPT] == expected
    assert custom(dut, "reset") == "ok"
    assert [dut.execute(line) for line in RESET_SCRIPT] == expected


def test_reset_cancels_forced_failures():
    dut = DutSystem()
    custom(dut, "fail_next", 10)
    assert dut.execute("*IDN?") == FAULT
    custom(dut, "reset")
    assert dut.execute("*IDN?") == IDENTITY


def test_help_lists_the_dut_commands():
    text = custom(DutSystem(), "help")
    for usage in (
        "$system_set_seed:<seed>%",
        "$system_set_profile:<name>,<parameters>...%",
        "$system_profile%",
        "$system_fail_next:<count>%",
        "$system_reset%",
        "$system_stop%",
    ):
        assert usage in text


# -- telemetry without sockets ---------------------------------------------------------


def test_telemetry_lines_are_reproducible_and_independent_of_commands():
    lines = []
    for commands in (0, 10):
        dut = DutSystem(seed=4, sampling_time=0.01, clock=ManualClock(start=100.0))
        dut.execute("POWER ON")
        dut.execute("LOAD 1")
        for _ in range(commands):
            dut.execute("MEAS:VOLT?")
        q: queue.Queue[bytes] = queue.Queue(64)
        dut.subscribe(q)
        try:
            lines.append(collect(q, 3))
        finally:
            dut.unsubscribe(q)
    assert lines[0] == lines[1]
    pattern = (
        rb"TLM seq=(\d+) time=100\.000 power=ON volt=4\.9\d{3} curr=[01]\.\d{4} temp=64\.\d\d\n"
    )
    matches = [re.fullmatch(pattern, line) for line in lines[0]]
    assert all(matches)
    assert [int(match[1]) for match in matches if match] == [1, 2, 3]


def test_telemetry_keeps_its_period_when_a_subscriber_replaces_the_last_one():
    dut = DutSystem(sampling_time=0.05)
    first: queue.Queue[bytes] = queue.Queue(64)
    second: queue.Queue[bytes] = queue.Queue(64)
    dut.subscribe(first)
    collect(first, 1)
    with dut.lock:  # one client leaves as another arrives
        dut.unsubscribe(first)
        dut.subscribe(second)
    try:
        time.sleep(0.2)
        assert second.qsize() <= 8  # about 0.2 / 0.05 + 1 lines, not a flood
    finally:
        dut.unsubscribe(second)


# -- System types ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system_type", "described"),
    [
        (None, "clean"),
        ("clean", "clean"),
        ("factory-flaky", "factory-flaky rate=0.05"),
        ("markov-flaky", "markov-flaky p_fail=0.02 p_recover=0.25 bad_failure_rate=1 state=good"),
    ],
)
def test_system_type_picks_the_start_up_profile(system_type, described):
    dut = System(system_type=system_type)
    assert isinstance(dut, DutSystem)
    assert dut.system_profile() == described
    dut.system_set_profile("clean")
    dut.system_reset()
    assert dut.system_profile() == described


def test_system_type_passes_its_keyword_arguments():
    dut = System(system_type="factory-flaky", seed=3)
    reference = DutSystem(profile="factory-flaky", seed=3)
    assert outcomes(dut, 200) == outcomes(reference, 200)


def test_unknown_system_type_names_the_choices():
    with pytest.raises(
        ValueError, match=r"unknown type 'flaky'; choose one of: clean, factory-flaky, markov-flaky"
    ):
        System(system_type="flaky")
